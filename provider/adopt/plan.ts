// Pure: the parsed hand-written site -> which resources take it over, with their inputs, what must be fetched
// from the host for them (app code, venv requirements, TLS files), and which directives they account for.
import * as path from "node:path";
import { BUILT_IN, mapDaemonOptions } from "./daemon";
import { type Daemon, type Directive, type Mount, type SiteModel, type VHost, where } from "./parse";

/** A TypeScript expression in the generated program (a reference to another resource's output). */
export class Code {
    constructor(readonly text: string) {}
}
export type Value = string | number | boolean | string[] | Code | Value[] | { [k: string]: Value };

export interface Planned {
    /** The resource's logical name and the program's variable for it. */
    name: string;
    variable: string;
    inputs: Record<string, Value>;
    /** Comment lines written above it in the program. */
    notes: string[];
}

export interface PlannedEnv extends Planned {
    /** The hand config's python-home: its `pip freeze` becomes the requirements. */
    home: string;
}
export interface PlannedSite extends Planned {
    /** The TLS files on the host, to be copied under --out/tls/ (certificate, key, chain). */
    tls?: { certificate: string; key: string; chain?: string };
}
export interface PlannedApp extends Planned {
    /** The directory on the host whose code is copied to --out/<name>/, and the venvs inside it to leave out. */
    sourceDir: string;
    exclude: string[];
}

export interface Plan {
    envs: PlannedEnv[];
    daemons: Planned[];
    sites: PlannedSite[];
    apps: PlannedApp[];
    /** sites-enabled names (a2dissite) of the adopted site files: ApacheHost.disableSites. */
    disableSites: string[];
    /** Enabled module and conf files the program replaces but cannot switch off itself (steps say how). */
    handModuleFiles: string[];
    handConfFiles: string[];
    apacheHost: Record<string, Value>;
    moduleSo?: string;
    notMapped: string[];
}

/** Where Application keeps the live release (layout.ts appCurrent): the hand python-path is rewritten to it. */
const appCurrent = (app: string) => `/srv/modwsgi/${app}/current`;

const URL_PATH = /^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/;
const slug = (s: string) =>
    s
        .replace(/[^A-Za-z0-9_.-]+/g, "-")
        .replace(/^[^A-Za-z0-9]+/, "")
        .slice(0, 50) || "site";
const camel = (s: string) => {
    const c = s.replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? "").toUpperCase());
    return /^[0-9]/.test(c) ? `_${c}` : c || "x";
};
const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
const trimSlash = (u: string) => (u.length > 1 ? u.replace(/\/+$/, "") : u);

