// What both tools' phases share: the scaling grid's cells in the order our stack reaches them with the least
// churn, the per-cell no-op check, the code-only change (P2) and the fresh-host converge (P3).
import process from "node:process";
import { fresh, inHost, loginsOf } from "./hosts.mjs";
import { answer, reloadsOf } from "./hostfacts.mjs";
import { say, stats } from "./proc.mjs";
import { setRevision } from "./sources.mjs";
import { compilerWatch, wrkDuring } from "./watch.mjs";

export const cellName = ([h, a]) => `${h}x${a}`;

/** P1's two cells; P2 runs at the second, and the per-resource slope runs from the first to SLOPE_END. */
export const P1_CELLS = ["1x1", "3x10"];
export const P2_CELL = "3x10";
export const SLOPE_END = "1x10";

/**
 * BENCH_CELLS ("1x1,1x10,3x10"): each cell 1-5 hosts by 1-10 apps, with P1's 1x1 and 3x10 (where our P2 runs) and
 * the time split's 1x10 among them, checked before any host is touched rather than found missing at the table.
 */
export function parseCells(spec) {
    const cells = spec.split(",").map((c) => {
        const m = /^([1-5])x([1-9]|10)$/.exec(c.trim());
        if (!m) throw new Error(`BENCH_CELLS: "${c}" is not HOSTSxAPPS with 1-5 hosts and 1-10 apps (e.g. 3x10)`);
        return [Number(m[1]), Number(m[2])];
    });
    const names = cells.map(cellName);
    for (const must of [...P1_CELLS, SLOPE_END])
        if (!names.includes(must))
            throw new Error(
                `BENCH_CELLS must include 1x1, 1x10 and 3x10 (P1, P2 and the time split use them): ${spec}`,
            );
    return cells;
}

/** [hosts, apps]: up the apps on one host, out to five hosts, then down again; 1x1 and 3x10 are P1's cells. */
export const CELLS = process.env.BENCH_CELLS
    ? parseCells(process.env.BENCH_CELLS)
    : [
          [1, 1],
          [1, 5],
          [1, 10],
          [3, 10],
          [5, 10],
          [5, 5],
          [5, 1],
          [3, 1],
          [3, 5],
      ];

/**
 * Runs per figure: BENCH_RUNS (default 5) for every figure, but BENCH_P3_RUNS for P3 and BENCH_SCALING_RUNS
 * (default 1) for the scaling cells other than P1's 1x1 and 3x10 (see cellRuns). Those show how each tool's cost
 * grows; five runs of each would add about 20-40 minutes of Ansible's checks (3 to 5 hosts x 5 to 10 apps take it
 * 12 to 90 s a run here) to a run bounded at 30 minutes.
 */
export function runsOf(figure) {
    const all = Number(process.env.BENCH_RUNS ?? 5);
    const own = { P3: process.env.BENCH_P3_RUNS, scaling: process.env.BENCH_SCALING_RUNS ?? "1" }[figure];
    return own ? Number(own) : all;
}

/**
 * Runs of a scaling cell for `tool` ("ours" or "ansible"): P1's cells (1x1, 3x10) get BENCH_RUNS, and so does our
 * 1x10, the far end of the per-resource slope (a figure of ours alone; about 3 s a run).
 */
export function cellRuns(cell, tool) {
    const name = cellName(cell);
    const full = P1_CELLS.includes(name) || (tool === "ours" && name === SLOPE_END);
    return full ? runsOf("P1") : runsOf("scaling");
}

/** `runs` timed no-op checks (check() returns {seconds}); SSH logins counted on `hosts` around each. */
export function noopChecks(hosts, runs, check) {
    const seconds = [];
    const handshakes = [];
    for (let r = 0; r < runs; r++) {
        const before = loginsOf(hosts);
        seconds.push(check().seconds);
        handshakes.push(loginsOf(hosts) - before);
    }
    return { seconds: stats(seconds), handshakes: stats(handshakes, 0) };
}

/**
 * P2: `runs` code-only changes of app 1, each deployed by deploy() while wrk loads app 1 on the first host;
 * Apache's graceful reloads counted on every host, and the new greeting checked on every host after each run.
 * `label` names the series in the log.
 */
export async function codeChanges(hosts, runs, deploy, label = "P2") {
    const seconds = [];
    const reloads = [];
    const failed = [];
    const requests = [];
    for (let r = 1; r <= runs; r++) {
        const want = setRevision(r);
        const load = wrkDuring(`http://${hosts[0].address}/app1/`);
        const before = reloadsOf(hosts);
        seconds.push(deploy().seconds);
        const w = await load.stop();
        reloads.push(reloadsOf(hosts) - before);
        failed.push(w.failed);
        requests.push(w.requests);
        for (const h of hosts) {
            const got = answer(`http://${h.address}/app1/`);
            if (!got.startsWith(want))
                throw new Error(`${label} run ${r}: ${h.name} serves "${got}", not "${want} ..."`);
        }
        say(
            `  ${label} run ${r}: ${seconds.at(-1).toFixed(1)} s, ${reloads.at(-1)} reloads, ${w.failed}/${w.requests} failed`,
        );
    }
    return {
        seconds: stats(seconds),
        apacheReloads: stats(reloads, 0),
        failedRequests: stats(failed, 0),
        requestsDuringDeploy: stats(requests, 0),
    };
}

/**
 * P3: `runs` converges of a fresh host (new overlay, and pip's cache on the host left empty, so mod_wsgi is
 * compiled), then a re-run with nothing changed; C compiler processes counted in each. converge(h, run) does one.
 */
export function freshConverges(h, runs, converge) {
    const first = [];
    const again = [];
    const compilesFirst = [];
    const compilesAgain = [];
    let served = "";
    for (let r = 1; r <= runs; r++) {
        fresh(h.num);
        // The sandbox mounts one pip cache shared by all hosts on /root/.cache/pip: out of the way, this host's
        // pip starts with an empty cache of its own.
        inHost(h, ["umount", "/root/.cache/pip"]);
        let cc = compilerWatch(h);
        first.push(converge(h, r).seconds);
        compilesFirst.push(cc.stop());
        cc = compilerWatch(h);
        again.push(converge(h, r).seconds);
        compilesAgain.push(cc.stop());
        served = answer(`http://${h.address}/app1/`);
        say(
            `  P3 run ${r}: ${first.at(-1).toFixed(1)} s (cc1 x${compilesFirst.at(-1)}), again ${again.at(-1).toFixed(1)} s`,
        );
    }
    return {
        result: {
            seconds: stats(first),
            compilerProcesses: stats(compilesFirst, 0),
            rerunSeconds: stats(again),
            rerunCompilerProcesses: stats(compilesAgain, 0),
        },
        served,
    };
}
