// mod_wsgi 6 in operation (issue 13), on h26 (Debian 12) and h27 (Debian 13): the Telemetry service and its UI,
// getStatus as a stack output, a stuck request ended by request-timeout + interrupt-timeout, per-interpreter GIL.
import { afterAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh, startWrk, type SandboxHost } from "./harness";
import { effectiveRequestTimeout } from "../../provider/resources/daemonProcess/timeouts";
import type { Status } from "../../provider/functions/status";

const STEP = 30 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterAll(destroyStacks);

/** The UI's answer on the host's loopback, as curl there sees it. */
const uiStatus = (h: SandboxHost) =>
    ssh(h, "curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:8888/").stdout.trim();
const ingesterPid = (h: SandboxHost) => ssh(h, "pgrep -f '[m]od_wsgi-telemetry serve' || true").stdout.trim();

async function until(what: string, ok: () => boolean | Promise<boolean>, seconds = 30) {
    for (let i = 0; i < seconds * 2; i++) {
        if (await ok()) return;
        await sleep(500);
    }
    throw new Error(`${what}: not within ${seconds} s`);
}

describe("ops13 on h26 (Debian 12)", () => {
    it(
        "telemetry: wrk burst counted by getStatus, UI on loopback, supervised, killed = drift, up restarts it; " +
            "a stuck request ends in a 504 by request-timeout + interrupt-timeout, the daemon living on",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h26");
            const stack = new Stack("ops13", path.join(REPO, "test/e2e/programs/ops13"));
            stack.configHost(h);
            stack.up();
            const url = stack.output("url");
            expect((await get(url)).status).toBe(200);
            expect(stack.output("telemetrySupervisor")).toBe("loop"); // the sandbox's PID 1 is not systemd
            expect(uiStatus(h)).toBe("200");

            // A burst, then a second up: the program's getStatus output is what the host reports now.
            const wrk = startWrk(url, 8, 60);
            await sleep(8000);
            const burst = await wrk.stop();
            expect(burst.requests).toBeGreaterThan(100);
            await sleep(3000); // a sample interval or two for the ingester
            stack.up();
            const status = JSON.parse(stack.run(["stack", "output", "status", "--json"])) as Status;
            console.log(`wrk: ${burst.requests} requests; getStatus: ${JSON.stringify(status)}`);
            expect(status.telemetry).toBe("on");
            expect(status.modWsgiVersion).toBe("6.1.1");
            expect(status.pythonVersion).toMatch(/^3\.11\b/); // the start line names X.Y
            expect(status.apacheVersion).toMatch(/^2\.4\./);
            const ops = status.groups.find((g) => g.name === "ops")!;
            expect(ops.configuredProcesses).toBe(1);
            expect(ops.threads).toBe(2);
            expect(ops.liveProcesses).toBe(1);
            expect(ops.processes[0].pid).toBeGreaterThan(1);
            expect(ops.processes[0].rssKib).toBeGreaterThan(1000);
            expect(ops.requests).toBeGreaterThan(0);

            // Supervised: the ingester killed alone comes back (a new process) within seconds.
            const first = ingesterPid(h);
            expect(first).toMatch(/^\d+$/);
            ssh(h, `kill ${first}`);
            await until(
                "the supervisor restarts the ingester",
                () => /^\d+$/.test(ingesterPid(h)) && ingesterPid(h) !== first,
            );
            await until("the UI answers again", () => uiStatus(h) === "200");
            // Independent of Apache: a full restart leaves it alone.
            const before = ingesterPid(h);
            expect(ssh(h, "apache2ctl restart").code).toBe(0);
            await sleep(2000);
            expect(ingesterPid(h)).toBe(before);

            // Stopped (the supervisor and its ingester): drift naming `running`, and up starts it again.
            ssh(h, "kill $(cat /run/modwsgi-telemetry.pid)");
            await until("the service is gone", () => ingesterPid(h) === "");
            const preview = stack.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail");
            expect(preview).toMatch(/running/);
            stack.up();
            expect(uiStatus(h)).toBe("200");
            stack.run(["preview", "--refresh", "--expect-no-changes"]);

            // request-timeout 5 s, 2 threads: acted on at 5 x (1 + ln 2) = 8.5 s; the injected exception unwinds.
            const pid = (await get(url)).body.trim();
            const effective = effectiveRequestTimeout(5, 2);
            const t0 = Date.now();
            const slow = await fetch(`${url}slow`, { signal: AbortSignal.timeout(60_000) });
            const elapsed = (Date.now() - t0) / 1000;
            console.log(
                `slow request: HTTP ${slow.status} after ${elapsed.toFixed(2)} s (effective ${effective.toFixed(2)} s)`,
            );
            expect(slow.status).toBe(504);
            expect(elapsed).toBeGreaterThanOrEqual(5);
            // mod_wsgi's monitor looks once a second or so: the 504 comes within a few seconds of the figure.
            expect(elapsed).toBeLessThan(effective + 3);
            const after = await get(url);
            expect(after.status).toBe(200);
            expect(after.body.trim()).toBe(pid);
            // The ingester kept it as a slow request (WSGISlowRequests 2): getStatus counts it for the group.
            stack.up();
            const later = JSON.parse(stack.run(["stack", "output", "status", "--json"])) as Status;
            expect(later.groups.find((g) => g.name === "ops")!.slowRequests).toBeGreaterThanOrEqual(1);

            // socket-timeout below the effective request timeout: preview warns (and still succeeds).
            stack.config("socketTimeout", "8");
            expect(stack.run(["preview"])).toMatch(/DaemonProcess ops: the effective request timeout is 8\.5 s/);
            stack.run(["config", "rm", "socketTimeout"]);
        },
    );
});

describe("ops13 on h27 (Debian 13)", () => {
    it(
        "two application groups with perInterpreterGil run in distinct interpreters, each with its own GIL",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h27");
            expect(ssh(h, ". /etc/os-release; echo $VERSION_ID").stdout.trim()).toBe("13");
            const stack = new Stack("ops13gil", path.join(REPO, "test/e2e/programs/ops13gil"));
            stack.configHost(h);
            stack.up();
            const urls = JSON.parse(stack.run(["stack", "output", "urls", "--json"])) as string[];
            const seen = [];
            for (const u of urls) {
                const r = await get(`${u}gil`);
                expect(r.status).toBe(200);
                seen.push(JSON.parse(r.body));
            }
            console.log(`interpreters: ${JSON.stringify(seen)}`);
            const [a, b, shared] = seen;
            expect(a.python).toMatch(/^3\.13\./);
            expect(a.pid).toBe(b.pid); // one daemon process, three sub-interpreters
            expect(new Set([a.interpreter, b.interpreter, shared.interpreter]).size).toBe(3);
            expect(a.interpreter).toBeGreaterThan(0); // not the main interpreter
            expect(a.gil).toBe("own");
            expect(b.gil).toBe("own");
            expect(shared.gil).toBe("shared");
            stack.run(["preview", "--refresh", "--expect-no-changes"]);
        },
    );
});