/** A name not yet taken, by adding -2, -3, ... */
function unique(base: string, taken: Set<string>): string {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}-${i}`;
    taken.add(n);
    return n;
}

/** The site's a2dissite name when the file is a sites-enabled entry. */
const siteName = (file: string) =>
    path.posix.dirname(file) === "/etc/apache2/sites-enabled" ? path.posix.basename(file, ".conf") : undefined;

/** The source directory of a mount: the daemon's python-path entry holding its script, else the script's dir. */
function sourceDirOf(m: Mount, daemon: Daemon | undefined, aliases: string[]): string {
    const pp = (daemon?.options.get("python-path") ?? "").split(":").filter(Boolean);
    const onPath = pp.find((p) => inside(m.script, p) && p !== "/");
    let dir = onPath ?? path.posix.dirname(m.script);
    // Static directories next to the code (e.g. /srv/app/static beside /srv/app/app/x.wsgi) pull the source up,
    // but never to a top-level directory such as /srv.
    for (const a of aliases) {
        let common = dir;
        while (!inside(a, common) && common !== "/") common = path.posix.dirname(common);
        if (common.split("/").filter(Boolean).length >= 2) dir = common;
    }
    return dir;
}

export function plan(model: SiteModel): Plan {
    const used = new Set<Directive>();
    const notMapped: string[] = [];
    const refuse = (d: Directive, why: string) => {
        used.add(d);
        notMapped.push(`${where(d)} ${d.name} ${d.rest} (${why})`);
    };
    const names = {
        app: new Set<string>(),
        site: new Set<string>(),
        daemon: new Set<string>(),
        env: new Set<string>(),
    };

    // Daemon groups used by a mount, by hand name; python-homes by path.
    const envs = new Map<string, PlannedEnv>();
    const daemons = new Map<string, Planned>();
    const daemonOf = (hand: string) => model.daemons.find((d) => d.name === hand);

    const sites = new Map<VHost, PlannedSite>();
    function siteFor(v: VHost): PlannedSite | undefined {
        if (sites.has(v)) return sites.get(v);
        if (!v.serverName) return undefined;
        const name = unique(slug(siteName(v.section.file) ?? path.posix.basename(v.section.file, ".conf")), names.site);
        const notes: string[] = [`<VirtualHost ${v.section.args.join(" ")}> (${where(v.section)})`];
        const i: Record<string, Value> = { name, serverName: v.serverName.args[0] };
        used.add(v.serverName);
        const aliases = v.aliases.flatMap((d) => (used.add(d), d.args));
        if (aliases.length) i.serverAliases = aliases;
        const tlsOn = v.sslEngine && /^on$/i.test(v.sslEngine.args[0] ?? "");
        if (v.port !== (tlsOn ? 443 : 80)) i.port = v.port;
        if (v.address !== "*" && v.address !== "_default_")
            notes.push(`it listened on ${v.address} only; this one answers on every address of port ${v.port}`);
        let tls: PlannedSite["tls"];
        if (tlsOn && v.certificateFile && v.keyFile) {
            for (const d of [v.sslEngine!, v.certificateFile, v.keyFile, v.chainFile]) if (d) used.add(d);
            tls = { certificate: v.certificateFile.args[0], key: v.keyFile.args[0], chain: v.chainFile?.args[0] };
            i.tls = new Code(
                `{ certificate: read("tls/${name}.crt"), privateKey: pulumi.secret(read("tls/${name}.key"))` +
                    (tls.chain ? `, chain: read("tls/${name}.chain.crt")` : "") +
                    " }",
            );
        }
        if (v.errorLog?.args[0]?.startsWith("/")) {
            i.errorLog = v.errorLog.args[0];
            used.add(v.errorLog);
        }
        if (v.customLog?.args[0]?.startsWith("/") && v.customLog.args[1] === "combined") {
            i.accessLog = v.customLog.args[0];
            used.add(v.customLog);
        }
        const s: PlannedSite = { name, variable: `${camel(name)}Site`, inputs: i, notes, tls };
        sites.set(v, s);
        return s;
    }

    function envFor(home: string, d: Directive): PlannedEnv {
        let e = envs.get(home);
        if (!e) {
            const name = unique(slug(path.posix.basename(path.posix.dirname(home)) || "env"), names.env);
            e = {
                name,
                variable: `${camel(name)}Env`,
                home,
                inputs: { name, python: new Code("mod.python") },
                notes: [`The venv ${home} (python-home at ${where(d)}): the same packages, from its \`pip freeze\`.`],
            };
            envs.set(home, e);
        }
        return e;
    }

    function daemonFor(hand: Daemon): Planned {
        let p = daemons.get(hand.name);
        if (p) return p;
        used.add(hand.directive);
        const suffixed = unique(`${slug(hand.name).slice(0, 55)}-adopted`, names.daemon);
        const i: Record<string, Value> = { name: suffixed };
        const notes = [
            `WSGIDaemonProcess ${hand.name} (${where(hand.directive)}). Named ${suffixed}: a group name is unique ` +
                "server-wide, and the hand site that defines it stays enabled until ApacheHost switches it off last.",
        ];
        const mapped = mapDaemonOptions(hand.options);
        for (const why of mapped.refused) refuse(hand.directive, why);
        if (mapped.pythonHome) i.pythonHome = new Code(`${envFor(mapped.pythonHome, hand.directive).variable}.path`);
        Object.assign(i, mapped.inputs);
        if (mapped.defaulted.length)
            notes.push(
                `${mapped.defaulted.join(", ")}: mod_wsgi's built-in values (the hand config set none), ` +
                    "not this provider's production defaults: the same behaviour until you choose otherwise.",
            );
        p = { name: suffixed, variable: `${camel(hand.name)}Daemon`, inputs: i, notes };
        daemons.set(hand.name, p);
        return p;
    }

    const apps: PlannedApp[] = [];
    for (const m of model.mounts) {
        const url = trimSlash(m.url);
        if (!URL_PATH.test(url)) {
            refuse(m.directive, "not a plain URL path");
            continue;
        }
        const groupName = m.options.get("process-group") ?? m.processGroup?.args[0];
        const hand = groupName ? daemonOf(groupName) : undefined;
        if (groupName && !hand) {
            refuse(m.directive, `its daemon group ${groupName} is not defined in the adopted files`);
            continue;
        }
        const site = m.vhost ? siteFor(m.vhost) : undefined;
        if (m.vhost && !site) {
            refuse(m.directive, `its <VirtualHost> at ${where(m.vhost.section)} has no ServerName`);
            continue;
        }
        const staticAliases = model.aliases.filter((a) => a.vhost === m.vhost);
        const sourceDir = sourceDirOf(
            m,
            hand,
            staticAliases.map((a) => a.dir),
        );
        const base = siteName(m.directive.file) ?? groupName ?? path.posix.basename(sourceDir);
        const name = unique(slug(url === "/" ? base : `${base}-${url.slice(1)}`), names.app);
        used.add(m.directive);
        const notes = [`WSGIScriptAlias ${m.url} ${m.script} (${where(m.directive)})`];
        const daemon = hand ? daemonFor(hand) : undefined;
        if (m.processGroup && hand) used.add(m.processGroup);
        let group: Planned;
        if (daemon) group = daemon;
        else {
            // Embedded mode: this provider runs apps only in daemon groups, so it gets one of its own.
            const n = unique(`${name}-adopted`, names.daemon);
            group = {
                name: n,
                variable: `${camel(name)}Daemon`,
                inputs: { name: n, ...BUILT_IN },
                notes: [`${where(m.directive)} ran in embedded mode; it gets a daemon group of its own here.`],
            };
            daemons.set(`\0${name}`, group);
            notes.push("ran in Apache's own processes (embedded mode): now in its own daemon group");
        }
        const rel = path.posix.relative(sourceDir, m.script);
        const i: Record<string, Value> = { name, mountPoint: url, source: new Code(`here(${JSON.stringify(name)})`) };
        const modulePath = rel.replace(/\.py$/, "").split("/");
        const onPath = (hand?.options.get("python-path") ?? "").split(":").includes(sourceDir);
        if (rel.endsWith(".py") && onPath && modulePath.every((c) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(c))) {
            const callable = m.options.get("callable-object") ?? "application";
            i.entryPoint = `${modulePath.join(".")}:${callable}`;
        } else i.scriptFile = rel;
        i.processGroup = new Code(`${group.variable}.name`);
        const appGroup = m.options.get("application-group") ?? m.applicationGroup?.args[0];
        if (m.applicationGroup) used.add(m.applicationGroup);
        // mod_wsgi's default interpreter is %{RESOURCE}; this provider's is %{GLOBAL}.
        i.applicationGroup = appGroup ?? "%{RESOURCE}";
        if (m.passAuthorization && /^on$/i.test(m.passAuthorization.args[0] ?? "")) {
            i.passAuthorization = true;
            used.add(m.passAuthorization);
        }
        const statics: Value[] = [];
        for (const a of staticAliases) {
            const dir = a.dir.replace(/\/+$/, "");
            if (!inside(dir, sourceDir) || dir === sourceDir || !URL_PATH.test(trimSlash(a.url))) continue;
            used.add(a.directive);
            statics.push({ urlPath: trimSlash(a.url), directory: path.posix.relative(sourceDir, dir) });
        }
        if (statics.length) i.staticFiles = statics;
        if (site) i.virtualHost = new Code(`${site.variable}.name`);
        // The hand python-path named the code's directory: the app's live release is that directory now.
        if (daemon && Array.isArray(daemon.inputs.pythonPath)) {
            daemon.inputs.pythonPath = (daemon.inputs.pythonPath as string[]).map((p) =>
                inside(p, sourceDir) ? appCurrent(name) + p.slice(sourceDir.length) : p,
            );
        }
        const exclude = [...envs.values()].map((e) => e.home).filter((h) => inside(h, sourceDir) && h !== sourceDir);
        apps.push({ name, variable: `${camel(name)}App`, inputs: i, notes, sourceDir, exclude });
    }

    // Access rules for the code and static directories: Application grants them itself.
    const dirs = [
        ...apps.map((a) => a.sourceDir),
        ...model.aliases.filter((a) => used.has(a.directive)).map((a) => a.dir),
    ];
    for (const d of model.directives) {
        const sections = d.sections.filter((s) => s.name.toLowerCase() !== "virtualhost");
        const granted = /^(require$|options$|allowoverride$|order$|allow$|satisfy$)/i.test(d.name);
        const grantsAll = !/^require$/i.test(d.name) || /^all granted$/i.test(d.args.join(" "));
        const coversCode = sections.some(
            (s) =>
                s.name.toLowerCase() === "directory" &&
                dirs.some((x) => inside(s.args[0] ?? "", x) || inside(x, s.args[0] ?? "")),
        );
        if (granted && grantsAll && sections.length > 0 && coversCode) used.add(d);
    }

    // The module's own files: WsgiModule replaces them (its WSGIPythonHome is the module's venv, not an app's).
    const moduleFile = model.moduleLoad?.file;
    // Debian's wsgi.conf beside wsgi.load goes with the module (a2dismod), not a2disconf.
    const moduleSide = (f: string) => f === moduleFile || path.posix.dirname(f) === "/etc/apache2/mods-enabled";
    const handModuleFiles = [...new Set(model.directives.filter((d) => moduleSide(d.file)).map((d) => d.file))];
    const apacheHost: Record<string, Value> = {};
    for (const d of model.directives) {
        if (d.file === moduleFile && /^(LoadModule|WSGIPythonHome|WSGIPythonPath)$/i.test(d.name)) used.add(d);
    }
    for (const d of [model.serverPythonHome, model.serverPythonPath])
        if (d && !used.has(d)) {
            used.add(d);
            if (/^WSGIPythonHome$/i.test(d.name)) apacheHost.pythonHome = d.args[0];
            else apacheHost.pythonPath = d.args[0].split(":");
        }
    if (model.restrictEmbedded) used.add(model.restrictEmbedded);

    const disableSites = [
        ...new Set(
            model.directives.flatMap((d) => {
                const n = siteName(d.file);
                return n && d.file !== moduleFile ? [n] : [];
            }),
        ),
    ];
    apacheHost.disableSites = disableSites;
    const handConfFiles = [
        ...new Set(model.directives.filter((d) => !moduleSide(d.file) && !siteName(d.file)).map((d) => d.file)),
    ];

    for (const d of model.daemons) if (!daemons.has(d.name)) refuse(d.directive, "no adopted mount uses this group");
    for (const d of model.directives) if (!used.has(d)) refuse(d, "no input of these resources says it");
    return {
        envs: [...envs.values()],
        daemons: [...daemons.values()],
        sites: [...sites.values()],
        apps,
        disableSites,
        handModuleFiles,
        handConfFiles,
        apacheHost,
        moduleSo: model.moduleLoad?.args[1],
        notMapped: [...new Set(notMapped)].sort(byFileLine),
    };
}

/** file:line order, numbers compared as numbers. */
function byFileLine(a: string, b: string): number {
    const [fa, la] = a.split(/:(\d+) /);
    const [fb, lb] = b.split(/:(\d+) /);
    return fa === fb ? Number(la) - Number(lb) : fa < fb ? -1 : 1;
}
