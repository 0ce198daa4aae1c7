// ApacheHost inputs: the server-wide settings (mod_wsgi's server directives, the MPM, extra Listen ports);
// outputs: the facts read from the host (OS, Apache version and MPM, layout, systemd, Pythons, apxs).
import { z } from "zod";
import { absPath, fileModes } from "../../apache";

export const MPMS = ["event", "worker", "prefork"] as const;

/** A sites-enabled entry as a2dissite names it: one plain file name, no way up or across (`.conf` optional). */
const SITE_NAME = /^[A-Za-z0-9_@+-][A-Za-z0-9_.@+-]{0,99}$/;

/** What `ensurePackages` installs: Apache and everything mod_wsgi's build needs (see WsgiModule's preflight). */
export const PACKAGES = ["apache2", "apache2-dev", "python3-dev", "python3-venv", "gcc"];

export const inputs = z
    .object({
        ensurePackages: z
            .boolean()
            .default(false)
            .describe(
                `Install with apt whichever of ${PACKAGES.join(", ")} are missing, before anything else ` +
                    "(the host needs a Debian mirror). Make WsgiModule depend on this resource.",
            ),
        restrictEmbedded: z
            .boolean()
            .default(true)
            .describe(
                "WSGIRestrictEmbedded: no Python in Apache's own children, apps only in daemon groups " +
                    "(upstream recommendation).",
            ),
        socketPrefix: absPath()
            .optional()
            .describe(
                "WSGISocketPrefix: where daemon sockets live. Default mod_wsgi's (Apache's run dir). " +
                    "Must be traversable by Apache's children; never /tmp.",
            ),
        socketRotation: z
            .boolean()
            .optional()
            .describe(
                "WSGISocketRotation. Off keeps socket names stable across graceful restarts " +
                    "(fewer 503s after log rotation).",
            ),
        pythonHome: absPath()
            .optional()
            .describe("WSGIPythonHome: the Python (or venv) of embedded mode and of groups without pythonHome."),
        pythonPath: z
            .array(absPath())
            .max(64)
            .optional()
            .describe("WSGIPythonPath: extra directories for embedded mode."),
        perInterpreterGil: z
            .boolean()
            .optional()
            .describe("WSGIPerInterpreterGIL (mod_wsgi 6, Python >= 3.12): a GIL per sub-interpreter."),
        freeThreading: z
            .boolean()
            .optional()
            .describe(
                "WSGIFreeThreading (mod_wsgi 6, PEP 703): run daemon groups without the GIL. " +
                    "Needs a free-threaded Python (3.13t); refused otherwise.",
            ),
        switchInterval: z
            .number()
            .min(0.0001)
            .max(10)
            .optional()
            .describe("WSGISwitchInterval (seconds, fractional) for embedded mode."),
        telemetrySocket: absPath()
            .optional()
            .describe(
                "WSGITelemetryService unix socket (mod_wsgi 6): every mod_wsgi process sends metrics there " +
                    "(run mod_wsgi-telemetry serve on it).",
            ),
        mpm: z
            .enum(MPMS)
            .optional()
            .describe("Apache's MPM. A change is a full restart. Unset: leave the host's choice (Debian: event)."),
        listenPorts: z
            .array(
                z
                    .number()
                    .int()
                    .min(1)
                    .max(65535)
                    .refine((p): boolean => p !== 80 && p !== 443, "80 and 443 are in Debian's ports.conf already"),
            )
            .max(32)
            .default([])
            .describe("Extra ports Apache listens on (for VirtualHosts on them)."),
        disableSites: z
            .array(
                z
                    .string()
                    .regex(SITE_NAME, "must be a plain file name in sites-enabled (letters, digits, _ . @ + -)")
                    .refine((n) => !n.startsWith("modwsgi-"), "names a VirtualHost of this provider (modwsgi-*)"),
            )
            .max(64)
            .default([])
            .describe(
                "Sites to switch off, as a2dissite names them (`myapp` for sites-enabled/myapp.conf): their " +
                    "sites-enabled links are removed in this resource's configtested transaction, never the files " +
                    "in sites-available. For taking over a hand-written site (modwsgi-adopt): make this resource " +
                    "depend on the resources that replace it. A re-enabled one is drift; destroy enables them again.",
            ),
    })
    .strict();

export const outputs = z.object({
    osId: z.string().describe("ID from /etc/os-release (debian)."),
    osVersion: z.string().describe("VERSION_ID from /etc/os-release (12, 13)."),
    osName: z.string().describe("PRETTY_NAME from /etc/os-release."),
    systemd: z.boolean().describe("Whether Apache is managed through systemd (else apache2ctl)."),
    apacheVersion: z.string().describe("Apache version (2.4.N)."),
    apacheMpm: z.string().describe("The MPM Apache runs (event, worker, prefork)."),
    apacheLayout: z.string().describe("Config layout (debian)."),
    apxs: z.string().describe("Path of apxs (empty when apache2-dev is missing)."),
    python: z.string().describe("Version of /usr/bin/python3 (X.Y.Z)."),
    pythons: z.array(z.string()).describe("The python3.X interpreters in /usr/bin."),
    configSha256: z.string().describe("SHA-256 of the managed files (live after refresh)."),
    moduleVersion: z.string().optional().describe("The host's mod_wsgi version the files were written for."),
    fileModes: fileModes(),
});

export type ApacheHostInputs = z.infer<typeof inputs>;
export type ApacheHostState = ApacheHostInputs & z.infer<typeof outputs>;
export type Mpm = (typeof MPMS)[number];
