// The sandbox hosts the bench uses (h21..h25 by default): start, restart fresh, SSH, and sshd's own log.
import process from "node:process";
import * as fs from "node:fs";
import * as path from "node:path";
import { run, say } from "./proc.mjs";

export const REPO = path.resolve(import.meta.dirname, "../..");
const SANDBOX = path.join(REPO, "test/sandbox/sandbox.sh");
const RUN = "/run/modwsgi-sandbox";

/** Host numbers from BENCH_HOSTS ("21-25" or "21,22,..."), five at most. */
export function hostNumbers() {
    const spec = process.env.BENCH_HOSTS ?? "21-25";
    const m = /^(\d+)-(\d+)$/.exec(spec);
    const nums = m
        ? Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i)
        : spec.split(",").map(Number);
    if (nums.length !== 5 || nums.some((n) => !Number.isInteger(n) || n < 1)) {
        throw new Error(`BENCH_HOSTS must name five host numbers, e.g. 21-25: ${spec}`);
    }
    return nums;
}

export function upOne(i) {
    run([SANDBOX, "up-one", String(i)], { timeoutS: 300 });
}

/** Stops hI and starts it again from the rootfs: a fresh host (its overlay is removed by the stop). */
export function fresh(i) {
    const t0 = Date.now();
    run([SANDBOX, "down-one", String(i)], { timeoutS: 120 });
    const t1 = Date.now();
    upOne(i);
    say(`  h${i} fresh: stop ${((t1 - t0) / 1000).toFixed(1)} s, start ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}

export function host(i) {
    const h = JSON.parse(run([SANDBOX, "status", "--json"]).out.trim()).find((x) => x.name === `h${i}`);
    if (!h || !h.running) throw new Error(`sandbox host h${i} is not running`);
    return { name: h.name, num: i, address: h.address, hostKey: h.hostKey, privateKeyFile: h.privateKeyFile };
}

/** Runs a shell command on the host as root over OpenSSH (counted in its sshd log like any login). */
export function ssh(h, command, opts = {}) {
    return run([SANDBOX, "ssh", h.name, command], { timeoutS: 300, ...opts });
}

/** Runs argv inside the host's namespaces without SSH (not counted as a login). */
export function inHost(h, argv, opts = {}) {
    const pid = fs.readFileSync(`${RUN}/${h.name}/pid`, "utf8").trim();
    const p1 = run(["pgrep", "-P", pid]).out.trim().split("\n")[0];
    return run(["nsenter", "--target", p1, "--mount", "--uts", "--net", "--pid", "--root", "--wd", ...argv], {
        timeoutS: 600,
        ...opts,
    });
}

/** Logins sshd on the host accepted so far, from its own log on this machine (as test/e2e/harness.ts does). */
export function acceptedLogins(h) {
    const log = fs.readFileSync(`${RUN}/${h.name}/sshd.log`, "utf8");
    return (log.match(/^Accepted (publickey|password) for /gm) ?? []).length;
}

export const loginsOf = (hosts) => hosts.reduce((n, h) => n + acceptedLogins(h), 0);
