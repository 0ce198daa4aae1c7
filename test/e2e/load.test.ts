// Changes under load, measured with wrk (16 keep-alive connections, paced to ~300 requests/s: harness.ts) against
// a sandbox host:
// - code-only deploys restart one daemon group through mod_wsgi's script reloading, which re-queues the requests
//   it interrupts: clients see no failure at all;
// - each daemon-option change needs Apache to re-read its config (a graceful restart), and a graceful restart
//   stops every daemon group with its queue: requests in flight at that moment fail (WSGI0147, the queued
//   connection reset by the stopping daemon; WSGI0117, an old-generation child dialling the socket path the new
//   generation has just replaced). mod_wsgi retries only refused connections, so no setting removes this residue
//   (measured here with WSGISocketRotation On and Off). The test asserts its bound: per reload, at most one failed
//   response and one dropped keep-alive connection per client connection, and no other error in Apache's log;
// - two stacks of two projects running `pulumi up` at once both succeed, their host transactions do not
//   interleave (the host's apply log), and clients pay only the same per-reload bound;
// - a third stack declaring the first one's daemon group fails naming that stack (the host's ownership records),
//   and neither its up nor its destroy touches the first stack's files.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh, startWrk, type SandboxHost } from "./harness";

const CONNECTIONS = 16;
const STEP = 20 * 60_000;
afterAll(destroyStacks);

/** Apache's graceful restarts so far ("SIGUSR1 received. Doing graceful restart"). */
const gracefuls = (h: SandboxHost) =>
    Number(ssh(h, "grep -c AH00493 /var/log/apache2/error.log || true").stdout.trim());
const logLines = (h: SandboxHost, file: string) => Number(ssh(h, `wc -l < ${file}`).stdout.trim());
/** mod_wsgi's error codes logged after line `from` of Apache's error log, with counts. */
function wsgiErrors(h: SandboxHost, from: number): Record<string, number> {
    const out = ssh(h, `tail -n +${from + 1} /var/log/apache2/error.log | grep -o 'WSGI0[0-9]*' || true`).stdout;
    const counts: Record<string, number> = {};
    for (const code of out.split("\n").filter(Boolean)) counts[code] = (counts[code] ?? 0) + 1;
    return counts;
}

