// npm run bench (through bench/run.sh): both tools on the same five sandbox hosts, one after the other, each
// phase starting from fresh hosts. Prints a table and writes bench/results/<date>.json and latest.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, fresh, host, hostNumbers } from "./lib/hosts.mjs";
import { physicalFloor } from "./lib/floor.mjs";
import { ours } from "./lib/ours.mjs";
import { say } from "./lib/proc.mjs";
import { derive, loadAverage, machineFacts, table, timeSplit, writeResults } from "./lib/report.mjs";
import { serving } from "./lib/serve.mjs";
import { resetSources } from "./lib/sources.mjs";
import { theirs } from "./lib/theirs.mjs";
import { runsOf } from "./lib/grid.mjs";
import { P2_LOAD } from "./lib/watch.mjs";

const runs = runsOf("P1");
const started = Date.now();
const res = {
    date: new Date().toISOString(),
    runs: { default: runs, P3: runsOf("P3"), otherScalingCells: runsOf("scaling") },
    p2Load: P2_LOAD,
    loadAverage: { start: loadAverage() },
    machine: machineFacts(),
};

const nums = hostNumbers();
say(`fresh hosts h${nums.join(", h")}`);
// down-one + up-one: a host not running is just started.
const freshAll = () => nums.forEach((i) => fresh(i));
freshAll();
let hosts = nums.map(host);

resetSources();
const o = await ours(hosts, runs);
res.P4 = serving(hosts[0], runs);
const floor = physicalFloor(hosts[0], runs);
// Kept in case the Ansible phase fails: our figures are not lost with it.
fs.mkdirSync(path.join(REPO, "bench/.work"), { recursive: true });
fs.writeFileSync(
    path.join(REPO, "bench/.work/ours.json"),
    JSON.stringify({ ...res, ours: { ...o, stack: undefined } }, null, 2),
);

say("fresh hosts for the Ansible phase");
freshAll();
hosts = nums.map(host);
resetSources();
const t = await theirs(hosts, runs);
if (t.served !== o.served) throw new Error(`the two tools serve different answers:\n  ${o.served}\n  ${t.served}`);

Object.assign(res, derive(o, t), { servedAnswer: o.served, split: timeSplit(o, floor) });
res.loadAverage.end = loadAverage();
res.durationSeconds = Math.round((Date.now() - started) / 1000);
// The figures first, the run's facts after them.
const { date, runs: n, p2Load, loadAverage: la, machine, durationSeconds, ...figures } = res;
const ordered = { date, runs: n, p2Load, durationSeconds, loadAverage: la, machine, ...figures };
await writeResults(ordered);
console.log(table(ordered));
say(`done in ${res.durationSeconds} s; results in bench/results/latest.json`);
