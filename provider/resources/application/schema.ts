// Application inputs and outputs: the app's code, its mount (WSGIScriptAlias, static Aliases), its daemon and
// interpreter groups, its environment (secret) and per-interpreter options.
import { z } from "zod";
import { absPath, name } from "../../apache";
import { secret } from "../../zodwalk";

const relPath = () =>
    z
        .string()
        .max(1024)
        .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "must be a relative path inside source")
        .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

const urlPath = () =>
    z.string().regex(/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/, "must be a URL path like / or /app");

const staticFiles = z
    .object({
        urlPath: urlPath().describe("URL path, e.g. /app/static."),
        directory: relPath().describe("Directory inside source, e.g. static."),
    })
    .strict()
    .meta({ id: "StaticFiles", description: "A directory of the app served by Apache directly." });

const interpreterOptions = z
    .object({
        perInterpreterGil: z
            .boolean()
            .optional()
            .describe(
                "WSGIPerInterpreterGIL: this interpreter gets its own GIL " +
                    "(Python >= 3.12; C extensions must support it). Not for %{GLOBAL}.",
            ),
        switchInterval: z.number().min(0.0001).max(10).optional().describe("WSGISwitchInterval (seconds, fractional)."),
        pythonPath: z
            .array(absPath())
            .max(64)
            .optional()
            .describe("WSGIPythonPath: extra import directories for this interpreter."),
        restrictStdin: z.boolean().optional().describe("WSGIRestrictStdin: reading sys.stdin raises an error."),
        restrictStdout: z.boolean().optional().describe("WSGIRestrictStdout: writing to sys.stdout raises an error."),
        restrictSignal: z
            .boolean()
            .optional()
            .describe("WSGIRestrictSignal: signal.signal() calls by the app are ignored."),
    })
    .strict()
    .meta({
        id: "InterpreterOptions",
        description:
            "Per-interpreter settings (a <WSGIInterpreterOptions> block for the app's process and application group; " +
            "mod_wsgi 6).",
    });

/** One element of a release command's argument vector: any text but NUL (it never meets a shell). */
const arg = z
    .string()
    .min(1)
    .max(4096)
    .refine((v) => !v.includes("\0"), "must not contain a NUL byte");

const dataDir = z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, "must be a plain directory name like data or media")
    .refine((d) => !["current", "releases", "wsgi.py", "env.json"].includes(d), "must not be a name the app dir uses");

const healthCheck = z
    .object({
        enabled: z.boolean().default(true).describe("Off: no check after a switch."),
        path: z
            .string()
            .max(1024)
            .regex(
                /^\/[A-Za-z0-9._~/-]*(\?[A-Za-z0-9._~=&%+-]*)?$/,
                "must be a URL path like /healthz or /notes/ (an optional ?query)",
            )
            .optional()
            .describe("URL path to GET (default: the mount point). Sent to Apache on the host with the app's Host."),
        expectStatus: z
            .number()
            .int()
            .min(100)
            .max(599)
            .optional()
            .describe("The status that means healthy. Default: any status below 500."),
        timeoutSeconds: z
            .number()
            .int()
            .min(1)
            .max(600)
            .default(30)
            .describe("How long the check retries before it fails (seconds)."),
    })
    .strict()
    .meta({ id: "HealthCheck", description: "The check an Application must pass after each switch of release." });

