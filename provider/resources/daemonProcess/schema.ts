// DaemonProcess inputs: one WSGIDaemonProcess group. Each property maps to one option of mod_wsgi 6.x;
// the table below is the single place that says which option, of which kind, with which range and default.
import { z } from "zod";
import { absPath, fileModes, name, posixUser } from "../../apache";

/** How a value is written in (and read back from) `option=value`. */
export type Kind = "int" | "float" | "text" | "onoff" | "commas" | "colons";

interface Option {
    option: string;
    kind: Kind;
    schema: z.ZodType;
}

const opt = <S extends z.ZodType>(option: string, kind: Kind, schema: S) => ({ option, kind, schema });

const YEAR = 365 * 86400;
const INT_MAX = 2 ** 31 - 1;

/** Timeouts: whole seconds, 0 = off. `def` is the upstream recommended production value. */
const seconds = (what: string, def?: number) => {
    const s = z.number().int().min(0).max(YEAR);
    const doc = `${what} (seconds; 0 = off).`;
    return def === undefined
        ? s.optional().describe(doc)
        : s.default(def).describe(`${doc} The default is upstream's recommendation.`);
};

/** Socket buffer sizes: 0 (the OS default) or at least `min` bytes, as mod_wsgi requires. */
const buffer = (what: string, min: number) =>
    z
        .number()
        .int()
        .min(0)
        .max(INT_MAX)
        .refine((v) => v === 0 || v >= min, `must be 0 or at least ${min} (bytes)`)
        .optional()
        .describe(`${what} (bytes; 0 = default, else at least ${min}).`);

const bytes = (what: string) =>
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe(`${what} (bytes; 0 = no limit).`);

