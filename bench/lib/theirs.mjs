// The Ansible side, the same figures: P3 on a fresh host, the fleet converged once at 5x10, then the grid's
// no-op checks (--check --diff, limited to the cell's hosts and apps) and P2 at 3x10.
import { playbook } from "./ansible.mjs";
import { CELLS, cellName, cellRuns, codeChanges, freshConverges, noopChecks, runsOf } from "./grid.mjs";
import { say } from "./proc.mjs";
import { sources } from "./sources.mjs";

export async function theirs(hosts, runs) {
    const out = { scaling: {} };
    say("ansible: P3, fresh host converges");
    const p3 = freshConverges(hosts[0], runsOf("P3"), (h) => {
        const r = playbook([h], { apps: 1, ...sources });
        return r;
    });
    out.P3 = p3.result;
    out.served = p3.served;

    say("ansible: converging 5x10");
    const up = playbook(hosts, { apps: 10, ...sources });
    say(`  converge took ${up.seconds.toFixed(1)} s`);
    for (const cell of CELLS) {
        const [h, a] = cell;
        const check = () => {
            const r = playbook(hosts.slice(0, h), { apps: a, ...sources, check: true });
            if (r.changed !== 0) throw new Error(`ansible --check at ${cellName(cell)} reports ${r.changed} changes`);
            return r;
        };
        out.scaling[cellName(cell)] = noopChecks(hosts.slice(0, h), cellRuns(cell, "ansible"), check);
        say(`ansible ${cellName(cell)} --check: ${JSON.stringify(out.scaling[cellName(cell)].seconds)}`);
    }
    say("ansible: P2, code-only change of app1 on 3x10");
    out.P2 = await codeChanges(hosts.slice(0, 3), runs, () => playbook(hosts.slice(0, 3), { apps: 10, ...sources }));
    return out;
}
