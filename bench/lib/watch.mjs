// Things watched while a tool runs, from this machine: wrk load on a URL, and the C compiler on a host.
import process from "node:process";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./hosts.mjs";
import { run } from "./proc.mjs";

const WORK = path.join(REPO, "bench/.work");

/** Parses wrk's summary: requests, failed (non-2xx/3xx + socket errors), req/s and p99 (ms, from --latency). */
export function parseWrk(text) {
    const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const s = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
    const socketErrors = s ? s.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
    const p99m = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
    const p99 = p99m ? Number(p99m[1]) * { us: 0.001, ms: 1, s: 1000 }[p99m[2]] : NaN;
    return { requests, failed: non2xx + socketErrors, non2xx, socketErrors, rps, p99 };
}

/** wrk for a fixed time (the P4 figure): 2 threads, `connections` keep-alive connections, latency percentiles. */
export function wrkFixed(url, seconds, connections) {
    const r = run(["wrk", "-t2", `-c${connections}`, `-d${seconds}s`, "--latency", url], { timeoutS: seconds + 60 });
    return parseWrk(r.out);
}

/** The load while a tool deploys (P2): connections, and each one's pause between two requests (see wrkDuring). */
export const P2_LOAD = { wrkConnections: 8, paceMs: 20 };

/**
 * wrk in the background while a tool runs, paced: each of P2_LOAD's connections waits its paceMs between requests
 * (test/e2e/wrk-paced.lua), about 350 requests/s. Unpaced, wrk takes all the CPU the machine's 2 cores have left,
 * and the tool under test (its controller and the hosts share those cores) is timed against wrk rather than
 * against its own work. Its output goes to a file (the tools run with spawnSync, which blocks this process's
 * event loop); stop() interrupts it (wrk prints its summary on SIGINT) and parses the file.
 */
export function wrkDuring(url, connections = P2_LOAD.wrkConnections) {
    fs.mkdirSync(WORK, { recursive: true });
    const file = path.join(WORK, `wrk-${process.pid}-${Date.now()}.txt`);
    const fd = fs.openSync(file, "w");
    const script = path.join(REPO, "test/e2e/wrk-paced.lua");
    const child = spawn("wrk", ["-t1", `-c${connections}`, "-d900s", "-s", script, url], {
        stdio: ["ignore", fd, fd],
        env: { ...process.env, WRK_PACE_MS: String(P2_LOAD.paceMs) },
    });
    fs.closeSync(fd);
    return {
        stop: async () => {
            const closed = new Promise((resolve) => child.on("close", resolve));
            child.kill("SIGINT");
            await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
            const res = parseWrk(fs.readFileSync(file, "utf8"));
            fs.rmSync(file, { force: true });
            return res;
        },
    };
}

/**
 * Counts the C compiler processes (cc1) seen inside host `h` while a tool runs: a sampler shell loop polls the
 * host's PID namespace every 0.2 s (mod_wsgi's build runs cc1 for several seconds, one per source file).
 */
export function compilerWatch(h) {
    const pid = fs.readFileSync(`/run/modwsgi-sandbox/${h.name}/pid`, "utf8").trim();
    const p1 = run(["pgrep", "-P", pid]).out.trim().split("\n")[0];
    const file = path.join(WORK, `cc1-${h.name}-${Date.now()}.txt`);
    const fd = fs.openSync(file, "w");
    const loop = `while :; do nsenter --target ${Number(p1)} --pid --mount pgrep -x cc1; sleep 0.2; done`;
    const child = spawn("sh", ["-c", loop], { stdio: ["ignore", fd, "ignore"], detached: true });
    fs.closeSync(fd);
    return {
        stop: () => {
            try {
                process.kill(-child.pid, "SIGTERM");
            } catch {
                /* already gone */
            }
            const pids = new Set(fs.readFileSync(file, "utf8").split("\n").filter(Boolean));
            fs.rmSync(file, { force: true });
            return pids.size;
        },
    };
}
