// Pure: Telemetry inputs -> the Apache directives, the service's command line, its supervisor and settings.
import { HEADER, directive, word } from "../../apache";
import { TELEMETRY_PIDFILE, TELEMETRY_RUN_DIR, TELEMETRY_SOCKET, TELEMETRY_USER, TELEMETRY_VENV } from "../../layout";
import { sh } from "../../remote/sh";
import type { TelemetryInputs } from "./schema";

/** Server scope only (mod_wsgi refuses these in a VirtualHost). */
export function renderConf(i: TelemetryInputs): string {
    const lines = [`WSGITelemetryService ${word(`unix:${TELEMETRY_SOCKET}`)} interval=${i.interval}`];
    if (i.captureUserAgent !== undefined)
        lines.push(`WSGITelemetryOptions ${i.captureUserAgent ? "+" : "-"}CaptureUserAgent`);
    if (i.slowRequests !== undefined) lines.push(`WSGISlowRequests ${i.slowRequests}`);
    return `${HEADER}${lines.join("\n")}\n`;
}

/** The inputs the live config file states. */
export function parseConf(text: string): Partial<TelemetryInputs> {
    const out: Partial<TelemetryInputs> = {};
    const service = directive(text, "WSGITelemetryService") ?? [];
    const interval = service.map((w) => /^interval=([0-9.]+)$/.exec(w)?.[1]).find((v) => v !== undefined);
    out.interval = interval === undefined ? 1 : Number(interval);
    const opts = directive(text, "WSGITelemetryOptions");
    if (opts !== undefined) out.captureUserAgent = opts.some((w) => /^\+CaptureUserAgent$/i.test(w));
    const slow = directive(text, "WSGISlowRequests")?.[0];
    if (slow !== undefined && /^[0-9.]+$/.test(slow)) out.slowRequests = Number(slow);
    return out;
}

/** `serve ...`: what follows the program name on the running service's command line. */
export function serviceArgs(i: TelemetryInputs): string {
    const args = [
        "serve",
        `--listen unix:${TELEMETRY_SOCKET}`,
        `--socket-group ${TELEMETRY_USER}`,
        "--socket-mode 0660",
        `--http-host ${i.httpHost}`,
        `--http-port ${i.httpPort}`,
    ];
    if (i.rootPath) args.push(`--root-path ${i.rootPath}`);
    return args.join(" ");
}

/** Every input value in serviceArgs is a plain word (schema regexes): quoting keeps the shell out regardless. */
const command = (i: TelemetryInputs) =>
    sh`${`${TELEMETRY_VENV}/bin/mod_wsgi-telemetry`}` +
    " " +
    serviceArgs(i)
        .split(" ")
        .map((w) => sh`${w}`)
        .join(" ");

/** The systemd unit (PID 1 is systemd): Restart=always, the socket's directory made by systemd. */
export function renderUnit(i: TelemetryInputs): string {
    return [
        "# Written by the modwsgi Pulumi provider (Telemetry).",
        "[Unit]",
        "Description=mod_wsgi telemetry ingester and UI",
        "After=network.target",
        "",
        "[Service]",
        `User=${TELEMETRY_USER}`,
        `Group=${TELEMETRY_USER}`,
        `RuntimeDirectory=${TELEMETRY_RUN_DIR.replace(/^\/run\//, "")}`,
        "RuntimeDirectoryMode=0750",
        // systemd is no shell: the schema's patterns make every argument a plain word.
        `ExecStart=${TELEMETRY_VENV}/bin/mod_wsgi-telemetry ${serviceArgs(i)}`,
        "Restart=always",
        "RestartSec=1",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/**
 * The supervisor loop (no systemd): started once in a session of its own, it restarts the ingester a second after
 * it exits, whatever Apache does; TERM stops both. The ingester runs as the telemetry user (setpriv execs it,
 * so the loop's child is the ingester itself).
 */
export function renderSupervisor(i: TelemetryInputs): string {
    const dir = sh`${TELEMETRY_RUN_DIR}`;
    return `#!/bin/sh
# Written by the modwsgi Pulumi provider (Telemetry): keeps mod_wsgi-telemetry running.
echo $$ >${sh`${TELEMETRY_PIDFILE}`}
child=
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; rm -f ${sh`${TELEMETRY_PIDFILE}`}; exit 0' TERM INT
while :; do
    install -d -m 0750 -o ${TELEMETRY_USER} -g ${TELEMETRY_USER} ${dir}
    setpriv --reuid=${TELEMETRY_USER} --regid=${TELEMETRY_USER} --init-groups -- ${command(i)} &
    child=$!
    wait "$child"
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) mod_wsgi-telemetry exited ($?); restarting in 1 s"
    sleep 1
done
`;
}

/** The service's settings as applied: what read reports as inputs, and where status.sh finds the UI. */
export function renderSettings(i: TelemetryInputs): string {
    return (
        [
            `version=${i.version}`,
            `python=${i.python}`,
            `http_host=${i.httpHost}`,
            `http_port=${i.httpPort}`,
            `root_path=${i.rootPath ?? ""}`,
            `daemon_users=${i.daemonUsers.join(",")}`,
        ].join("\n") + "\n"
    );
}

export function parseSettings(text: string): Partial<TelemetryInputs> {
    const f: Record<string, string> = {};
    for (const l of text.split("\n")) {
        const at = l.indexOf("=");
        if (at > 0) f[l.slice(0, at)] = l.slice(at + 1);
    }
    const out: Partial<TelemetryInputs> = {};
    if (f.version) out.version = f.version;
    if (f.python) out.python = f.python;
    if (f.http_host) out.httpHost = f.http_host;
    if (f.http_port && /^\d+$/.test(f.http_port)) out.httpPort = Number(f.http_port);
    if (f.root_path) out.rootPath = f.root_path;
    if (f.daemon_users !== undefined) out.daemonUsers = f.daemon_users ? f.daemon_users.split(",") : [];
    return out;
}
