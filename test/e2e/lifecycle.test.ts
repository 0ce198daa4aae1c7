// The walking skeleton end to end, with real parts only: the pinned Pulumi CLI runs the quickstart
// program (examples/flask-hello) through our plugin, over SSH, against a sandbox Debian host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh, type SandboxHost } from "./harness";

const DAEMON_FILE = "/etc/apache2/modwsgi.d/10-daemon-hello.conf";
const MANAGED = [DAEMON_FILE, "/etc/apache2/modwsgi.d/28-app-hello.conf", "/etc/apache2/mods-enabled/modwsgi.load"];
const STEP = 15 * 60_000;

let host: SandboxHost;
let stack: Stack;
let url: string;

function hostRun(command: string): string {
    const r = ssh(host, command);
    if (r.code !== 0) throw new Error(`ssh ${command}: exit ${r.code}\n${r.stderr}`);
    return r.stdout;
}

const daemonLine = () => hostRun(`grep '^WSGIDaemonProcess' ${DAEMON_FILE}`).trim();

/** OS threads of one live (wsgi:hello) process: mod_wsgi starts `threads` workers plus a fixed few of its own. */
function liveThreads(): number {
    const out = hostRun(`pid=$(pgrep -f '^\\(wsgi:hello\\)' | head -n 1) && grep '^Threads:' /proc/$pid/status`);
    return Number(out.split(/\s+/)[1]);
}

beforeAll(() => {
    host = sandboxHost("h1");
    stack = new Stack("lifecycle", path.join(REPO, "examples/flask-hello"));
});

// Leave the host clean even when a step failed half-way.
afterAll(destroyStacks);

describe("quickstart lifecycle on a sandbox host", () => {
    let baseThreads = 0;

    it("pulumi up serves the Flask app through mod_wsgi 6.1.1 in daemon mode", { timeout: STEP }, async () => {
        const out = stack.up();
        // The build says whether it compiled; either way pip's cache now holds the wheel for the next host.
        expect(out).toMatch(
            /mod_wsgi 6\.1\.1 for Python 3\.11\.\d+: (compiled from the PyPI source|installed from the wheel pip built earlier \(no compile\))/,
        );
        expect(hostRun("/opt/modwsgi/envs/hello/bin/pip cache list 'mod_wsgi-6.1.1-*'")).toMatch(
            /mod_wsgi-6\.1\.1-cp311-cp311-linux_x86_64\.whl/,
        );
        url = stack.output("url");
        const res = await get(url);
        expect(res.status).toBe(200);
        expect(res.body).toMatch(/^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'hello'/);
        expect(stack.output("modWsgiVersion")).toBe("6.1.1");
        expect(stack.output("pythonAbi")).toBe("cpython-311-x86_64-linux-gnu");
        // Apache itself says which module it loaded.
        expect(hostRun("grep -o 'mod_wsgi/[0-9.]* Python/[0-9.]*' /var/log/apache2/error.log | tail -n 1")).toMatch(
            /^mod_wsgi\/6\.1\.1 Python\/3\.11/,
        );
        expect(daemonLine()).toMatch(/ threads=5 /);
        baseThreads = liveThreads();
        // Static files come from Apache (no Flask route serves them); Authorization reaches the app.
        expect((await get(`${url}static/hello.txt`)).body).toBe("static file served by Apache, not by Python\n");
        const auth = await get(`${url}auth`, 200, 30, { Authorization: "Bearer e2e-token" });
        expect(JSON.parse(auth.body)).toEqual({ authorization: "Bearer e2e-token" });
    });

    it("pulumi preview --expect-no-changes passes right after up", { timeout: STEP }, () => {
        stack.run(["preview", "--expect-no-changes"]);
        stack.run(["preview", "--refresh", "--expect-no-changes"]);
    });

    it("the stack state holds the SSH private key only encrypted", { timeout: STEP }, () => {
        const body = fs.readFileSync(host.privateKeyFile, "utf8").trim().split("\n").slice(1, -1);
        const state = stack.run(["stack", "export"]);
        expect(state).toContain("ciphertext");
        for (const line of body) expect(state).not.toContain(line);
    });

    it("a bad value fails preview naming the property, before anything touches the host", { timeout: STEP }, () => {
        const before = hostRun(`cat ${DAEMON_FILE}`);
        stack.config("threads", "-1");
        const out = stack.run(["preview"], "fail");
        expect(out).toMatch(/DaemonProcess\.threads: Too small: expected number to be >=0/);
        expect(hostRun(`cat ${DAEMON_FILE}`)).toBe(before);
    });

    it("changing threads reaches the live daemon and the app keeps answering", { timeout: STEP }, async () => {
        stack.config("threads", "7");
        stack.up();
        expect(daemonLine()).toMatch(/ threads=7 /);
        expect((await get(url)).status).toBe(200);
        expect(liveThreads()).toBe(baseThreads + 2);
    });

    it("a hand edit of a managed file is drift: preview --refresh fails, up repairs it", { timeout: STEP }, () => {
        hostRun(`sed -i 's/ threads=7 / threads=3 /' ${DAEMON_FILE}`);
        const out = stack.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail");
        expect(out).toMatch(/threads\s*:\s*3\s*=>\s*7/);
        stack.up();
        expect(daemonLine()).toMatch(/ threads=7 /);
        stack.run(["preview", "--refresh", "--expect-no-changes"]);
    });

    it(
        "a config Apache rejects fails with Apache's message and the host keeps the last good config",
        { timeout: STEP },
        async () => {
            const before = hostRun(`cat ${DAEMON_FILE}`);
            stack.config("daemonUser", "nosuchuser");
            const out = stack.run(["up", "--yes", "--skip-preview"], "fail");
            expect(out).toMatch(/Apache rejected the configuration/);
            expect(out).toMatch(/nosuchuser/);
            expect(hostRun(`cat ${DAEMON_FILE}`)).toBe(before);
            expect((await get(url)).status).toBe(200);
            stack.run(["config", "rm", "daemonUser"]);
            stack.run(["preview", "--refresh", "--expect-no-changes"]);
        },
    );

    it(
        "pulumi destroy removes our files; Apache keeps running and the mount answers 404",
        { timeout: STEP },
        async () => {
            stack.run(["destroy", "--yes", "--skip-preview"]);
            for (const f of MANAGED) expect(ssh(host, `test -e ${f}`).code, f).not.toBe(0);
            expect(hostRun("pgrep -c -x apache2").trim()).not.toBe("0");
            expect((await get(url, 404)).status).toBe(404);
        },
    );
});
