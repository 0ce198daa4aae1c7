// One writer per host: every native operation that changes the host holds the host lock for its whole run,
// across provider processes; a waiter says whom it waits for, gives up naming the holder, and the host's apply
// log shows begin/end pairs that never interleave.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as scripts from "../../provider/remote/scripts";
import { applyConfig } from "../../provider/remote/apply";
import { checked, type ExecResult, type RemoteHost } from "../../provider/remote/host";
import { appDir, STAGE_ROOT } from "../../provider/layout";
import { FakeHost } from "../fakeHost";

// The documented host paths (README, "How a change is applied").
const LOCK = "/run/lock/modwsgi.lock";
const LOG = "/var/log/modwsgi/apply.log";
const CHANGING = ["apply-config", "build-module", "deploy-app", "sync-venv", "distro-module", "ensure-packages"];
const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    for (const end = Date.now() + ms; !cond(); await sleep(20)) if (Date.now() > end) throw new Error(`no ${what}`);
}

/** A RemoteHost that keeps every result (runScript returns only the facts; the waiting line is on stderr). */
function recording(host: FakeHost): RemoteHost & { results: ExecResult[] } {
    const results: ExecResult[] = [];
    return {
        name: host.name,
        results,
        exec: async (command, opts = {}) => {
            const r = await host.exec(command, { ...opts, nothrow: true });
            results.push(r);
            return checked(host.name, command, r, opts);
        },
        writeFile: (p, data, mode) => host.writeFile(p, data, mode),
    };
}

/** deploy-app arguments for a loader-only deploy of app `name` (fast, changes the host). */
function deployArgs(host: FakeHost, name: string): string[] {
    const stage = `${STAGE_ROOT}/test-${name}`;
    host.put(`${stage}/wsgi.py`, `# loader of ${name}\n`);
    // The release is already on the host: deploy-app switches to it without an upload.
    host.put(`${appDir(name)}/releases/${"0".repeat(64)}/app.wsgi`, "application = None\n");
    return [appDir(name), stage, "0".repeat(64), "www-data", "", "5", ""];
}

/** apache2ctl -t marks that a transaction is inside its configtest, then takes `seconds`. */
function slowConfigtest(host: FakeHost, seconds: number): void {
    fs.renameSync(path.join(host.stubs, "apache2ctl"), path.join(host.stubs, "apache2ctl.real"));
    host.stub(
        "apache2ctl",
        `#!/bin/sh\nif [ "$*" = "-t" ]; then touch "$FAKE_ROOT/.in-configtest"; sleep ${seconds}; fi\n` +
            `exec "$FAKE_ROOT/.stubs/apache2ctl.real" "$@"\n`,
    );
}

/** The apply log's lines as [event, op, rc] (rc empty for begin); each line must carry time and holder. */
function logEvents(host: FakeHost): string[][] {
    const text = host.file(LOG);
    expect(text, `${LOG} exists`).toBeDefined();
    return text!
        .trim()
        .split("\n")
        .map((line) => {
            const m = new RegExp(`^${ISO} (begin|end) (\\S+)(?: rc=(\\d+))? holder=\\S.*$`).exec(line);
            expect(m, line).not.toBeNull();
            return [m![1], m![2], m![3] ?? ""];
        });
}

