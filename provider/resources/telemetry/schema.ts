// Telemetry inputs: the mod_wsgi-telemetry ingester (its own venv, a supervised service, a group-shared socket)
// and the server-scope directives that point every mod_wsgi process at it. One per host.
import { z } from "zod";
import { absPath, fileModes, posixUser } from "../../apache";

export const inputs = z
    .object({
        version: z
            .string()
            .regex(/^[0-9][0-9A-Za-z.+-]{0,31}$/, "must be a version like 1.1.0")
            .default("1.1.0")
            .describe("The mod-wsgi-telemetry release installed from PyPI into the service's own venv."),
        python: absPath()
            .default("/usr/bin/python3")
            .describe("Python that makes the service's venv (3.10 or later; not the apps' Python necessarily)."),
        interval: z
            .number()
            .min(0.5)
            .max(3600)
            .default(1)
            .describe("Seconds between two samples of each mod_wsgi process (WSGITelemetryService interval=)."),
        captureUserAgent: z
            .boolean()
            .optional()
            .describe("Slow-request records carry the User-Agent (WSGITelemetryOptions +/-CaptureUserAgent)."),
        slowRequests: z
            .number()
            .min(0.001)
            .max(86400)
            .optional()
            .describe("Requests running longer than this many seconds are recorded as slow (WSGISlowRequests)."),
        httpHost: z
            .string()
            .regex(/^[0-9A-Za-z.:-]{1,64}$/, "must be an address like 127.0.0.1")
            .default("127.0.0.1")
            .describe("Address of the UI. Loopback by default: reach it with an SSH tunnel (docs/operations.md)."),
        httpPort: z.number().int().min(1).max(65535).default(8888).describe("Port of the UI."),
        rootPath: z
            .string()
            .regex(/^(\/[A-Za-z0-9_.-]+)+$/, "must be a URL path like /telemetry")
            .optional()
            .describe("URL prefix of the UI when a reverse proxy serves it under a path."),
        daemonUsers: z
            .array(posixUser())
            .default([])
            .describe(
                "Users the daemon groups run as (DaemonProcess.user), besides www-data: members of the socket's " +
                    "group, so their processes can send samples.",
            ),
    })
    .strict();

export const outputs = z.object({
    socket: z.string().describe("The UNIX datagram socket the ingester binds (WSGITelemetryService unix:...)."),
    configFile: z.string().describe("The managed server-scope config file."),
    configSha256: z.string().describe("SHA-256 of that file as last applied (live after refresh)."),
    supervisor: z
        .enum(["systemd", "loop", "none"])
        .describe("What keeps the service running: a systemd unit, or a supervisor loop where PID 1 is not systemd."),
    running: z.boolean().describe("Whether the ingester runs (live after refresh: false is drift that up repairs)."),
    serviceArgs: z.string().describe("The running service's command line after the program name (live after refresh)."),
    fileModes: fileModes(),
});

export type TelemetryInputs = z.infer<typeof inputs>;
export type TelemetryState = TelemetryInputs & z.infer<typeof outputs>;
