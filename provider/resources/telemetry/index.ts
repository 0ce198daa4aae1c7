// Telemetry lifecycle: the ingester's venv and supervised service first (native/telemetry.sh), then the
// server-scope directives through the config transaction. Read reports a stopped or reconfigured service as drift.
import { randomBytes } from "node:crypto";
import { applyConfig, modesDiffer, putMode, putModes, type Change } from "../../remote/apply";
import { modesOf, readFiles, runScript, scriptCommand, scriptSource, parseFacts } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { sha256 } from "../../apache";
import { gather, type Fact } from "../../facts";
import {
    STAGE_ROOT,
    TELEMETRY_CONF,
    TELEMETRY_LOG,
    TELEMETRY_PIDFILE,
    TELEMETRY_ROOT,
    TELEMETRY_RUN_DIR,
    TELEMETRY_SETTINGS,
    TELEMETRY_SOCKET,
    TELEMETRY_UNIT,
    TELEMETRY_USER,
    TELEMETRY_VENV,
} from "../../layout";
import { defineResource, type Ctx } from "../../resource";
import { PartialFailure } from "../../partial";
import { inputs, outputs, type TelemetryInputs, type TelemetryState } from "./schema";
import {
    parseConf,
    parseSettings,
    renderConf,
    renderSettings,
    renderSupervisor,
    renderUnit,
    serviceArgs,
} from "./render";

interface ServiceFacts {
    supervisor: "systemd" | "loop" | "none";
    running: boolean;
    args: string;
}

const serviceFacts: Fact<ServiceFacts> = {
    name: "telemetry service",
    command: scriptCommand(["facts", TELEMETRY_ROOT, TELEMETRY_PIDFILE, TELEMETRY_UNIT]),
    stdin: scriptSource("telemetry"),
    parse: (r) => {
        const f = parseFacts(r.stdout);
        const supervisor = f.supervisor === "systemd" || f.supervisor === "loop" ? f.supervisor : "none";
        return { supervisor, running: f.running === "true", args: f.args ?? "" };
    },
};

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function apply(ctx: Ctx, i: TelemetryInputs, old?: TelemetryState): Promise<TelemetryState> {
    const stage = `${STAGE_ROOT}/telemetry-${randomBytes(6).toString("hex")}`;
    await ctx.host.exec(sh`mkdir -p -m 700 ${stage}`);
    await ctx.host.writeFile(`${stage}/supervise.sh`, renderSupervisor(i), 0o600);
    await ctx.host.writeFile(`${stage}/unit`, renderUnit(i), 0o600);
    await ctx.host.writeFile(`${stage}/settings.env`, renderSettings(i), 0o600);
    if (old) return install(ctx, i, stage, old);
    // A create that fails after the script started may leave the user, its group's members, the venv and a running
    // service (Apache rejecting the directives, pip failing, a lost link). Tracked as partial state rather than
    // removed here: a cleanup would fail on the same lost link, and tracked, the next up retries it all and destroy
    // runs `remove`, which copes with any part missing. Nothing in effect is claimed: no directives, no service.
    try {
        return await install(ctx, i, stage);
    } catch (e) {
        throw new PartialFailure(reason(e), nothingInEffect(i), { cause: e });
    }
}

/** The state of a create that failed part-way: the inputs, but neither the directives nor the service in effect. */
const nothingInEffect = (i: TelemetryInputs): TelemetryState => ({
    ...i,
    socket: TELEMETRY_SOCKET,
    configFile: TELEMETRY_CONF,
    configSha256: "",
    supervisor: "none",
    running: false,
    serviceArgs: "",
    fileModes: {},
});