describe("host lock: one writer per host", () => {
    let host: FakeHost;
    let holderProcess: ChildProcess | undefined;
    const savedWait = process.env.MODWSGI_LOCK_WAIT;

    /** Another process (not a modwsgi script) holds the lock until killed or `seconds` pass. */
    async function holdLock(seconds: number): Promise<void> {
        const lock = host.local(LOCK);
        fs.mkdirSync(path.dirname(lock), { recursive: true });
        holderProcess = spawn("flock", [lock, "sleep", String(seconds)], { stdio: "ignore" });
        await until(() => spawnSync("flock", ["-n", lock, "true"]).status !== 0, "lock taken by the holder");
    }

    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => {
        if (holderProcess?.exitCode === null) holderProcess.kill();
        holderProcess = undefined;
        if (savedWait === undefined) delete process.env.MODWSGI_LOCK_WAIT;
        else process.env.MODWSGI_LOCK_WAIT = savedWait;
        scripts.setHolder(scripts.holderFromUrn("", process.pid, os.hostname()));
        host.cleanup();
    });

    it("(a) an operation waits while another process holds the lock, says so once, and proceeds after", async () => {
        const spy = recording(host);
        await holdLock(2);
        const t0 = Date.now();
        await scripts.runScript(spy, "deploy-app", deployArgs(host, "a"));
        expect(Date.now() - t0).toBeGreaterThan(1200);
        expect(host.file("/srv/modwsgi/a/wsgi.py")).toBe("# loader of a\n");
        const stderr = spy.results.map((r) => r.stderr).join("");
        expect(stderr.match(/waiting for /g) ?? []).toHaveLength(1);
    });

    it("(b) with a short wait it fails naming the holder: operation, stack, project, pid, machine, since when", async () => {
        host.cleanup();
        host = new FakeHost({ concurrent: true });
        slowConfigtest(host, 3);
        scripts.setHolder(
            scripts.holderFromUrn("urn:pulumi:dev::shop::modwsgi:index:DaemonProcess::web", 4242, "laptop-7"),
        );
        const first = applyConfig(
            host,
            [{ op: "put", target: "/etc/apache2/modwsgi.d/x.conf", content: "#\n" }],
            "none",
        );
        await until(() => host.exists("/.in-configtest"), "configtest of the first transaction");
        process.env.MODWSGI_LOCK_WAIT = "1";
        const t0 = Date.now();
        await expect(scripts.runScript(host, "deploy-app", deployArgs(host, "b"))).rejects.toThrow(
            new RegExp(
                "another modwsgi operation holds this host: apply-config for stack dev of project shop " +
                    `by pulumi-resource-modwsgi pid 4242 on laptop-7, since ${ISO}; gave up after 1 s`,
            ),
        );
        expect(Date.now() - t0).toBeLessThan(2800);
        await first;
        // The waiter never held the lock: the log has the first transaction alone, and no trace of deploy-app.
        expect(logEvents(host)).toEqual([
            ["begin", "apply-config", ""],
            ["end", "apply-config", "0"],
        ]);
        expect(host.exists("/srv/modwsgi/b/wsgi.py")).toBe(false);
    });

    it.each(CHANGING)("(b) %s takes the lock before it does anything", async (op) => {
        await holdLock(20);
        process.env.MODWSGI_LOCK_WAIT = "1";
        let args: string[] = [];
        if (op === "apply-config") {
            host.put(`${STAGE_ROOT}/t-apply/manifest`, "");
            args = [`${STAGE_ROOT}/t-apply`, "none", STAGE_ROOT];
        }
        await expect(scripts.runScript(host, op, args)).rejects.toThrow(
            /another modwsgi operation holds this host: .*; gave up after 1 s/,
        );
    });

    it.each([
        ["probe", []],
        ["venv-facts", ["/opt/modwsgi/envs/none"]],
        ["module-facts", ["/opt/modwsgi/module/none.so", "/opt/modwsgi/module/none"]],
    ])("%s only reads: it does not wait for the lock", async (op, args) => {
        await holdLock(20);
        const t0 = Date.now();
        const r = await host.exec(scripts.scriptCommand(args), { stdin: scripts.scriptSource(op), nothrow: true });
        expect(r.stderr).not.toMatch(/waiting for/);
        expect(Date.now() - t0).toBeLessThan(1000);
    });

    it("(c) concurrent transactions from two provider processes and a deploy never interleave in the apply log", async () => {
        host.cleanup();
        host = new FakeHost({ concurrent: true });
        const other = new FakeHost({ concurrent: true, sameHostAs: host });
        slowConfigtest(host, 1);
        const started = Date.now();
        const a = applyConfig(host, [{ op: "put", target: "/etc/apache2/modwsgi.d/a.conf", content: "#a\n" }], "none");
        const b = applyConfig(other, [{ op: "put", target: "/etc/apache2/modwsgi.d/b.conf", content: "#b\n" }], "none");
        await until(() => host.exists("/.in-configtest"), "a transaction in its configtest");
        const c = scripts.runScript(host, "deploy-app", deployArgs(host, "c"));
        await Promise.all([a, b, c]);
        // Two configtests of 1 s each, one after the other.
        expect(Date.now() - started).toBeGreaterThan(2000);
        const events = logEvents(host);
        expect(events).toHaveLength(6);
        for (let i = 0; i < events.length; i += 2) {
            expect(events[i][0], `line ${i + 1} begins`).toBe("begin");
            expect(events[i + 1], `line ${i + 2} ends what line ${i + 1} began`).toEqual(["end", events[i][1], "0"]);
        }
        expect(events.filter((e) => e[0] === "begin").map((e) => e[1])).toEqual(
            expect.arrayContaining(["apply-config", "apply-config", "deploy-app"]),
        );
        expect(host.file("/etc/apache2/modwsgi.d/a.conf")).toBe("#a\n");
        expect(host.file("/etc/apache2/modwsgi.d/b.conf")).toBe("#b\n");
        expect(host.file("/srv/modwsgi/c/wsgi.py")).toBe("# loader of c\n");
    });
});

describe("holderFromUrn (pure)", () => {
    const proc = "pulumi-resource-modwsgi pid 4242 on laptop-7";
    it.each([
        ["urn:pulumi:dev::shop::modwsgi:index:DaemonProcess::web", "laptop-7", `stack dev of project shop by ${proc}`],
        [
            "urn:pulumi:prod-eu.1::my_site::pulumi:pulumi:Stack$modwsgi:index:Application::api",
            "laptop-7",
            `stack prod-eu.1 of project my_site by ${proc}`,
        ],
        // A name may contain "::"; only stack and project matter.
        ["urn:pulumi:dev::shop::modwsgi:index:Application::a::b", "laptop-7", `stack dev of project shop by ${proc}`],
        // Nothing outside [A-Za-z0-9._@:/ -] survives, from the URN or the machine's name.
        [
            "urn:pulumi:de$(x)v::sh`op'\n::t::n",
            "evil;host\n(x)",
            "stack de__x_v of project sh_op__ by pulumi-resource-modwsgi pid 4242 on evil_host__x_",
        ],
        // Not a resource URN (a request without one): the process alone.
        ["", "laptop-7", proc],
        ["urn:pulumi:dev", "laptop-7", proc],
        ["something else", "laptop-7", proc],
        ["urn:pulumi:::::t::n", "", "pulumi-resource-modwsgi pid 4242 on unknown"],
    ])("%j on %j -> %j", (urn, hostname, want) => {
        expect(scripts.holderFromUrn(urn, 4242, hostname)).toBe(want);
    });

    it("stays short whatever the URN", () => {
        const h = scripts.holderFromUrn(
            `urn:pulumi:${"s".repeat(500)}::${"p".repeat(500)}::t::n`,
            4242,
            "h".repeat(500),
        );
        expect(h.length).toBeLessThanOrEqual(240);
        expect(h).toMatch(/^stack s+ of project p+ by pulumi-resource-modwsgi pid 4242 on h+$/);
        expect(h).toMatch(/^[A-Za-z0-9._@:/ -]+$/);
    });
});
