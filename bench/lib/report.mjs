// Machine facts, the derived figures (ratios, the time split), the printed table and the results files.
import process from "node:process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as prettier from "prettier";
import { ansibleVersion } from "./ansible.mjs";
import { REPO } from "./hosts.mjs";
import { run } from "./proc.mjs";

export function machineFacts() {
    const first = (argv) => run(argv, { allowFail: true }).out.trim().split("\n")[0];
    const osRelease = fs.readFileSync("/etc/os-release", "utf8");
    return {
        cores: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
        os: /^PRETTY_NAME="?([^"\n]*)/m.exec(osRelease)?.[1],
        kernel: os.release(),
        node: process.version,
        pulumi: first(["pulumi", "version"]),
        ansible: ansibleVersion(),
        wrk: first(["sh", "-c", "wrk -v 2>&1"]),
        python: first(["python3", "--version"]),
        sandboxHosts: "Debian (SANDBOX_SUITE, default bookworm) in network namespaces on this machine",
    };
}

export const loadAverage = () => os.loadavg().map((x) => Number(x.toFixed(2)));

const ratio = (a, b) => Number((a / b).toFixed(2));

/** Ansible's median over ours (how many times faster we are) for each cell; P2/P3 likewise. */
export function derive(o, t) {
    const cells = Object.keys(o.scaling);
    const scaling = Object.fromEntries(
        cells.map((c) => [
            c,
            {
                ours: o.scaling[c],
                ansible: t.scaling[c],
                ansibleOverOurs: ratio(t.scaling[c].seconds.median, o.scaling[c].seconds.median),
            },
        ]),
    );
    const P1 = { "1x1": scaling["1x1"], "3x10": scaling["3x10"] };
    const P2 = { ours: o.P2, ansible: t.P2, ansibleOverOurs: ratio(t.P2.seconds.median, o.P2.seconds.median) };
    // Ansible's one P2 series against our `up --refresh=false` (its ansible figures are P2's).
    const P2noRefresh = {
        ours: o.P2noRefresh,
        ansibleOverOurs: ratio(t.P2.seconds.median, o.P2noRefresh.seconds.median),
    };
    const P3 = { ours: o.P3, ansible: t.P3, oursOverAnsible: ratio(o.P3.seconds.median, t.P3.seconds.median) };
    return { P1, P2, P2noRefresh, P3, scaling };
}

/**
 * Where our no-op time goes on one host: each step is the difference between two measured medians; the
 * per-resource Read is the slope from 1x1 (4 resources: module, venv, daemon, app) to 1x10 (22 resources).
 */
export function timeSplit(o, floor) {
    const m = (x) => x.seconds.median;
    const s = o.split;
    const perResource = (m(o.scaling["1x10"]) - m(o.scaling["1x1"])) / 18;
    const oneByOne = m(o.scaling["1x1"]);
    const r4 = (x) => Number(x.toFixed(4));
    return {
        measured: { ...s, "1x1": o.scaling["1x1"], "1x10": o.scaling["1x10"] },
        steps: {
            cliAndLanguageHostFloor: r4(m(s.emptyProgram)),
            programStart: r4(m(s.sdkLoaded) - m(s.emptyProgram)),
            providerStart: r4(m(s.providerConfigured) - m(s.sdkLoaded)),
            sshConnect: r4(oneByOne - m(s.providerConfigured) - 4 * perResource),
            perResourceRead: r4(perResource),
            total1x1: oneByOne,
        },
        // What Pulumi spends per resource without any provider: the slope from 1 to 101 component resources.
        pulumiFloor: { perComponentResource: r4((m(s.components101) - m(s.components1)) / 100) },
        physicalFloor: {
            ...floor,
            // Hosts are read in parallel: one handshake, then each host's resources one round trip each.
            "1x1": r4(floor.handshakeSeconds.median + 4 * floor.roundTripSeconds.median),
            "3x10": r4(floor.handshakeSeconds.median + 22 * floor.roundTripSeconds.median),
        },
    };
}

export function table(res) {
    const f = (s) => `${s.median} (${s.min}-${s.max})`;
    const lines = [];
    const row = (...c) => lines.push(c.map((x, i) => String(x).padEnd(i === 0 ? 34 : 26)).join(""));
    row("figure", "modwsgi (pulumi)", "ansible / express", "ansible/ours (P3: ours/ansible)");
    for (const [c, v] of Object.entries(res.scaling)) {
        row(`P1 no-op ${c} s`, f(v.ours.seconds), f(v.ansible.seconds), `${v.ansibleOverOurs}x`);
        row(`   handshakes ${c}`, f(v.ours.handshakes), f(v.ansible.handshakes), "");
    }
    row(
        "P2 code change 3x10 s (refresh)",
        f(res.P2.ours.seconds),
        f(res.P2.ansible.seconds),
        `${res.P2.ansibleOverOurs}x`,
    );
    row("   Apache reloads", f(res.P2.ours.apacheReloads), f(res.P2.ansible.apacheReloads), "");
    row("   failed requests (wrk)", f(res.P2.ours.failedRequests), f(res.P2.ansible.failedRequests), "");
    const p2n = res.P2noRefresh;
    row("P2 same, --refresh=false s", f(p2n.ours.seconds), f(res.P2.ansible.seconds), `${p2n.ansibleOverOurs}x`);
    row("   Apache reloads", f(p2n.ours.apacheReloads), "", "");
    row("   failed requests (wrk)", f(p2n.ours.failedRequests), "", "");
    row("P3 fresh host 1x1 s", f(res.P3.ours.seconds), f(res.P3.ansible.seconds), `${res.P3.oursOverAnsible}x`);
    row("   cc1 processes", f(res.P3.ours.compilerProcesses), f(res.P3.ansible.compilerProcesses), "");
    row("   re-run s", f(res.P3.ours.rerunSeconds), f(res.P3.ansible.rerunSeconds), "");
    row("   re-run cc1 processes", f(res.P3.ours.rerunCompilerProcesses), f(res.P3.ansible.rerunCompilerProcesses), "");
    row("P4 req/s", f(res.P4.ours.requestsPerSecond), f(res.P4.express.requestsPerSecond), "");
    row("   p99 ms", f(res.P4.ours.p99ms), f(res.P4.express.p99ms), "");
    for (const [k, v] of Object.entries(res.split.steps)) row(`split ${k} s`, v, "", "");
    row("floor 1x1 / 3x10 s", `${res.split.physicalFloor["1x1"]} / ${res.split.physicalFloor["3x10"]}`, "", "");
    row("Pulumi per component resource s", res.split.pulumiFloor.perComponentResource, "", "");
    return lines.join("\n");
}

export async function writeResults(res) {
    const dir = path.join(REPO, "bench/results");
    fs.mkdirSync(dir, { recursive: true });
    // Formatted as the repository's Prettier wants it: the files are committed, and npm test checks them.
    const file = path.join(dir, "latest.json");
    const options = (await prettier.resolveConfig(file)) ?? {};
    const text = await prettier.format(JSON.stringify(res), { ...options, parser: "json" });
    fs.writeFileSync(path.join(dir, `${res.date.slice(0, 10)}.json`), text);
    fs.writeFileSync(file, text);
}
