// Running commands with a bound on time, and timing them from outside.
import process from "node:process";
import { spawnSync } from "node:child_process";

/** Runs argv; throws with its output unless it exits 0 (or `allowFail`). Returns output and wall seconds. */
export function run(argv, { cwd, env, input, timeoutS = 1200, allowFail = false } = {}) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), {
        cwd,
        env,
        input,
        encoding: "utf8",
        timeout: timeoutS * 1000,
        maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const out = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
    if (r.status !== 0 && !allowFail) {
        throw new Error(
            `${argv.slice(0, 3).join(" ")} ... exited ${r.status ?? r.signal} after ${seconds.toFixed(1)} s\n${out.slice(-4000)}`,
        );
    }
    return { code: r.status ?? -1, out, seconds };
}

/** Median, min and max of numbers, rounded to `digits`. */
export function stats(xs, digits = 3) {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    const r = (x) => Number(x.toFixed(digits));
    return { median: r(mid), min: r(s[0]), max: r(s[s.length - 1]), n: s.length };
}

export function say(msg) {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