export const inputs = z
    .object({
        name: name().describe("Application name; code lives in /srv/modwsgi/<name>. Changing it replaces the app."),
        mountPoint: urlPath().default("/").describe("URL path the app is mounted at (WSGIScriptAlias)."),
        source: z
            .string()
            .min(1)
            .describe(
                "Local directory with the app code, uploaded on every change (absolute, or relative to the program).",
            ),
        scriptFile: relPath()
            .optional()
            .describe(
                "WSGI script inside source, defining `application`. Default `app.wsgi` unless entryPoint is set.",
            ),
        entryPoint: z
            .string()
            .regex(
                /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\(\))?$/,
                "must be module:callable or module:factory(), like hello:app or shop:create_app()",
            )
            .optional()
            .describe(
                "The WSGI callable as `module:callable` (imported with source on sys.path), instead of a scriptFile; " +
                    "`module:factory()` calls an application factory (e.g. Flask's create_app) once at import.",
            ),
        passAuthorization: z
            .boolean()
            .default(false)
            .describe("Pass the Authorization header to the app (HTTP_AUTHORIZATION); Apache withholds it otherwise."),
        staticFiles: z
            .array(staticFiles)
            .max(50)
            .default([])
            .describe("Directories inside source that Apache serves itself, each at a URL path (Alias)."),
        processGroup: name().describe("Daemon group (DaemonProcess name) that runs the app."),
        virtualHost: name()
            .optional()
            .describe("VirtualHost (its `name`) to mount the app in. Unset: every virtual host (server scope)."),
        applicationGroup: z
            .string()
            .regex(
                /^(%\{GLOBAL\}|%\{SERVER\}|%\{RESOURCE\}|[A-Za-z0-9_.-]{1,64})$/,
                "must be %{GLOBAL}, %{SERVER}, %{RESOURCE} or a name",
            )
            .default("%{GLOBAL}")
            .describe("Interpreter within the group. %{GLOBAL} is the main interpreter (safe for C extensions)."),
        environment: secret(
            z.record(
                z
                    .string()
                    .regex(
                        /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
                        "must be an environment variable name (letters, digits, _)",
                    ),
                z
                    .string()
                    .max(65536)
                    .refine((v) => !v.includes("\0"), "must not contain a NUL byte"),
            ),
        )
            .default({})
            .describe(
                "Environment variables set in os.environ before the app's script runs " +
                    "(stored encrypted; on the host readable only by root and the daemon's user).",
            ),
        interpreterOptions: interpreterOptions
            .optional()
            .describe(
                "Settings for the app's interpreter (mod_wsgi 6): written as a " +
                    "<WSGIInterpreterOptions process-group=… application-group=…> block at server scope.",
            ),
        releaseCommands: z
            .array(z.array(arg).min(1).max(64))
            .max(20)
            .default([])
            .describe(
                "Commands run on the host in each new release before it goes live, as argument vectors (no shell), " +
                    'e.g. ["python", "manage.py", "migrate", "--noinput"]: as the daemon\'s user, in the ' +
                    "release directory, with the daemon group's pythonHome first on PATH (VIRTUAL_ENV set) and the " +
                    "app's environment. One that fails stops the deploy: the live release is untouched.",
            ),
        dataDirs: z
            .array(dataDir)
            .max(16)
            .default([])
            .refine((d) => new Set(d).size === d.length, "must not repeat a name")
            .describe(
                "Persistent directories (e.g. data, media) in <appDir>/data/<name>, owned by the daemon's user, " +
                    "kept across releases and by destroy (unless deleteDataOnDestroy), linked into every release " +
                    "as <release>/<name>.",
            ),
        deleteDataOnDestroy: z
            .boolean()
            .default(false)
            .describe("Let `pulumi destroy` remove the data directories too. Off: destroy keeps them."),
        healthCheck: healthCheck
            .default({ enabled: true, timeoutSeconds: 30 })
            .describe(
                "Checked from the host itself through Apache after each switch; a failure switches back to the " +
                    "previous release and fails the update with the tail of Apache's error log.",
            ),
        keepReleases: z
            .number()
            .int()
            .min(1)
            .max(100)
            .default(5)
            .describe(
                "Releases kept on the host. A source tree whose release is still there is switched to " +
                    "without an upload (an instant rollback).",
            ),
        sourceSha256: z
            .string()
            .optional()
            .describe("SHA-256 of the app tree: computed from source at preview, read from the host at refresh."),
    })
    .strict()
    .refine((i) => !(i.scriptFile && i.entryPoint), {
        message: "set scriptFile or entryPoint, not both",
        path: ["entryPoint"],
    })
    .refine((i) => !i.interpreterOptions || !/^%\{(SERVER|RESOURCE)\}$/.test(i.applicationGroup), {
        message:
            "needs applicationGroup %{GLOBAL} or a name: mod_wsgi matches the block by literal group name, " +
            "and %{SERVER}/%{RESOURCE} are expanded per request",
        path: ["interpreterOptions"],
    })
    .refine((i) => !(i.interpreterOptions?.perInterpreterGil && i.applicationGroup === "%{GLOBAL}"), {
        message:
            "has no effect in %{GLOBAL}: the main interpreter always shares the process's GIL; " +
            "give the app an applicationGroup name",
        path: ["interpreterOptions", "perInterpreterGil"],
    });

export const outputs = z.object({
    appDir: z.string().describe("Directory on the host holding releases/ and the `current` symlink."),
    configFile: z.string().describe("The managed config file on the host."),
    configSha256: z.string().describe("SHA-256 of that file as last applied (live after refresh)."),
    loaderSha256: z.string().describe("SHA-256 of the generated loader wsgi.py (live after refresh)."),
    interpreterFile: z
        .string()
        .describe("The managed <WSGIInterpreterOptions> file (present only with interpreterOptions)."),
    envFileMode: z
        .string()
        .describe(
            "Owner, group and mode of env.json: `<user>:root 400` (the daemon's user) as applied; after refresh " +
                "`missing`, or what was found and what it must be, when someone changed them.",
        ),
});

export type ApplicationInputs = z.infer<typeof inputs>;
export type ApplicationState = ApplicationInputs & z.infer<typeof outputs>;
