// Generators shared by the unit round-trip tests and the sandbox configtest property test: every value
// they produce is schema-valid and names only users, groups and locales a stock Debian host has.
import * as fc from "fast-check";

const users = ["www-data", "nobody", "#33", "#65534"];
const groups = ["www-data", "nogroup", "adm", "staff", "#33"];
const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,11}$/).filter((s) => s !== "." && s !== "..");
const absPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => `/${p.join("/")}`);
const seconds = fc.integer({ min: 0, max: 365 * 86400 });
const buffer = (min: number) => fc.oneof(fc.constant(0), fc.integer({ min, max: 2 ** 31 - 1 }));

const options = {
    processes: fc.integer({ min: 1, max: 10000 }),
    threads: fc.integer({ min: 0, max: 65533 }),
    pythonHome: absPath,
    pythonPath: fc.array(absPath, { minLength: 1, maxLength: 4 }),
    pythonEggs: absPath,
    user: fc.constantFrom(...users),
    group: fc.constantFrom(...groups),
    supplementaryGroups: fc.uniqueArray(fc.constantFrom("adm", "staff", "nogroup", "www-data"), {
        minLength: 1,
        maxLength: 3,
    }),
    umask: fc.stringMatching(/^0?[0-7]{3}$/),
    home: absPath,
    chroot: absPath,
    displayName: fc.stringMatching(/^[A-Za-z0-9_.:%{}()-]{1,64}$/),
    lang: fc.constantFrom("C.UTF-8", "C", "POSIX", "en_US.UTF-8"),
    locale: fc.constantFrom("C.UTF-8", "C", "POSIX", "en_US.UTF-8"),
    scriptUser: fc.constantFrom(...users),
    socketUser: fc.constantFrom(...users),
    queueTimeout: seconds,
    socketTimeout: seconds,
    connectTimeout: seconds,
    requestTimeout: seconds,
    interruptTimeout: seconds,
    inactivityTimeout: seconds,
    startupTimeout: seconds,
    deadlockTimeout: seconds,
    gracefulTimeout: seconds,
    evictionTimeout: seconds,
    restartInterval: seconds,
    shutdownTimeout: seconds,
    responseSocketTimeout: seconds,
    maximumRequests: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    listenBacklog: fc.integer({ min: 1, max: 65535 }),
    sendBufferSize: buffer(512),
    receiveBufferSize: buffer(512),
    headerBufferSize: buffer(8192),
    responseBufferSize: buffer(65536),
    responseFlushDelay: fc.integer({ min: 0, max: 60000 }),
    stackSize: fc.integer({ min: 65536, max: 2 ** 31 - 1 }),
    cpuTimeLimit: seconds,
    cpuPriority: fc.integer({ min: -20, max: 20 }),
    memoryLimit: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    virtualMemoryLimit: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    serverMetrics: fc.boolean(),
    switchInterval: fc.integer({ min: 1, max: 100000 }).map((n) => n / 10000),
};

/** DaemonProcess inputs with a random subset of options set (the name is filled in by the caller). */
export function daemonInputs(name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)) {
    return fc.record({ name, ...options }, { requiredKeys: ["name"] });
}

/** Values that try to break out of a directive, a quoted word or a shell command, or to overflow. */
export const HOSTILE: unknown[] = [
    "a b",
    'x"y',
    "it's",
    "x\\",
    "$(touch /tmp/pwned)",
    "`id`",
    "a\nWSGIDaemonProcess evil threads=1",
    "a\r\nInclude /etc/shadow",
    "%{ENV:HOME}",
    "ünïcødé",
    "/opt/../etc",
    "",
    " ",
    "x".repeat(100_000),
    -1,
    0.5,
    2 ** 53,
    1e300,
    "true",
    ["a b", "c"],
    { a: 1 },
];

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
const urlPath = fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { maxLength: 3 }).map((p) => `/${p.join("/")}`);
const relPath = fc
    .array(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,11}$/), { minLength: 1, maxLength: 3 })
    .map((p) => p.join("/"));

/** ApacheHost server settings, a random subset (no MPM or Listen ports: those need the host's packages). */
export function apacheHostInputs() {
    return fc.record(
        {
            restrictEmbedded: fc.boolean(),
            socketPrefix: absPath,
            socketRotation: fc.boolean(),
            pythonHome: absPath,
            pythonPath: fc.array(absPath, { minLength: 1, maxLength: 4 }),
            perInterpreterGil: fc.boolean(),
            freeThreading: fc.constant(false),
            switchInterval: fc.integer({ min: 1, max: 100000 }).map((n) => n / 10000),
            telemetrySocket: absPath,
        },
        { requiredKeys: [] },
    );
}

/** A plain-HTTP VirtualHost (TLS needs certificate files: the e2e tests cover it); logs under `logDir`. */
export function virtualHostInputs(logDir: string) {
    return fc.record(
        {
            serverName: hostName,
            serverAliases: fc.array(
                fc.oneof(
                    hostName,
                    hostName.map((h) => `*.${h}`),
                ),
                { maxLength: 4 },
            ),
            port: fc.constantFrom(80, 8080, 8000, 65535),
            errorLog: fc.constant(`${logDir}/error.log`),
            accessLog: fc.constant(`${logDir}/access.log`),
        },
        { requiredKeys: ["serverName"] },
    );
}

/** An Application mount (name, source and processGroup filled in by the caller). */
export function applicationInputs() {
    return fc.record(
        {
            mountPoint: urlPath,
            scriptFile: relPath,
            applicationGroup: fc.oneof(
                fc.constantFrom("%{GLOBAL}", "%{SERVER}", "%{RESOURCE}"),
                fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
            ),
            passAuthorization: fc.boolean(),
            staticFiles: fc.array(fc.record({ urlPath, directory: relPath }), { maxLength: 3 }),
            interpreterOptions: fc.record(
                {
                    perInterpreterGil: fc.boolean(),
                    switchInterval: fc.integer({ min: 1, max: 100000 }).map((n) => n / 10000),
                    pythonPath: fc.array(absPath, { minLength: 1, maxLength: 3 }),
                    restrictStdin: fc.boolean(),
                    restrictStdout: fc.boolean(),
                    restrictSignal: fc.boolean(),
                },
                { requiredKeys: [] },
            ),
        },
        { requiredKeys: [] },
    );
}
