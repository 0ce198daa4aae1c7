// DaemonProcess inputs: one WSGIDaemonProcess group. Each property maps to one option; the table
// below is the single place that says which option, of which kind, with which default.
import { z } from "zod";
import { absPath, name, posixUser } from "../../apache";

const seconds = (def: number, what: string) =>
    z.number().int().min(0).max(86400).default(def).describe(`${what} (seconds; 0 = off). Default ${def} (upstream recommendation).`);

/** property -> [option name, schema]; order is the order options are written in. */
export const OPTIONS = {
    processes: ["processes", z.number().int().min(1).max(1000).optional().describe(
        "Number of daemon processes. Unset: one process and wsgi.multiprocess=False; set (even to 1): True.")],
    threads: ["threads", z.number().int().min(0).max(65533).default(5).describe(
        "Threads per process. Default 5 (upstream recommendation; mod_wsgi's bare default is 15).")],
    pythonHome: ["python-home", absPath().optional().describe("Python virtual environment (sys.prefix) the group runs with, e.g. a PythonEnv's `path`.")],
    user: ["user", posixUser().refine((u) => u !== "root", "root is refused: mod_wsgi will not run daemons as uid 0").optional().describe(
        "User the daemon processes run as. Default: Apache's user (www-data).")],
    group: ["group", posixUser().optional().describe("Group the daemon processes run as. Default: Apache's group.")],
    home: ["home", absPath().optional().describe("Working directory of the daemon processes.")],
    displayName: ["display-name", z.string().regex(/^[A-Za-z0-9_.:%{}()-]{1,64}$/, "must be 1-64 of letters, digits, _ . : % { } ( ) -").default("%{GROUP}").describe(
        "Process name shown by ps. Default `%{GROUP}`, shown as `(wsgi:NAME)`.")],
    lang: ["lang", z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be a locale name like C.UTF-8").default("C.UTF-8").describe("LANG for the daemon processes.")],
    locale: ["locale", z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, "must be a locale name like C.UTF-8").default("C.UTF-8").describe("LC_ALL for the daemon processes.")],
    queueTimeout: ["queue-timeout", seconds(45, "Drop a request queued longer than this (504)")],
    socketTimeout: ["socket-timeout", seconds(60, "Read/write timeout between Apache child and daemon")],
    connectTimeout: ["connect-timeout", seconds(15, "How long an Apache child retries connecting to the daemon (then 503)")],
    requestTimeout: ["request-timeout", seconds(60, "Fail-safe for stuck requests, scaled by threads")],
    interruptTimeout: ["interrupt-timeout", seconds(0, "Grace to unwind an injected RequestTimeout")],
    inactivityTimeout: ["inactivity-timeout", seconds(0, "Recycle a process idle this long")],
    startupTimeout: ["startup-timeout", seconds(15, "Restart a process whose script keeps failing to load")],
    deadlockTimeout: ["deadlock-timeout", seconds(60, "Restart a process whose GIL looks wedged")],
    gracefulTimeout: ["graceful-timeout", seconds(15, "After a recycle trigger, keep serving up to this long waiting for idle")],
    evictionTimeout: ["eviction-timeout", seconds(0, "Like graceful-timeout, for SIGUSR1 sent directly")],
    restartInterval: ["restart-interval", seconds(0, "Recycle a process after it has been alive this long")],
    shutdownTimeout: ["shutdown-timeout", seconds(5, "Hard-kill deadline once a process is exiting")],
    maximumRequests: ["maximum-requests", z.number().int().min(0).max(1e9).default(0).describe("Recycle a process after this many requests (0 = never).")],
} as const;

export const inputs = z
    .object({
        name: name().describe("Group name (WSGIDaemonProcess NAME), unique on the host. Changing it replaces the group."),
        ...Object.fromEntries(Object.entries(OPTIONS).map(([k, [, s]]) => [k, s])),
    } as { name: ReturnType<typeof name> } & { [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K][1] })
    .strict();

export type DaemonProcessInputs = z.infer<typeof inputs>;
export type DaemonProcessState = DaemonProcessInputs & { configFile: string; configSha256: string };