describe("changes under load", () => {
    const h = sandboxHost("h12");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "load-"));
    const src = (n: string) => path.join(tmp, n);
    let base: Stack;
    let urls: string[] = [];

    it(
        "code deploys cost clients nothing; 20 daemon-option changes cost at most the requests in flight",
        {
            timeout: STEP,
        },
        async () => {
            for (const n of ["appa", "appb"])
                fs.cpSync(path.join(REPO, "examples/flask-hello/app"), src(n), { recursive: true });
            base = new Stack("loadbase", path.join(REPO, "test/e2e/programs/twoapps"), { refresh: false });
            base.configHost(h);
            base.config("appaSource", src("appa"));
            base.config("appbSource", src("appb"));
            base.up();
            urls = JSON.parse(base.run(["stack", "output", "urls", "--json"])) as string[];
            expect((await get(urls[0])).body).toMatch(/^Hello from Flask/);
            expect((await get(urls[1])).body).toMatch(/^Hello from Flask/);

            // Three code-only deploys of app A under load on A: its group restarts each time, nobody sees it.
            const reloadsBefore = gracefuls(h);
            const codeLoad = startWrk(urls[0], CONNECTIONS);
            const hello = path.join(src("appa"), "hello.py");
            const original = fs.readFileSync(hello, "utf8");
            for (let i = 1; i <= 3; i++) {
                fs.writeFileSync(hello, original.replace("'Hello'", `'Release ${i}'`));
                expect(base.up()).toMatch(/~ +modwsgi:index:Application +appa +updated/);
                expect((await get(urls[0])).body).toMatch(new RegExp(`^Release ${i} from Flask`));
            }
            const code = await codeLoad.stop();
            console.log(
                `code deploys under load: ${code.requests} requests, ${code.non2xx} non-2xx, ${code.socketErrors} socket errors (${code.socketDetail})`,
            );
            expect(code.requests).toBeGreaterThan(1000);
            expect(code.non2xx + code.socketErrors).toBe(0);
            expect(gracefuls(h)).toBe(reloadsBefore);

            // Twenty daemon-option changes of group A under load on B: one graceful restart each.
            const from = logLines(h, "/var/log/apache2/error.log");
            const optionLoad = startWrk(urls[1], CONNECTIONS);
            for (let i = 0; i < 20; i++) {
                base.config("appaThreads", String(3 + (i % 2)));
                expect(base.up()).toMatch(/~ +modwsgi:index:DaemonProcess +appa +updated/);
            }
            const opts = await optionLoad.stop();
            const reloads = gracefuls(h) - reloadsBefore;
            const errors = wsgiErrors(h, from);
            const failed = opts.non2xx + opts.socketErrors;
            console.log(
                `20 daemon-option changes under load: ${opts.requests} requests, ${opts.non2xx} non-2xx, ` +
                    `${opts.socketErrors} socket errors (${opts.socketDetail}), ${reloads} graceful restarts, Apache log ${JSON.stringify(errors)}`,
            );
            expect(reloads).toBe(20);
            expect(opts.requests).toBeGreaterThan(1000);
            expect(failed).toBeLessThanOrEqual(2 * CONNECTIONS * reloads);
            // Every failure Apache logged is one of the two graceful-restart classes, nothing else.
            expect(Object.keys(errors).filter((c) => c !== "WSGI0147" && c !== "WSGI0117")).toEqual([]);
            expect((await get(urls[1])).body).toMatch(/^Hello from Flask/);
        },
    );

    it("two projects' stacks applying at once both succeed, one transaction at a time", { timeout: STEP }, async () => {
        expect(urls, "the first test deployed the base stack").toHaveLength(2);
        const teams = ["teama", "teamb"].map((name) => {
            fs.cpSync(path.join(REPO, "test/e2e/programs/sources/app"), src(name), { recursive: true });
            const s = new Stack(name, path.join(REPO, "test/e2e/programs/teamapp"), { refresh: false });
            s.configHost(h);
            s.config("name", name);
            s.config("source", src(name));
            return s;
        });
        const applyLog = "/var/log/modwsgi/apply.log";
        const logFrom = logLines(h, applyLog);
        const errFrom = logLines(h, "/var/log/apache2/error.log");
        const reloadsBefore = gracefuls(h);
        const load = startWrk(urls[1], CONNECTIONS);
        const runs = await Promise.all(teams.map((s) => s.runAsync(["up", "--yes", "--skip-preview"])));
        const result = await load.stop();
        for (const r of runs) expect(r.code, r.out).toBe(0);
        for (const s of teams) expect((await get(s.output("url"))).status).toBe(200);

        const reloads = gracefuls(h) - reloadsBefore;
        console.log(
            `two stacks at once under load: ${result.requests} requests, ${result.non2xx} non-2xx, ` +
                `${result.socketErrors} socket errors (${result.socketDetail}), ${reloads} graceful restarts`,
        );
        expect(result.requests).toBeGreaterThan(100);
        expect(result.non2xx + result.socketErrors).toBeLessThanOrEqual(2 * CONNECTIONS * reloads);
        expect(Object.keys(wsgiErrors(h, errFrom)).filter((c) => c !== "WSGI0147" && c !== "WSGI0117")).toEqual([]);

        // The apply log: every begin is closed by its own end before the next begin, and both projects wrote.
        const lines = ssh(h, `tail -n +${logFrom + 1} ${applyLog}`)
            .stdout.split("\n")
            .filter(Boolean);
        let open: string | undefined;
        const holders = new Set<string>();
        for (const line of lines) {
            const m = /^\S+ (begin|end) (\S+)(?: rc=\d+)? holder=(.*)$/.exec(line);
            expect(m, line).not.toBeNull();
            const [, what, op, holder] = m!;
            const key = `${op} ${holder}`;
            if (what === "begin") {
                expect(open, `"${line}" began while "${open}" was open`).toBeUndefined();
                open = key;
                holders.add(holder);
            } else {
                expect(open).toBe(key);
                open = undefined;
            }
        }
        expect(open).toBeUndefined();
        expect([...holders].some((x) => x.includes("project teama"))).toBe(true);
        expect([...holders].some((x) => x.includes("project teamb"))).toBe(true);

        // The teams go first: the base stack owns the module their daemon groups need.
        for (const s of teams) s.run(["destroy", "--yes", "--skip-preview"]);
        expect((await get(urls[1])).body).toMatch(/^Hello from Flask/);
    });

    it(
        "a stack declaring another stack's daemon group fails naming it, touches nothing, and its destroy neither",
        {
            timeout: STEP,
        },
        async () => {
            expect(urls, "the first test deployed the base stack").toHaveLength(2);
            fs.cpSync(path.join(REPO, "test/e2e/programs/sources/app"), src("intruder"), { recursive: true });
            const s = new Stack("intruder", path.join(REPO, "test/e2e/programs/teamapp"), { refresh: false });
            s.configHost(h);
            s.config("name", "appa");
            s.config("source", src("intruder"));
            const files = "/etc/apache2/modwsgi.d/10-daemon-appa.conf /etc/apache2/modwsgi.d/2*-app-appa.conf";
            const before = ssh(h, `sha256sum ${files}; readlink /srv/modwsgi/appa/current`).stdout;
            const out = s.run(["up", "--yes", "--skip-preview"], "fail");
            expect(out).toMatch(
                /DaemonProcess\.name: daemon process group "appa" on \S+ belongs to stack test of project loadbase/,
            );
            expect(ssh(h, `sha256sum ${files}; readlink /srv/modwsgi/appa/current`).stdout).toBe(before);
            expect((await get(urls[0])).body).toMatch(/^(Hello|Release \d) from Flask/);
            s.run(["destroy", "--yes", "--skip-preview"]);
            expect(ssh(h, `sha256sum ${files}; readlink /srv/modwsgi/appa/current`).stdout).toBe(before);
            expect((await get(urls[0])).body).toMatch(/^(Hello|Release \d) from Flask/);
        },
    );
});
