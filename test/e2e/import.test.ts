// `pulumi import` of every resource type, end to end: one stack deploys a site with one resource of each type
// (secrets and provider-side settings included), then a second stack of the same program adopts all six from
// the host by their documented IDs (docs/import.md), with the connection from its provider config. Pulumi refuses
// an import whose program differs from what Read finds, so a passing `up` is itself the no-change check; a preview
// after it must show no changes, secrets must stay encrypted in the state, and the site must answer throughout.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, httpsGet, sandboxHost, selfSigned, ssh } from "./harness";

const h = sandboxHost("h16");
const STEP = 15 * 60_000;
const SERVER = "imported.sandbox.test";
const TOKEN = "tok-e2e-import-7f3a9c";
const program = path.join(REPO, "test/e2e/programs/importall");
afterAll(destroyStacks);

const source = fs.mkdtempSync(path.join(os.tmpdir(), "import-"));
fs.cpSync(path.join(REPO, "examples/flask-hello/app"), source, { recursive: true });
const { dir, ca } = selfSigned(SERVER);

function stackOf(name: string): Stack {
    const s = new Stack(name, program);
    s.configHost(h);
    s.configSite(SERVER, dir);
    s.config("source", source);
    s.configSecret("token", TOKEN);
    return s;
}

/** The page, without the pid of whichever of the group's two processes answered. */
const page = async () => {
    const r = await httpsGet(h.address, "/imp/", ca, SERVER);
    return { ...r, body: r.body.replace(/pid \d+/, "pid N") };
};

describe("every resource type is imported from the host with no change", () => {
    let first: Stack;
    let second: Stack;
    let before: { status: number; body: string };

    it("a first stack deploys one resource of each type", { timeout: STEP }, async () => {
        first = stackOf("import-first");
        first.up();
        before = await page();
        expect(before.status).toBe(200);
        expect(before.body).toMatch(/^imported from Flask/);
    });

    it("a second stack imports all six by ID: Pulumi accepts each import as matching", { timeout: STEP }, async () => {
        second = stackOf("import-second");
        second.config("import", "true");
        const out = second.up();
        for (const type of ["ApacheHost", "WsgiModule", "PythonEnv", "VirtualHost", "DaemonProcess", "Application"])
            expect(out, type).toMatch(new RegExp(`modwsgi:index:${type}\\s.*import`));
        expect(out).toMatch(/6 imported/);
        // Pulumi updates an import whose program differs from what Read found: none may be updated or replaced.
        expect(out).not.toMatch(/modwsgi:index:\w+\s+\S+\s+(updat|replac|creat)/);
        // Nothing was created or changed on the host: no upload, no release command, no reload.
        expect(out).not.toMatch(/uploading|release command|reload/);
        expect(await page()).toEqual(before);
    });

    it("the program then previews with no changes, refresh included", { timeout: STEP }, () => {
        second.run(["preview", "--expect-no-changes", "--diff"]);
        second.config("import", "false");
        second.run(["preview", "--expect-no-changes", "--diff"]);
    });

    it("secrets read from the host stay secret in the imported state", { timeout: STEP }, () => {
        const state = second.run(["stack", "export"]);
        expect(state).not.toContain(TOKEN);
        expect(state).not.toContain(fs.readFileSync(path.join(dir, "key.pem"), "utf8").split("\n")[1]);
        const app = JSON.parse(state).deployment.resources.find((r: { type: string }) =>
            r.type.endsWith(":Application"),
        );
        expect(app.outputs.environment["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
    });

    it(
        "the host records the second stack as owner: the first one's destroy leaves the site",
        { timeout: STEP },
        async () => {
            const out = first.run(["destroy", "--yes", "--skip-preview"]);
            expect(out).toMatch(/belongs to .*import-second.*left on the host/);
            expect(await page()).toEqual(before);
            second.run(["preview", "--expect-no-changes"]);
        },
    );

    it("a code change through the importing stack deploys as usual", { timeout: STEP }, async () => {
        fs.appendFileSync(path.join(source, "hello.py"), "\n# a change after import\n");
        const out = second.up();
        expect(out).toMatch(/release command/);
        expect((await page()).status).toBe(200);
        const releases = ssh(h, "find /srv/modwsgi/imported/releases -mindepth 1 -maxdepth 1 -type d | wc -l");
        expect(releases.stdout.trim()).toBe("2");
    });
});
