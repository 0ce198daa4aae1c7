// Our side: the fleet program (bench/programs/fleet) through P3, the scaling grid with P1 and P2, and the
// steps of the time split (empty program, SDK only, providers only, Pulumi's own cost per resource).
import { CELLS, P2_CELL, cellName, cellRuns, codeChanges, freshConverges, noopChecks, runsOf } from "./grid.mjs";
import { say } from "./proc.mjs";
import { Stack } from "./pulumi.mjs";
import { sources } from "./sources.mjs";

/** Runs every figure of ours on `hosts` (five). Returns { P3, served, scaling, P2, P2noRefresh, split, stack }. */
export async function ours(hosts, runs) {
    const out = { scaling: {} };
    say("ours: P3, fresh host converges");
    let stack;
    let stackOfRun = 0;
    // Each fresh host gets a new stack (its state would describe the host that was); the re-run reuses it.
    const p3 = freshConverges(hosts[0], runsOf("P3"), (h, r) => {
        if (stackOfRun !== r) {
            stack = new Stack(`p3-${r}`, "fleet");
            stackOfRun = r;
            stack.configure({ hosts: [h], apps: 1, ...sources });
        }
        const res = stack.up();
        const compiled = /mod_wsgi [\d.]+ for Python [\d.]+: (.*)/.exec(res.out)?.[1];
        if (compiled) say(`  WsgiModule says: ${compiled.trim()}`);
        return res;
    });
    out.P3 = p3.result;
    out.served = p3.served;

    // The last P3 stack holds 1x1 on the first host: the grid goes on from there.
    const grid = stack;
    for (const cell of CELLS) {
        const [h, a] = cell;
        say(`ours: converging ${cellName(cell)}`);
        grid.configure({ hosts: hosts.slice(0, h), apps: a, ...sources });
        const up = grid.up();
        say(`  up took ${up.seconds.toFixed(1)} s`);
        out.scaling[cellName(cell)] = noopChecks(hosts.slice(0, h), cellRuns(cell, "ours"), () =>
            grid.previewRefresh(),
        );
        say(`  no-op preview --refresh: ${JSON.stringify(out.scaling[cellName(cell)].seconds)}`);
        if (cellName(cell) === P2_CELL) {
            say("ours: P2, code-only change of app1 on 3x10");
            out.P2 = await codeChanges(hosts.slice(0, 3), runs, () => grid.up());
            // The same change by Pulumi's default `up`, which plans from the state without reading the hosts.
            say("ours: P2 without the refresh (pulumi up --refresh=false)");
            out.P2noRefresh = await codeChanges(
                hosts.slice(0, 3),
                runs,
                () => grid.upWithoutRefresh(),
                "P2 (no refresh)",
            );
        }
    }
    out.split = splitSteps(hosts[0], runs);
    out.stack = grid;
    return out;
}

/**
 * The steps below one host's 1x1: empty program, the SDK loaded, one provider configured (no resource); and
 * Pulumi's own cost per resource: 1 and 101 component resources (no provider, no property, no Read).
 */
function splitSteps(h, runs) {
    say("ours: time split steps");
    const step = (name, program, configure) => {
        const s = new Stack(`split-${name}`, program);
        configure(s);
        s.up();
        return noopChecks([h], runs, () => s.previewRefresh());
    };
    const onHosts = (hosts) => (s) => s.configure({ hosts, apps: 0, privateKeyFile: h.privateKeyFile });
    const count = (n) => (s) => s.run(["config", "set", "count", String(n)]);
    return {
        emptyProgram: step("empty", "empty", onHosts([])),
        sdkLoaded: step("sdk", "providers", onHosts([])),
        providerConfigured: step("provider", "providers", onHosts([h])),
        components1: step("components-1", "components", count(1)),
        components101: step("components-101", "components", count(101)),
    };
}
