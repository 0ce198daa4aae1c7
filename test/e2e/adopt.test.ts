// modwsgi-adopt on a sandbox host (h15) set up by hand the classic way (Flask in a venv, mod_wsgi from pip loaded
// by a wsgi.load from `mod_wsgi-express module-config`, a site file enabled with a2ensite): the command reads it,
// its program is deployed as a stack, the site answers the same, a refreshed preview is clean, the hand file stays
// in sites-available, and destroy gives the site back to the hand config.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, sandboxHost, ssh, type SandboxHost } from "./harness";

const HAND = path.join(REPO, "test/e2e/programs/adopt-hand");
const OUT = path.join(REPO, "test/e2e/.work/adopt-out");
const SITE = "hello.test";

/** Removes the hand site and the module it loads (the host as the sandbox made it), whatever a run left. */
const UNDO_HAND =
    "a2dissite -q hello 2>/dev/null; a2dismod -q wsgi 2>/dev/null; " +
    "rm -rf /srv/hello /opt/wsgi-module /etc/apache2/sites-available/hello.conf " +
    "/etc/apache2/mods-available/wsgi.load; " +
    "apache2ctl -t && apache2ctl restart";

afterAll(() => {
    // A run cut short: the hand site must not come back through ApacheHost's destroy while its module is off, or
    // WsgiModule's destroy would leave Apache a config it rejects (the README's way back is `a2enmod` first).
    const h = sandboxHost("h15");
    ssh(h, "a2dissite -q hello 2>/dev/null; rm -f /etc/apache2/sites-available/hello.conf");
    destroyStacks();
    ssh(h, UNDO_HAND);
});

/** GET with the site's Host header (the hand vhost answers for hello.test only), retried while a group starts. */
async function getSite(h: SandboxHost, urlPath: string, tries = 30): Promise<{ status: number; body: string }> {
    const once = () =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = http.get(
                // A connection per request: a kept-alive one Apache closes (MaxKeepAliveRequests) is no answer.
                { host: h.address, path: urlPath, headers: { Host: SITE }, timeout: 10_000, agent: false },
                (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
                },
            );
            req.on("error", reject);
            req.on("timeout", () => req.destroy(new Error("timeout")));
        });
    let last = { status: 0, body: "" };
    for (let i = 0; i < tries; i++) {
        last = await once().catch((e: Error) => ({ status: 0, body: String(e) }));
        if (last.status === 200) return last;
        await new Promise((r) => setTimeout(r, 500));
    }
    return last;
}

/** The hand setup: the app's files and the site file as a tar on stdin of setup.sh, run on the host. */
function setUpByHand(h: SandboxHost) {
    const tar = spawnSync("tar", ["-cf", "-", "-C", path.join(HAND, "app"), ".", "-C", HAND, "hello.conf"]);
    const r = spawnSync(
        path.join(REPO, "test/sandbox/sandbox.sh"),
        ["ssh", h.name, fs.readFileSync(path.join(HAND, "setup.sh"), "utf8")],
        { input: tar.stdout, encoding: "utf8", timeout: 600_000 },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}

/**
 * Waits (up to 20 s) until the host's mod_wsgi daemon group names ("name " each, from ps) satisfy `ok`. mod_wsgi
 * cuts a display name to the length of Apache's own argv[0]: `hello-adopted` shows as `hello-adopt`.
 */
async function daemonsSettle(h: SandboxHost, ok: (names: string) => boolean): Promise<boolean> {
    for (let i = 0; i < 40; i++) {
        const ps = ssh(h, "ps -eo args | sed -n 's/^(wsgi:\\([^) ]*\\).*/\\1/p' | sort -u").stdout;
        const names = ps
            .split("\n")
            .filter(Boolean)
            .map((n) => `${n} `)
            .join("");
        if (ok(names)) return true;
        await new Promise((r) => setTimeout(r, 500));
    }
    console.log("daemon groups:", ssh(h, "ps -eo args | grep '^(wsgi:' | sort -u").stdout);
    return false;
}

function adopt(h: SandboxHost): { code: number; out: string } {
    const knownHosts = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "adopt-kh-")), "known_hosts");
    fs.writeFileSync(knownHosts, `${h.address} ${h.hostKey}\n`);
    fs.rmSync(OUT, { recursive: true, force: true });
    const r = spawnSync(
        path.join(REPO, "bin/modwsgi-adopt"),
        ["--host", h.address, "--key", h.privateKeyFile, "--known-hosts", knownHosts, "--out", OUT],
        { encoding: "utf8", timeout: 300_000 },
    );
    return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