/** A user or group as a name or `#id`; uid/gid 0 is refused the way mod_wsgi refuses it. */
const identity = (what: string) =>
    z
        .union([posixUser(), z.string().regex(/^#\d{1,10}$/, "must be a name or #id")])
        .refine(
            (u) => u !== "root" && !/^#0+$/.test(u),
            `${what} root (id 0) is refused: mod_wsgi will not run daemons as root`,
        );

const locale = () => z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be a locale name like C.UTF-8");

/** property -> option; the order is the order options are written in. */
export const OPTIONS = {
    processes: opt(
        "processes",
        "int",
        z
            .number()
            .int()
            .min(1)
            .max(10000)
            .optional()
            .describe(
                "Number of daemon processes. Unset: one process and wsgi.multiprocess=False; set (even to 1): True.",
            ),
    ),
    threads: opt(
        "threads",
        "int",
        z
            .number()
            .int()
            .min(0)
            .max(65533)
            .default(5)
            .describe(
                "Threads per process; 0 runs the group as a service script with no requests. " +
                    "The default is upstream's recommendation (mod_wsgi's bare default is 15).",
            ),
    ),
    pythonHome: opt(
        "python-home",
        "text",
        absPath()
            .optional()
            .describe(
                "Python virtual environment (sys.prefix) the group runs with, e.g. a PythonEnv's `path`. " +
                    "Must come from the module's Python.",
            ),
    ),
    pythonPath: opt(
        "python-path",
        "colons",
        z
            .array(absPath())
            .max(64)
            .optional()
            .describe("Directories added with site.addsitedir() (so .pth files work)."),
    ),
    pythonEggs: opt("python-eggs", "text", absPath().optional().describe("PYTHON_EGG_CACHE directory.")),
    user: opt(
        "user",
        "text",
        identity("user")
            .optional()
            .describe(
                "User (name or #uid) the daemon processes run as. Default: Apache's user (www-data). " +
                    "Needs Apache started as root.",
            ),
    ),
    group: opt(
        "group",
        "text",
        identity("group")
            .optional()
            .describe("Group (name or #gid) the daemon processes run as. Default: Apache's group."),
    ),
    supplementaryGroups: opt(
        "supplementary-groups",
        "commas",
        z.array(posixUser()).min(1).max(64).optional().describe("Additional groups of the daemon processes."),
    ),
    umask: opt(
        "umask",
        "text",
        z
            .string()
            .regex(/^0?[0-7]{3}$/, "must be an octal umask like 0022")
            .optional()
            .describe("umask of the daemon processes (octal)."),
    ),
    home: opt(
        "home",
        "text",
        absPath()
            .optional()
            .describe("Working directory. Default: the user's home when `user` is set, else Apache's (/)."),
    ),
    chroot: opt(
        "chroot",
        "text",
        absPath().optional().describe("Directory to chroot into (deprecated upstream; rarely useful)."),
    ),
    displayName: opt(
        "display-name",
        "text",
        z
            .string()
            .regex(/^[A-Za-z0-9_.:%{}()-]{1,64}$/, "must be 1-64 of letters, digits, _ . : % { } ( ) -")
            .default("%{GROUP}")
            .describe("Process name shown by ps; `%{GROUP}` is shown as `(wsgi:NAME)`."),
    ),
    lang: opt("lang", "text", locale().default("C.UTF-8").describe("LANG of the daemon processes.")),
    locale: opt("locale", "text", locale().default("C.UTF-8").describe("LC_ALL of the daemon processes.")),
    scriptUser: opt(
        "script-user",
        "text",
        identity("script-user")
            .optional()
            .describe("The WSGI script must be owned by this user, else 403. Exclusive with scriptGroup."),
    ),
    scriptGroup: opt(
        "script-group",
        "text",
        identity("script-group")
            .optional()
            .describe("The WSGI script must be owned by this group, else 403. Exclusive with scriptUser."),
    ),
    socketUser: opt(
        "socket-user",
        "text",
        identity("socket-user")
            .optional()
            .describe(
                "Owner of the group's socket (for PrivilegesMode SECURE, ITK, mod_ruid2). Default: Apache's user.",
            ),
    ),
    queueTimeout: opt(
        "queue-timeout",
        "int",
        seconds("Drop a request that waited longer than this for a daemon (504)", 45),
    ),
    socketTimeout: opt(
        "socket-timeout",
        "int",
        seconds("Read/write timeout between Apache child and daemon (504 on expiry)", 60),
    ),
    connectTimeout: opt(
        "connect-timeout",
        "int",
        seconds("How long an Apache child retries connecting to the daemon (then 503)", 15),
    ),
    requestTimeout: opt(
        "request-timeout",
        "int",
        seconds("Fail-safe for stuck requests, per thread, scaled by 1+ln(threads)", 60),
    ),
    interruptTimeout: opt(
        "interrupt-timeout",
        "int",
        seconds("Grace for a thread to unwind an injected mod_wsgi.RequestTimeout (new in 6.0)", 0),
    ),
    inactivityTimeout: opt("inactivity-timeout", "int", seconds("Recycle a process idle this long", 0)),
    startupTimeout: opt(
        "startup-timeout",
        "int",
        seconds("Restart a process whose script keeps failing to load this long", 15),
    ),
    deadlockTimeout: opt("deadlock-timeout", "int", seconds("Restart a process whose GIL looks wedged this long", 60)),
    gracefulTimeout: opt(
        "graceful-timeout",
        "int",
        seconds("After a recycle trigger, keep serving up to this long waiting for idle", 15),
    ),
    evictionTimeout: opt(
        "eviction-timeout",
        "int",
        seconds("Like graceful-timeout, for SIGUSR1 sent to a daemon directly; 0 = graceful-timeout", 0),
    ),
    restartInterval: opt("restart-interval", "int", seconds("Recycle a process after it has been alive this long", 0)),
    shutdownTimeout: opt("shutdown-timeout", "int", seconds("Hard-kill deadline once a process is exiting", 5)),
    responseSocketTimeout: opt(
        "response-socket-timeout",
        "int",
        seconds("Timeout writing the response to the client; 0 = socket-timeout"),
    ),
    maximumRequests: opt(
        "maximum-requests",
        "int",
        z
            .number()
            .int()
            .min(0)
            .max(INT_MAX)
            .default(0)
            .describe("Recycle a process after this many requests (0 = never)."),
    ),
    listenBacklog: opt(
        "listen-backlog",
        "int",
        z
            .number()
            .int()
            .min(1)
            .max(65535)
            .optional()
            .describe("Backlog of the group's socket. mod_wsgi's default 100."),
    ),
    sendBufferSize: opt("send-buffer-size", "int", buffer("Send buffer of the group's socket", 512)),
    receiveBufferSize: opt("receive-buffer-size", "int", buffer("Receive buffer of the group's socket", 512)),
    headerBufferSize: opt(
        "header-buffer-size",
        "int",
        buffer("Largest response header line accepted from the app", 8192),
    ),
    responseBufferSize: opt(
        "response-buffer-size",
        "int",
        buffer("Response bytes buffered before a forced flush", 65536),
    ),
    responseFlushDelay: opt(
        "response-flush-delay",
        "int",
        z
            .number()
            .int()
            .min(0)
            .max(60000)
            .optional()
            .describe(
                "Coalesce response writes for up to this long before flushing (milliseconds; new in 6.0.2). " +
                    "mod_wsgi's default 5.",
            ),
    ),
    stackSize: opt(
        "stack-size",
        "int",
        z
            .number()
            .int()
            .min(65536)
            .max(INT_MAX)
            .optional()
            .describe("Stack size of each thread (bytes). Default: the OS's (8 MiB)."),
    ),
    cpuTimeLimit: opt("cpu-time-limit", "int", seconds("Recycle a process after this much CPU time (RLIMIT_CPU)")),
    cpuPriority: opt(
        "cpu-priority",
        "int",
        z.number().int().min(-20).max(20).optional().describe("Scheduling priority (nice, -20..20)."),
    ),
    memoryLimit: opt("memory-limit", "int", bytes("Data segment limit (RLIMIT_DATA)")),
    virtualMemoryLimit: opt("virtual-memory-limit", "int", bytes("Address space limit (RLIMIT_AS)")),
    serverMetrics: opt(
        "server-metrics",
        "onoff",
        z.boolean().optional().describe("Allow mod_wsgi.server_metrics() in this group."),
    ),
    switchInterval: opt(
        "switch-interval",
        "float",
        z
            .number()
            .min(0.0001)
            .max(10)
            .optional()
            .describe(
                "sys.setswitchinterval() for the group (seconds, fractional; new in 6.0). Python's default 0.005.",
            ),
    ),
} satisfies Record<string, Option>;

/** Options mod_wsgi 6 no longer accepts (a config error after upgrading), with the reason. */
export const REMOVED: Record<string, string> = {
    newrelicConfigFile:
        "newrelic-config-file was removed in mod_wsgi 6.0 " +
        "(New Relic agent support is gone; configure the agent in the app)",
    newrelicEnvironment:
        "newrelic-environment was removed in mod_wsgi 6.0 " +
        "(New Relic agent support is gone; configure the agent in the app)",
};

export const inputs = z
    .object({
        name: name().describe(
            "Group name (WSGIDaemonProcess NAME), unique on the host. Changing it replaces the group.",
        ),
        ...(Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, o.schema])) as {
            [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]["schema"];
        }),
    })
    .strict()
    .refine((i) => !(i.scriptUser && i.scriptGroup), {
        message: "set scriptUser or scriptGroup, not both (mod_wsgi allows one)",
        path: ["scriptGroup"],
    });

export const outputs = z.object({
    configFile: z.string().describe("The managed config file on the host."),
    configSha256: z.string().describe("SHA-256 of that file's content as last applied (live after refresh)."),
    moduleVersion: z.string().optional().describe("The host's mod_wsgi version the file was written for."),
    fileModes: fileModes(),
});

export type DaemonProcessInputs = z.infer<typeof inputs>;
export type DaemonProcessState = DaemonProcessInputs & z.infer<typeof outputs>;
