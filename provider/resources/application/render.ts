// Pure: Application inputs <-> the mount file, the <WSGIInterpreterOptions> file, the loader and env.json.
import { HEADER, directives, firstArg, flag, onOff, option, sha256, word, wsgiDirective } from "../../apache";
import { appCurrent, appDir, appEnvFile, appLoader } from "../../layout";
import type { ApplicationInputs } from "./schema";

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
    const groups = `${option("process-group", i.processGroup)} ${option("application-group", i.applicationGroup)}`;
    return (
        HEADER +
        `<WSGIInterpreterOptions ${groups}>\n` +
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

/** The mount file: static Aliases, the WSGIScriptAlias into the daemon group, and access to the app's dir. */
export function render(i: ApplicationInputs): string {
    const current = appCurrent(i.name);
    // Alias lines come first: for a URL under the mount, the first matching alias wins.
    const aliases = i.staticFiles
        .map((f) => `Alias ${word(f.urlPath)} ${word(`${current}/${f.directory}`)}\n`)
        .join("");
    return (
        HEADER +
        aliases +
        `WSGIScriptAlias ${word(i.mountPoint)} ${word(appLoader(i.name))} ` +
        `${option("process-group", i.processGroup)} ${option("application-group", i.applicationGroup)}` +
        `${i.passAuthorization ? ` ${option("pass-authorization", "On")}` : ""}\n` +
        `<Directory ${word(appDir(i.name))}>\n    Require all granted\n</Directory>\n`
    );
}

/** The loader mod_wsgi runs: environment first, then the app's script (its `__file__` stays its own) or entry point. */
export function renderLoader(i: ApplicationInputs): string {
    const current = appCurrent(i.name);
    const entry = i.entryPoint?.replace(/\(\)$/, "").split(":");
    const factory = i.entryPoint?.endsWith("()") ? "()" : "";
    const script = `${current}/${i.scriptFile ?? "app.wsgi"}`;
    return [
        HEADER.trimEnd(),
        "import json",
        "import os",
        entry ? "import sys" : "import runpy",
        "",
        `with open(${JSON.stringify(appEnvFile(i.name))}, encoding="utf-8") as _f:`,
        "    os.environ.update(json.load(_f))",
        "",
        ...(entry
            ? [
                  `sys.path.insert(0, ${JSON.stringify(current)})`,
                  "from importlib import import_module  # noqa: E402",
                  "",
                  `application = getattr(import_module(${JSON.stringify(entry[0])}), ` +
                      `${JSON.stringify(entry[1])})${factory}`,
              ]
            : [`application = runpy.run_path(${JSON.stringify(script)})["application"]`]),
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

/** env.json as read back; a file that is not JSON shows as one marker entry, so the diff reports it. */
export function parseEnv(text: string): Record<string, string> {
    try {
        return JSON.parse(text);
    } catch {
        return { "<unreadable env.json>": "" };
    }
}

/** Inputs as the live mount file and loader state them. */
export function parse(text: string, loader: string, name: string): Partial<ApplicationInputs> {
    const d = wsgiDirective(text, "WSGIScriptAlias", 2);
    const args = d?.args ?? [];
    const opts = d?.options ?? new Map<string, string>();
    const current = `${appCurrent(name)}/`;
    const script = /runpy\.run_path\("([^"]*)"\)/.exec(loader)?.[1];
    const entry = /getattr\(import_module\("([^"]*)"\), "([^"]*)"\)(\(\))?/.exec(loader);
    return {
        name,
        mountPoint: args[0],
        scriptFile:
            script === undefined ? undefined : script.startsWith(current) ? script.slice(current.length) : script,
        entryPoint: entry ? `${entry[1]}:${entry[2]}${entry[3] ?? ""}` : undefined,
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

/** Both managed config files as one hash ("" for a missing interpreter file). */
export const configSha = (text: string, interp: string) => sha256(text + interp);

/** Where the host checks the app after a switch: Apache on loopback, as the app's virtual host or the default one. */
export interface HealthTarget {
    url: string;
    host: string;
}

/**
 * The target for an app in the virtual host whose file reads `vhostText` (its first <VirtualHost *:N> block: the
 * one that serves, a redirect block comes after it), or, without one, the default server on port 80 (or the lowest
 * port Apache listens on).
 */
export function healthTarget(i: ApplicationInputs, vhostText: string | undefined, ports: number[]): HealthTarget {
    const path = i.healthCheck.path ?? i.mountPoint;
    if (i.virtualHost && vhostText) {
        const port = /<VirtualHost\s+\*:(\d+)>/.exec(vhostText)?.[1] ?? "80";
        const block = vhostText.slice(0, vhostText.indexOf("</VirtualHost>") + 1 || undefined);
        const name = /^\s*ServerName\s+"?([^"\s]+)"?/m.exec(block)?.[1] ?? "localhost";
        const tls = /^\s*SSLEngine\s+on\b/im.test(block);
        return { url: `${tls ? "https" : "http"}://127.0.0.1:${port}${path}`, host: name };
    }
    const port = ports.includes(80) || ports.length === 0 ? 80 : ports[0];
    return { url: `http://127.0.0.1:${port}${path}`, host: "localhost" };
}
