// Application: app code uploaded as an immutable release behind a `current` symlink, its environment in
// a root-owned file only the daemon's group can read, and a generated loader (wsgi.py) mounted with
// WSGIScriptAlias into a daemon group. Code or environment changes restart only that group (loader touch).
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { applyConfig, type Change } from "../../remote/apply";
import { readFiles, run, runScript } from "../../remote/scripts";
import { raw, sh } from "../../remote/sh";
import {
    HEADER,
    absPath,
    directives,
    firstArg,
    flag,
    name,
    onOff,
    option,
    sha256,
    word,
    wsgiDirective,
} from "../../apache";
import { compareVersions, requireSupported } from "../../versions";
import { LOAD, parseLoad } from "../wsgiModule";
import { deepEqual, type Ctx, type ResourceModule } from "../../resource";
import { configFile as daemonConfigFile, parse as parseDaemon } from "../daemonProcess/render";
import { includeDir as vhostIncludeDir } from "../virtualHost";
import { archive, REMOTE_TREE_SHA, resolveSource, treeSha256 } from "./source";

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
                "WSGIPerInterpreterGIL: this interpreter gets its own GIL (Python >= 3.12; C extensions must support it). Not for %{GLOBAL}.",
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
            "Per-interpreter settings (a <WSGIInterpreterOptions> block for the app's process and application group; mod_wsgi 6).",
    });

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
                /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/,
                "must be module:callable, like hello:app",
            )
            .optional()
            .describe(
                "The WSGI callable as `module:callable` (imported with source on sys.path), instead of a scriptFile.",
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
            .describe("Interpreter within the group. Default %{GLOBAL} (main interpreter: safe for C extensions)."),
        environment: z
            .record(
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
            )
            .default({})
            .describe(
                "Environment variables set in os.environ before the app's script runs (stored encrypted; on the host readable only by root and the daemon's group).",
            ),
        interpreterOptions: interpreterOptions
            .optional()
            .describe(
                "Settings for the app's interpreter (mod_wsgi 6): written as a <WSGIInterpreterOptions process-group=… application-group=…> block at server scope.",
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
            "needs applicationGroup %{GLOBAL} or a name: mod_wsgi matches the block by literal group name, and %{SERVER}/%{RESOURCE} are expanded per request",
        path: ["interpreterOptions"],
    })
    .refine((i) => !(i.interpreterOptions?.perInterpreterGil && i.applicationGroup === "%{GLOBAL}"), {
        message:
            "has no effect in %{GLOBAL}: the main interpreter always shares the process's GIL; give the app an applicationGroup name",
        path: ["interpreterOptions", "perInterpreterGil"],
    });

export type ApplicationInputs = z.infer<typeof inputs>;
export type ApplicationState = ApplicationInputs & {
    appDir: string;
    configFile: string;
    configSha256: string;
    loaderSha256: string;
    interpreterFile: string;
};

export const appDir = (name: string) => `/srv/modwsgi/${name}`;
/**
 * The mount's file. Apache takes the first WSGIScriptAlias that matches, and reads the files in name order:
 * deeper mount points get lower numbers (`/` is 29, `/shop` 28, `/shop/api` 27), so `/` never hides `/api`.
 */
export function configFile(name: string, mountPoint: string, vhost?: string): string {
    const depth = mountPoint.split("/").filter(Boolean).length;
    const file = `2${9 - Math.min(depth, 9)}-app-${name}.conf`;
    return vhost ? `${vhostIncludeDir(vhost)}/${file}` : `/etc/apache2/modwsgi.d/${file}`;
}

/** Server scope even when the mount is in a vhost: mod_wsgi reads <WSGIInterpreterOptions> nowhere else. */
export const interpreterFile = (name: string) => `/etc/apache2/modwsgi.d/18-interp-${name}.conf`;

