// The packaged provider as a user installs it, outside this repository: `npm run package` builds the plugin archive
// and the SDK's npm package; a program in a temp dir installs the SDK package with npm and the plugin with
// `pulumi plugin install ... --file` into its own PULUMI_HOME (no `plugins.providers` path, no relative import),
// deploys an app to a sandbox host, is checked over HTTP, and is destroyed.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, get, sandboxHost } from "./harness";

const version = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;
const pulumiVersion = (
    JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> }
).dependencies["@pulumi/pulumi"];

describe("the packaged provider, installed as a user would", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-user-"));
    const env = {
        ...process.env,
        PULUMI_HOME: path.join(dir, ".pulumi"),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "package-test",
    };
    const pulumi = (args: string[], expect: "ok" | "fail" = "ok") => {
        const r = spawnSync("pulumi", [...args, "--non-interactive"], {
            cwd: dir,
            env,
            encoding: "utf8",
            timeout: 15 * 60_000,
        });
        const out = `${r.stdout}\n${r.stderr}`;
        if ((r.status === 0) !== (expect === "ok")) throw new Error(`pulumi ${args.join(" ")}: ${r.status}\n${out}`);
        return out;
    };
    let up = false;
    afterAll(() => {
        if (up) pulumi(["destroy", "--yes", "--skip-preview"]);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("builds, installs, deploys, serves and destroys without this repository", { timeout: 25 * 60_000 }, async () => {
        execFileSync("bash", [path.join(REPO, "scripts/package.sh")], { cwd: REPO, stdio: "ignore" });
        const pkg = path.join(REPO, "dist/package");
        const archive = path.join(pkg, `pulumi-resource-modwsgi-v${version}-linux-amd64.tar.gz`);
        const sdk = path.join(pkg, `pulumi-modwsgi-${version}.tgz`);
        expect(fs.existsSync(archive) && fs.existsSync(sdk)).toBe(true);
        // The Python SDK's wheel carries the plugin block Pulumi reads (pulumi-plugin.json), at the package's version.
        const wheel = path.join(pkg, `pulumi_modwsgi-${version}-py3-none-any.whl`);
        const readPluginJson = "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())";
        const pluginJson = execFileSync("python3", ["-c", readPluginJson, wheel, "pulumi_modwsgi/pulumi-plugin.json"], {
            encoding: "utf8",
        });
        expect(JSON.parse(pluginJson)).toEqual({ resource: true, name: "modwsgi", version });
        expect(dir.startsWith(REPO)).toBe(false);

        pulumi(["plugin", "install", "resource", "modwsgi", version, "--file", archive]);
        expect(pulumi(["plugin", "ls"])).toMatch(new RegExp(`modwsgi\\s+resource\\s+${version.replace(/\./g, "\\.")}`));

        // The user's project: the SDK tarball and @pulumi/pulumi from npm, the program, its app.
        fs.copyFileSync(sdk, path.join(dir, path.basename(sdk)));
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify({
                name: "my-site",
                private: true,
                main: "index.js",
                dependencies: { "@pulumi/pulumi": pulumiVersion, "pulumi-modwsgi": `file:./${path.basename(sdk)}` },
            }),
        );
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: my-site\nruntime: nodejs\n");
        fs.copyFileSync(path.join(REPO, "test/e2e/programs/packaged/index.js"), path.join(dir, "index.js"));
        fs.cpSync(path.join(REPO, "test/e2e/programs/sources/app"), path.join(dir, "app"), { recursive: true });
        execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "ignore" });
        expect(
            JSON.parse(fs.readFileSync(path.join(dir, "node_modules/pulumi-modwsgi/package.json"), "utf8")).pulumi,
        ).toEqual({ resource: true, name: "modwsgi", version });

        const h = sandboxHost("h18");
        fs.mkdirSync(path.join(dir, "state"));
        pulumi(["stack", "init", "prod"]);
        pulumi(["config", "set", "host", h.address]);
        pulumi(["config", "set", "hostKey", h.hostKey]);
        pulumi(["config", "set", "privateKeyFile", h.privateKeyFile]);
        up = true;
        const out = pulumi(["up", "--yes", "--skip-preview"]);
        expect(out).toMatch(/\+ +modwsgi:index:Application +hello +created/);
        const url = pulumi(["stack", "output", "url"]).trim();
        expect((await get(url)).status).toBe(200);
        pulumi(["preview", "--expect-no-changes"]);
        pulumi(["destroy", "--yes", "--skip-preview"]);
        up = false;
        expect((await get(url, 404)).status).toBe(404);
    });
});