/** The venv and service (native/telemetry.sh), then the directives: the host as these inputs declare it. */
async function install(ctx: Ctx, i: TelemetryInputs, stage: string, old?: TelemetryState): Promise<TelemetryState> {
    ctx.log.status(`mod-wsgi-telemetry ${i.version}: venv, service, UI on ${i.httpHost}:${i.httpPort}`);
    const facts = await runScript(ctx.host, "telemetry", [
        "apply",
        stage,
        TELEMETRY_ROOT,
        TELEMETRY_VENV,
        i.python,
        i.version,
        TELEMETRY_USER,
        i.daemonUsers.join(","),
        TELEMETRY_PIDFILE,
        TELEMETRY_UNIT,
        TELEMETRY_LOG,
        TELEMETRY_RUN_DIR,
    ]);
    const text = renderConf(i);
    // A member added to (or dropped from) the socket's group counts in processes Apache starts afresh: a restart.
    const reload = !old || facts.members_changed === "true" ? "restart" : "graceful";
    const changes: Change[] = [{ op: "put", target: TELEMETRY_CONF, content: text }];
    if (!old || old.configSha256 !== sha256(text) || reload === "restart") {
        ctx.log.status(`writing ${TELEMETRY_CONF}, configtest, ${reload}`);
        await applyConfig(ctx.host, changes, reload);
    }
    const live = await gather(ctx.host, serviceFacts);
    return {
        ...i,
        socket: TELEMETRY_SOCKET,
        configFile: TELEMETRY_CONF,
        configSha256: sha256(text),
        supervisor: live.supervisor,
        running: live.running,
        serviceArgs: live.args,
        fileModes: putModes(changes),
    };
}

export const telemetry = defineResource<TelemetryInputs, TelemetryState>({
    token: "modwsgi:index:Telemetry",
    description:
        "mod_wsgi 6 telemetry: the mod_wsgi-telemetry ingester and live UI (PyPI) in its own venv, run as a " +
        "supervised service (a systemd unit, or a supervisor loop where PID 1 is not systemd) on a UNIX socket " +
        "shared with the daemon users' group, and WSGITelemetryService / WSGITelemetryOptions / WSGISlowRequests " +
        "at server scope. One per host; leave ApacheHost.telemetrySocket unset with it.",
    inputs,
    outputs,
    claims: () => [{ key: "telemetry", property: "httpPort", what: "the host's telemetry service" }],
    replaceOn: [],
    id: () => "telemetry",
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx) {
        const { files, meta } = await readFiles(ctx.host, [TELEMETRY_CONF, TELEMETRY_SETTINGS]);
        const [conf, settings] = files;
        if (conf === undefined && settings === undefined) return null;
        const live = await gather(ctx.host, serviceFacts);
        return {
            ...(settings !== undefined ? parseSettings(settings) : {}),
            ...(conf !== undefined ? parseConf(conf) : {}),
            // Absent from the live file: unset (the diff shows an input the program sets).
            captureUserAgent: conf === undefined ? undefined : parseConf(conf).captureUserAgent,
            slowRequests: conf === undefined ? undefined : parseConf(conf).slowRequests,
            socket: TELEMETRY_SOCKET,
            configFile: TELEMETRY_CONF,
            configSha256: conf === undefined ? "" : sha256(conf),
            supervisor: live.supervisor,
            running: live.running,
            serviceArgs: live.args,
            fileModes: modesOf([TELEMETRY_CONF], meta.slice(0, 1)),
        } as never;
    },
    async delete(ctx) {
        await applyConfig(ctx.host, [{ op: "del", target: TELEMETRY_CONF }], "graceful");
        await runScript(ctx.host, "telemetry", [
            "remove",
            TELEMETRY_ROOT,
            TELEMETRY_PIDFILE,
            TELEMETRY_UNIT,
            TELEMETRY_USER,
            TELEMETRY_RUN_DIR,
        ]);
    },
    // The service stopped, or running with other arguments than these inputs give: up restarts it as declared.
    drift: (olds, news) => [
        ...(olds.running === false ? ["running"] : []),
        ...(olds.running && olds.serviceArgs !== serviceArgs(news) ? ["serviceArgs"] : []),
        ...(olds.configSha256 !== sha256(renderConf(news)) ? ["configSha256"] : []),
        ...(modesDiffer(olds.fileModes, { [TELEMETRY_CONF]: putMode() }) ? ["fileModes"] : []),
    ],
});