/** The <WSGIInterpreterOptions> file, or "" when the app sets none (then the file is removed). */
export function renderInterpreter(i: ApplicationInputs): string {
    const o = i.interpreterOptions;
    if (!o) return "";
    const lines: string[] = [];
    if (o.perInterpreterGil !== undefined) lines.push(`WSGIPerInterpreterGIL ${onOff(o.perInterpreterGil)}`);
    if (o.switchInterval !== undefined) lines.push(`WSGISwitchInterval ${o.switchInterval}`);
    if (o.pythonPath?.length) lines.push(`WSGIPythonPath ${word(o.pythonPath.join(":"))}`);
    if (o.restrictStdin !== undefined) lines.push(`WSGIRestrictStdin ${onOff(o.restrictStdin)}`);
    if (o.restrictStdout !== undefined) lines.push(`WSGIRestrictStdout ${onOff(o.restrictStdout)}`);
    if (o.restrictSignal !== undefined) lines.push(`WSGIRestrictSignal ${onOff(o.restrictSignal)}`);
    return (
        HEADER +
        `<WSGIInterpreterOptions ${option("process-group", i.processGroup)} ${option("application-group", i.applicationGroup)}>\n` +
        lines.map((l) => `    ${l}\n`).join("") +
        "</WSGIInterpreterOptions>\n"
    );
}