describe("modwsgi-adopt", () => {
    it(
        "takes over a hand-written Flask site with no change to what is served, and destroy gives it back",
        { timeout: 1_800_000 },
        async () => {
            const h = sandboxHost("h15");
            ssh(h, UNDO_HAND);
            setUpByHand(h);
            const before = await getSite(h, "/");
            const staticBefore = await getSite(h, "/static/hello.txt");
            expect(before).toEqual({ status: 200, body: "Hello from a hand-written mod_wsgi site\n" });
            expect(staticBefore.status).toBe(200);

            // A wrong host key is refused before anything is read.
            // (A key made here: naming another sandbox host would tie this file to that host's test group.)
            const bad = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-bad-"));
            spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(bad, "k")]);
            const wrongKey = fs.readFileSync(path.join(bad, "k.pub"), "utf8").split(" ").slice(0, 2).join(" ");
            const kh = path.join(bad, "known_hosts");
            fs.writeFileSync(kh, `${h.address} ${wrongKey}\n`);
            const refused = spawnSync(
                path.join(REPO, "bin/modwsgi-adopt"),
                ["--host", h.address, "--key", h.privateKeyFile, "--known-hosts", kh, "--out", `${OUT}-refused`],
                { encoding: "utf8", timeout: 120_000 },
            );
            expect(refused.status).toBe(1);
            expect(refused.stderr).toMatch(/host key mismatch/);

            const started = Date.now();
            const a = adopt(h);
            console.log(`modwsgi-adopt took ${Date.now() - started} ms`);
            expect(a.code, a.out).toBe(0);
            expect(a.out).toContain(
                "not mapped: /etc/apache2/sites-enabled/hello.conf:5 ServerAdmin webmaster@hello.test",
            );
            const program = fs.readFileSync(path.join(OUT, "index.ts"), "utf8");
            for (const r of ["WsgiModule", "PythonEnv", "DaemonProcess", "VirtualHost", "Application", "ApacheHost"])
                expect(program).toContain(`new modwsgi.${r}(`);
            expect(program).toContain('requirements: [\n        "blinker==');
            expect(fs.readFileSync(path.join(OUT, "hello/hello.py"), "utf8")).toContain("hand-written mod_wsgi site");
            expect(fs.existsSync(path.join(OUT, "hello/venv"))).toBe(false);

            const s = new Stack("adopt", OUT);
            s.configHost(h);
            // README step: the hand module's links go right before up (no reload: Apache keeps it loaded).
            expect(ssh(h, "a2dismod -q wsgi").code).toBe(0);
            // Watch the site while up runs: every answer must be the same body.
            const upStarted = Date.now();
            const up = s.runAsync(["up", "--yes", "--skip-preview"]);
            let done = false;
            let same = 0;
            const other: string[] = [];
            void up.then(() => (done = true));
            while (!done) {
                const r = await getSite(h, "/", 1);
                if (r.status === 200 && r.body === before.body) same++;
                else other.push(`${new Date().toISOString()} ${r.status} ${r.body.replace(/\s+/g, " ").slice(0, 80)}`);
                await new Promise((res) => setTimeout(res, 200));
            }
            const result = await up;
            // What else answered, and when, next to the host's log of each operation (when it took the lock).
            console.log(
                `up took ${Date.now() - upStarted} ms; answers meanwhile: ${same} the same, ${other.length} not:`,
            );
            console.log(other.join("\n"));
            console.log(ssh(h, "tail -n 30 /var/log/modwsgi/apply.log").stdout);
            console.log(ssh(h, "grep -h 'wsgi:error' /var/log/apache2/*error.log | tail -n 15").stdout);
            expect(result.code, result.out).toBe(0);

            expect(await getSite(h, "/")).toEqual(before);
            expect(await getSite(h, "/static/hello.txt")).toEqual(staticBefore);
            const files = ssh(h, "ls /etc/apache2/sites-enabled; echo --; ls /etc/apache2/sites-available").stdout;
            const [enabled, available] = files.split("--\n");
            expect(enabled).not.toMatch(/^hello\.conf$/m);
            expect(enabled).toMatch(/^modwsgi-hello\.conf$/m);
            expect(available).toMatch(/^hello\.conf$/m);
            // Ours serve; the hand group's processes are gone once the graceful reload has let them finish.
            expect(await daemonsSettle(h, (d) => d.includes("hello-adopt") && !d.includes("hello "))).toBe(true);
            s.run(["preview", "--expect-no-changes"]);

            // The hand site enabled again by hand is drift of ApacheHost.disableSites; up switches it off again.
            expect(ssh(h, "a2ensite -q hello && apache2ctl graceful").code).toBe(0);
            const drift = s.run(["preview", "--expect-no-changes"], "fail");
            expect(drift).toMatch(/disableSites/);
            s.up();
            expect(ssh(h, "ls /etc/apache2/sites-enabled").stdout).not.toMatch(/^hello\.conf$/m);
            s.run(["preview", "--expect-no-changes"]);
            expect(await getSite(h, "/")).toEqual(before);

            // README step: the hand module back first, then destroy enables the hand site again.
            expect(ssh(h, "a2enmod -q wsgi").code).toBe(0);
            s.run(["destroy", "--yes", "--skip-preview"]);
            expect(await getSite(h, "/")).toEqual(before);
            const after = ssh(h, "ls /etc/apache2/sites-enabled").stdout;
            expect(after).toMatch(/^hello\.conf$/m);
            expect(after).not.toMatch(/modwsgi-hello/);
            expect(await daemonsSettle(h, (d) => d.includes("hello ") && !d.includes("hello-adopt"))).toBe(true);
        },
    );
});
