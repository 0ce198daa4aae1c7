// Pure: native/status.sh's output -> getStatus's result (per daemon group: configured vs live processes, and
// with telemetry on, what the ingester reports for the group's processes).
import { wsgiDirective } from "../apache";
import { parseFacts } from "../remote/scripts";

export interface ProcessStatus {
    pid: number;
    ageSeconds: number;
    rssKib: number;
}

export interface GroupStatus {
    name: string;
    configuredProcesses: number;
    threads: number;
    liveProcesses: number;
    processes: ProcessStatus[];
    /** Telemetry only: sums over the ingester's retained samples of the group's processes. */
    requests?: number;
    throughput?: number;
    capacity?: number;
    errors5xx?: number;
    errors4xx?: number;
    slowRequests?: number;
}

export interface Status {
    apacheVersion: string;
    apacheRunning: boolean;
    modWsgiVersion: string;
    pythonVersion: string;
    telemetry: "off" | "on" | "unreachable";
    groups: GroupStatus[];
}

/** mod_wsgi's own defaults when the line leaves them out (the provider always writes threads). */
const BARE = { processes: 1, threads: 15 };

const int = (s: string | undefined, def: number) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : def);

/**
 * The group a `(wsgi:NAME)` process title names. Linux cuts the title to the length of Apache's argv[0]
 * (`/usr/sbin/apache2`: 17 characters), so a long name arrives as a prefix: it counts when one group alone has it.
 */
export function groupOfTitle(title: string, names: string[]): string | undefined {
    const m = /^\(wsgi:([^)\s]*)(\))?/.exec(title);
    if (!m) return undefined;
    if (m[2]) return names.includes(m[1]) ? m[1] : undefined;
    const matches = names.filter((n) => n.startsWith(m[1]));
    return matches.length === 1 ? matches[0] : undefined;
}

export function parseStatus(stdout: string): Status {
    const facts = parseFacts(
        stdout
            .split("\n")
            .filter((l) => !l.includes("\t"))
            .join("\n"),
    );
    const rows = stdout.split("\n").map((l) => l.split("\t"));
    const groups: GroupStatus[] = [];
    for (const [kind, line] of rows) {
        if (kind !== "conf" || line === undefined) continue;
        const d = wsgiDirective(line, "WSGIDaemonProcess", 1);
        if (!d?.args[0]) continue;
        groups.push({
            name: d.args[0],
            configuredProcesses: int(d.options.get("processes"), BARE.processes),
            threads: int(d.options.get("threads"), BARE.threads),
            liveProcesses: 0,
            processes: [],
        });
    }
    const names = groups.map((g) => g.name);
    const byName = new Map(groups.map((g) => [g.name, g]));
    const groupOfPid = new Map<number, GroupStatus>();
    for (const r of rows) {
        if (r[0] !== "proc" || r.length < 5) continue;
        const g = byName.get(groupOfTitle(r[4], names) ?? "");
        if (!g) continue;
        const p = { pid: int(r[1], 0), ageSeconds: int(r[2], 0), rssKib: int(r[3], 0) };
        g.processes.push(p);
        groupOfPid.set(p.pid, g);
    }
    for (const g of groups) g.liveProcesses = g.processes.length;
    const telemetry = facts.telemetry === "on" || facts.telemetry === "unreachable" ? facts.telemetry : "off";
    if (telemetry === "on") addTelemetry(rows, byName, groupOfPid);
    return {
        apacheVersion: facts.apache_version ?? "",
        apacheRunning: facts.apache_running === "true",
        modWsgiVersion: facts.mod_wsgi_version ?? "",
        pythonVersion: facts.python_version ?? "",
        telemetry,
        groups,
    };
}

/** Adds the ingester's figures to each group: its processes by the group they report, else by PID. */
function addTelemetry(rows: string[][], byName: Map<string, GroupStatus>, groupOfPid: Map<number, GroupStatus>) {
    const num = (s: string | undefined) => (s !== undefined && Number.isFinite(Number(s)) ? Number(s) : 0);
    for (const g of byName.values()) {
        Object.assign(g, { requests: 0, throughput: 0, capacity: 0, errors5xx: 0, errors4xx: 0, slowRequests: 0 });
    }
    const capacities = new Map<GroupStatus, number[]>();
    for (const r of rows) {
        if (r[0] !== "tproc" || r.length < 9) continue;
        const g = byName.get(r[2]) ?? groupOfPid.get(int(r[1], -1));
        if (!g) continue; // Apache's own children (embedded mode) report no group
        g.requests! += num(r[3]);
        g.throughput! += num(r[4]);
        capacities.set(g, [...(capacities.get(g) ?? []), num(r[5])]);
        g.errors5xx! += num(r[6]);
        g.errors4xx! += num(r[7]);
        g.slowRequests! += num(r[8]);
    }
    // Capacity use is a fraction per process: the group's is their mean.
    for (const [g, c] of capacities) g.capacity = c.reduce((a, b) => a + b, 0) / c.length;
}