export function parseInterpreter(text: string | undefined): ApplicationInputs["interpreterOptions"] {
    if (!text || !/<WSGIInterpreterOptions\b/.test(text)) return undefined;
    const one = (d: string) => firstArg(text, d);
    const out = {
        perInterpreterGil: flag(text, "WSGIPerInterpreterGIL"),
        switchInterval: one("WSGISwitchInterval") === undefined ? undefined : Number(one("WSGISwitchInterval")),
        pythonPath: one("WSGIPythonPath")?.split(":"),
        restrictStdin: flag(text, "WSGIRestrictStdin"),
        restrictStdout: flag(text, "WSGIRestrictStdout"),
        restrictSignal: flag(text, "WSGIRestrictSignal"),
    };
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

export function render(i: ApplicationInputs): string {
    const dir = appDir(i.name);
    // Alias lines come first: for a URL under the mount, the first matching alias wins.
    const aliases = i.staticFiles
        .map((f) => `Alias ${word(f.urlPath)} ${word(`${dir}/current/${f.directory}`)}\n`)
        .join("");
    return (
        HEADER +
        aliases +
        `WSGIScriptAlias ${word(i.mountPoint)} ${word(`${dir}/wsgi.py`)} ` +
        `${option("process-group", i.processGroup)} ${option("application-group", i.applicationGroup)}` +
        `${i.passAuthorization ? ` ${option("pass-authorization", "On")}` : ""}\n` +
        `<Directory ${word(dir)}>\n    Require all granted\n</Directory>\n`
    );
}

/** The loader mod_wsgi runs: environment first, then the app's script (its `__file__` stays its own) or entry point. */
export function renderLoader(i: ApplicationInputs): string {
    const dir = appDir(i.name);
    const entry = i.entryPoint?.split(":");
    return [
        HEADER.trimEnd(),
        "import json",
        "import os",
        entry ? "import sys" : "import runpy",
        "",
        `with open(${JSON.stringify(`${dir}/env.json`)}, encoding="utf-8") as _f:`,
        "    os.environ.update(json.load(_f))",
        "",
        ...(entry
            ? [
                  `sys.path.insert(0, ${JSON.stringify(`${dir}/current`)})`,
                  "from importlib import import_module  # noqa: E402",
                  "",
                  `application = getattr(import_module(${JSON.stringify(entry[0])}), ${JSON.stringify(entry[1])})`,
              ]
            : [
                  `application = runpy.run_path(${JSON.stringify(`${dir}/current/${i.scriptFile ?? "app.wsgi"}`)})["application"]`,
              ]),
        "",
    ].join("\n");
}

/** Sorted keys, so the same environment always gives the same file (and no spurious restart). */
export function renderEnv(env: Record<string, string>): string {
    return (
        JSON.stringify(
            Object.fromEntries(
                Object.keys(env)
                    .sort()
                    .map((k) => [k, env[k]]),
            ),
            null,
            1,
        ) + "\n"
    );
}

export function parse(text: string, loader: string, name: string): Partial<ApplicationInputs> {
    const d = wsgiDirective(text, "WSGIScriptAlias", 2);
    const args = d?.args ?? [];
    const opts = d?.options ?? new Map<string, string>();
    const current = `${appDir(name)}/current/`;
    const script = /runpy\.run_path\("([^"]*)"\)/.exec(loader)?.[1];
    const entry = /getattr\(import_module\("([^"]*)"\), "([^"]*)"\)/.exec(loader);
    return {
        name,
        mountPoint: args[0],
        scriptFile:
            script === undefined ? undefined : script.startsWith(current) ? script.slice(current.length) : script,
        entryPoint: entry ? `${entry[1]}:${entry[2]}` : undefined,
        processGroup: opts.get("process-group"),
        applicationGroup: opts.get("application-group"),
        passAuthorization: /^on$/i.test(opts.get("pass-authorization") ?? ""),
        staticFiles: directives(text, "Alias").map(([url, path]) => ({
            urlPath: url,
            directory: path?.startsWith(current) ? path.slice(current.length) : path,
        })),
    };
}

/** scriptFile's default applies only without an entryPoint: made concrete so the diff compares like with like. */
export function normalizeEntry(i: ApplicationInputs): ApplicationInputs {
    return i.entryPoint || i.scriptFile ? i : { ...i, scriptFile: "app.wsgi" };
}

/** The daemon group's Unix group, which may read env.json: its `group=`, else Apache's (www-data). */
async function daemonGroup(ctx: Ctx, processGroup: string): Promise<string> {
    const res = await run(ctx.host, sh`cat ${daemonConfigFile(processGroup)}`);
    return (res.code === 0 && parseDaemon(res.stdout)?.group) || "www-data";
}

async function deploy(ctx: Ctx, i: ApplicationInputs, old?: ApplicationState) {
    const stage = `/var/lib/modwsgi/stage/app-${i.name}-${randomBytes(6).toString("hex")}`;
    await run(ctx.host, sh`mkdir -p -m 700 ${stage}`);
    if (!old || old.sourceSha256 !== i.sourceSha256) {
        const dir = resolveSource(i.source);
        const tgz = archive(dir);
        ctx.log.status(
            `uploading ${dir} (${Math.ceil(tgz.length / 1024)} KiB) as release ${i.sourceSha256!.slice(0, 12)}`,
        );
        await ctx.host.writeFile(`${stage}/source.tgz`, tgz, 0o600);
    }
    await ctx.host.writeFile(`${stage}/wsgi.py`, renderLoader(i), 0o644);
    await ctx.host.writeFile(`${stage}/env.json`, renderEnv(i.environment), 0o600);
    const group = await daemonGroup(ctx, i.processGroup);
    const facts = await runScript(ctx.host, "deploy-app", [appDir(i.name), stage, i.sourceSha256!, group]);
    if (old && facts.restarted === "true")
        ctx.log.info(`daemon group ${i.processGroup} restarts on its next request (code or environment changed)`);
}

async function apply(ctx: Ctx, i: ApplicationInputs, old?: ApplicationState): Promise<ApplicationState> {
    const codeOrEnv =
        !old ||
        old.sourceSha256 !== i.sourceSha256 ||
        !deepEqual(old.environment, i.environment) ||
        old.scriptFile !== i.scriptFile ||
        old.loaderSha256 !== sha256(renderLoader(i));
    await checkHost(ctx, i);
    if (codeOrEnv) await deploy(ctx, i, old);
    const text = render(i);
    const interp = renderInterpreter(i);
    const file = configFile(i.name, i.mountPoint, i.virtualHost);
    if (!old || old.configSha256 !== configSha(text, interp) || old.configFile !== file) {
        const changes: Change[] = [
            { op: "put", target: file, content: text },
            interp
                ? { op: "put", target: interpreterFile(i.name), content: interp }
                : { op: "del", target: interpreterFile(i.name) },
        ];
        if (old && old.configFile !== file) changes.push({ op: "del", target: old.configFile });
        ctx.log.status(`writing ${file}, configtest, graceful reload`);
        await applyConfig(ctx.host, changes, "graceful");
    }
    return {
        ...i,
        appDir: appDir(i.name),
        configFile: file,
        configSha256: configSha(text, interp),
        loaderSha256: sha256(renderLoader(i)),
        interpreterFile: interpreterFile(i.name),
    };
}

/** Both managed config files as one hash ("" for a missing interpreter file). */
const configSha = (text: string, interp: string) => sha256(text + interp);

/**
 * What the host must offer before anything is written, in one round trip: a WSGIDaemonProcess for the
 * mount's group (by a DaemonProcess, or by hand), and for interpreter options a module and Python that know them.
 */
async function checkHost(ctx: Ctx, i: ApplicationInputs): Promise<void> {
    const pattern = `^[[:space:]]*WSGIDaemonProcess[[:space:]]+"?${i.processGroup.replace(/\./g, "\\.")}"?([[:space:]]|$)`;
    const read = await readFiles(ctx.host, [LOAD], sh`grep -rlsE ${pattern} /etc/apache2/ | head -n 1`);
    if (!read.extra.trim()) {
        throw new Error(
            `Application.processGroup: no daemon process group "${i.processGroup}" on ${ctx.host.name}; declare a DaemonProcess with name "${i.processGroup}" for this host and pass its name output (processGroup: daemon.name), so it exists first`,
        );
    }
    const [load] = read.files;
    if (!i.interpreterOptions || load === undefined) return; // no module yet: Apache's configtest has the last word
    const { version, abi } = parseLoad(load);
    requireSupported("Application", i, version);
    const py = /^cpython-(\d)(\d+)/.exec(abi);
    if (i.interpreterOptions.perInterpreterGil && py && compareVersions(`${py[1]}.${py[2]}`, "3.12") < 0) {
        throw new Error(
            `Application.interpreterOptions.perInterpreterGil needs Python >= 3.12; the module on ${ctx.host.name} runs ${py[1]}.${py[2]} (WSGI0198)`,
        );
    }
}

export const application: ResourceModule<ApplicationInputs, ApplicationState> = {
    token: "modwsgi:index:Application",
    description:
        "A WSGI application: local code uploaded as an atomic release and mounted with WSGIScriptAlias in a daemon group.",
    inputs,
    outputs: {
        appDir: { type: "string", description: "Directory on the host holding releases/ and the `current` symlink." },
        configFile: { type: "string", description: "The managed config file on the host." },
        configSha256: { type: "string", description: "SHA-256 of that file as last applied (live after refresh)." },
        loaderSha256: { type: "string", description: "SHA-256 of the generated loader wsgi.py (live after refresh)." },
        interpreterFile: {
            type: "string",
            description: "The managed <WSGIInterpreterOptions> file (present only with interpreterOptions).",
        },
    },
    secrets: ["environment"],
    internal: ["sourceSha256"],
    claims: (i) => [
        { key: `app:${i.name}`, property: "name", what: `application "${i.name}"` },
        // (staticFiles may still be unknown in preview: then only the mount point counts.)
        ...[i.mountPoint, ...(Array.isArray(i.staticFiles) ? i.staticFiles.map((f) => f.urlPath) : [])].map(
            (url, n) => ({
                key: `url:${i.virtualHost ?? "*"}:${url}`,
                property: n === 0 ? "mountPoint" : `staticFiles[${n - 1}].urlPath`,
                what: `URL path ${url}${i.virtualHost ? ` in virtual host ${i.virtualHost}` : ""}`,
            }),
        ),
    ],
    replaceOn: ["name"],
    normalize: (i) => ({ ...normalizeEntry(i), sourceSha256: treeSha256(resolveSource(i.source)) }),
    id: (i) => i.name,
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, id, olds) {
        const name = olds?.name ?? id;
        const dir = appDir(name);
        const file = olds?.configFile ?? configFile(name, "/app");
        const read = await readFiles(
            ctx.host,
            [file, `${dir}/wsgi.py`, `${dir}/env.json`, interpreterFile(name)],
            sh`cd ${dir + "/current"} && ${raw(REMOTE_TREE_SHA)}`,
        );
        const [text, loader = "", env = "", interp = ""] = read.files;
        if (text === undefined) return null; // no config file: the app is gone
        const tree = read.extra;
        let environment: Record<string, string>;
        try {
            environment = JSON.parse(env);
        } catch {
            environment = { "<unreadable env.json>": "" };
        }
        return {
            ...olds,
            ...parse(text, loader, name),
            interpreterOptions: parseInterpreter(interp),
            environment,
            source: olds?.source ?? "",
            sourceSha256: /^[0-9a-f]{64}$/.test(tree.trim()) ? tree.trim() : "missing",
            appDir: dir,
            configFile: file,
            configSha256: configSha(text, interp),
            loaderSha256: sha256(loader),
            interpreterFile: interpreterFile(name),
        } as ApplicationState;
    },
    async delete(ctx, olds) {
        await applyConfig(
            ctx.host,
            [
                { op: "del", target: olds.configFile },
                { op: "del", target: interpreterFile(olds.name) },
            ],
            "graceful",
        );
        await run(ctx.host, sh`rm -rf ${appDir(olds.name)}`);
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== configSha(render(news), renderInterpreter(news)) ? ["configSha256"] : []),
        ...(olds.loaderSha256 !== sha256(renderLoader(news)) ? ["loaderSha256"] : []),
    ],
};
