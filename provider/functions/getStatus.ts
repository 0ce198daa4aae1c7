// getStatus (Pulumi invoke modwsgi:index:getStatus): what runs on the host now, per daemon group, with the
// telemetry ingester's figures when the host has a Telemetry service. Read-only: no lock, nothing written.
import { z } from "zod";
import { MODWSGI_D, TELEMETRY_SETTINGS } from "../layout";
import { scriptCommand, scriptSource } from "../remote/scripts";
import { gather, type Fact } from "../facts";
import type { Ctx } from "../resource";
import { parseStatus, type Status } from "./status";

const count = (what: string) => z.number().int().min(0).describe(what);
const telemetryOnly = (what: string) => z.number().optional().describe(`${what} Telemetry on only.`);

const processStatus = z
    .object({
        pid: count("Process id."),
        ageSeconds: count("Seconds since the process started."),
        rssKib: count("Resident memory (KiB)."),
    })
    .meta({ id: "ProcessStatus", description: "One live daemon process." });

const groupStatus = z
    .object({
        name: z.string().describe("The daemon group (WSGIDaemonProcess name)."),
        configuredProcesses: count("Processes the config asks for (processes=, mod_wsgi's default 1)."),
        threads: count("Threads per process as configured."),
        liveProcesses: count("Daemon processes of the group running now."),
        processes: z.array(processStatus).describe("The live processes."),
        requests: telemetryOnly("Requests over the ingester's retained samples (its last minutes)."),
        throughput: telemetryOnly("Requests per second in the last interval, summed over the processes."),
        capacity: telemetryOnly("Worker-thread capacity in use in the last interval (0-1, mean of the processes)."),
        errors5xx: telemetryOnly("5xx responses over the retained samples."),
        errors4xx: telemetryOnly("4xx responses over the retained samples."),
        slowRequests: telemetryOnly("Slow-request records held now (WSGISlowRequests)."),
    })
    .meta({ id: "GroupStatus", description: "A daemon group as configured and as running." });

export const getStatusOutputs = z.object({
    apacheVersion: z.string().describe("Apache's version (apache2 -v)."),
    apacheRunning: z.boolean().describe("Whether Apache runs."),
    modWsgiVersion: z.string().describe("mod_wsgi version the running server logged at its last start."),
    pythonVersion: z.string().describe("Python version (X.Y) the running server logged at its last start."),
    telemetry: z
        .enum(["off", "on", "unreachable"])
        .describe("off: no Telemetry on the host; unreachable: configured but its UI did not answer."),
    groups: z.array(groupStatus).describe("Every daemon group of the provider's config directory."),
});

export const getStatusFunction = {
    token: "modwsgi:index:getStatus",
    description:
        "The host as it runs now: per daemon group the configured and live process count, PIDs, ages and RSS " +
        "(and with a Telemetry service: requests, throughput, capacity, errors, slow requests); the running " +
        "Apache, mod_wsgi and Python versions. Read-only.",
    inputs: z.object({}).strict(),
    outputs: getStatusOutputs,
    invoke: (ctx: Ctx): Promise<Status> => gather(ctx.host, statusFact),
};

const statusFact: Fact<Status> = {
    name: "status",
    command: scriptCommand([MODWSGI_D, TELEMETRY_SETTINGS]),
    stdin: scriptSource("status"),
    parse: (r) => {
        if (r.code !== 0) throw new Error(`status: exit ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}`);
        return parseStatus(r.stdout);
    },
};
