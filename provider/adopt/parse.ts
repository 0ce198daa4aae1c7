// Pure: hand-written Apache config text -> directives with file:line, and the mod_wsgi site they describe
// (virtual hosts, daemon groups, mounts, static aliases, the LoadModule line). Nothing here touches a host.
import { words } from "../apache";

/** One config file as read from the host: its path (the enabled name, e.g. sites-enabled/x.conf) and text. */
export interface ConfigFile {
    path: string;
    text: string;
}

export interface Section {
    name: string;
    args: string[];
    file: string;
    line: number;
}

export interface Directive {
    name: string;
    args: string[];
    /** The arguments as written (mod_wsgi reads `name=value` options from it). */
    rest: string;
    file: string;
    line: number;
    /** Enclosing sections, outermost first, the configuration-time conditionals (CONDITIONAL) left out. */
    sections: Section[];
}

export const where = (d: { file: string; line: number }) => `${d.file}:${d.line}`;

/** Apache's own variables a site file may use (Debian's envvars). */
const ENVVARS: Record<string, string> = { APACHE_LOG_DIR: "/var/log/apache2", APACHE_RUN_DIR: "/var/run/apache2" };
const expand = (s: string) => s.replace(/\$\{([A-Z_]+)\}/g, (m, v: string) => ENVVARS[v] ?? m);

/**
 * Sections Apache resolves while reading the config (<IfModule>, <IfDefine>, <IfVersion>, ...): on a
 * host serving the site the usual guards hold (`<IfModule mod_wsgi.c>`, Debian's `<IfModule mod_ssl.c>` around
 * a TLS vhost), so they are transparent here: their contents belong to the enclosing scope. A negated guard is
 * read the same way (rare around a live site). <If> is not one of them: Apache evaluates it per request, so its
 * directives stay inside it (and are listed as not mapped).
 */
const CONDITIONAL = /^If(Module|Define|Version|File|Directive|Section)$/i;

/** Every directive and section of a file, with its line (the first line of a continued one). */
export function directivesOf(file: ConfigFile): { directives: Directive[]; sections: Section[] } {
    const directives: Directive[] = [];
    const sections: Section[] = [];
    const stack: Section[] = [];
    const lines = file.text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const line = i + 1;
        let text = lines[i];
        // A trailing backslash continues the directive on the next line.
        while (text.endsWith("\\") && i + 1 < lines.length)
            text = text.slice(0, -1).trimEnd() + " " + lines[++i].trim();
        text = expand(text.trim());
        if (!text || text.startsWith("#")) continue;
        const close = /^<\/([A-Za-z]+)\s*>$/.exec(text);
        if (close) {
            stack.pop();
            continue;
        }
        // The arguments run to the last `>`: `<IfVersion >= 2.4>` holds one.
        const open = /^<([A-Za-z]+)(\s+.*)?>$/.exec(text);
        if (open) {
            const s = { name: open[1], args: words(open[2] ?? ""), file: file.path, line };
            sections.push(s);
            stack.push(s);
            continue;
        }
        const [name, ...args] = words(text);
        const rest = text.slice(text.indexOf(name) + name.length).trim();
        const scope = stack.filter((s) => !CONDITIONAL.test(s.name));
        directives.push({ name, args, rest, file: file.path, line, sections: scope });
    }
    return { directives, sections };
}

export interface VHost {
    section: Section;
    address: string;
    port: number;
    serverName?: Directive;
    aliases: Directive[];
    sslEngine?: Directive;
    certificateFile?: Directive;
    keyFile?: Directive;
    chainFile?: Directive;
    errorLog?: Directive;
    customLog?: Directive;
}

export interface Daemon {
    name: string;
    /** `name=value` options as mod_wsgi reads them. */
    options: Map<string, string>;
    directive: Directive;
    vhost?: VHost;
}

export interface Mount {
    url: string;
    script: string;
    options: Map<string, string>;
    directive: Directive;
    vhost?: VHost;
    /** The WSGIProcessGroup / WSGIApplicationGroup / WSGIPassAuthorization that apply to it, if any. */
    processGroup?: Directive;
    applicationGroup?: Directive;
    passAuthorization?: Directive;
}

export interface StaticAlias {
    url: string;
    dir: string;
    directive: Directive;
    vhost?: VHost;
}

export interface SiteModel {
    files: string[];
    directives: Directive[];
    sections: Section[];
    vhosts: VHost[];
    daemons: Daemon[];
    mounts: Mount[];
    aliases: StaticAlias[];
    /** The LoadModule wsgi_module line and the module's server-wide WSGIPythonHome/Path beside it. */
    moduleLoad?: Directive;
    serverPythonHome?: Directive;
    serverPythonPath?: Directive;
    restrictEmbedded?: Directive;
}

/** Reads `name=value` options after `leading` plain words, the way mod_wsgi's wsgi_parse_option does. */
export function wsgiOptions(d: Directive, leading: number): Map<string, string> {
    const out = new Map<string, string>();
    for (const w of d.args.slice(leading)) {
        const eq = w.indexOf("=");
        if (eq > 0) out.set(w.slice(0, eq), w.slice(eq + 1));
        else out.set(w, "");
    }
    return out;
}

const is = (d: { name: string }, name: string) => d.name.toLowerCase() === name.toLowerCase();
const vhostOf = (d: Directive) => d.sections.find((s) => is(s, "VirtualHost"));

function vhostFrom(section: Section, inside: Directive[]): VHost {
    const addr = section.args[0] ?? "*:80";
    const colon = addr.lastIndexOf(":");
    const port = colon >= 0 ? Number(addr.slice(colon + 1)) : 80;
    const one = (n: string) => inside.find((d) => is(d, n) && d.sections[d.sections.length - 1] === section);
    return {
        section,
        address: colon >= 0 ? addr.slice(0, colon) : addr,
        port,
        serverName: one("ServerName"),
        aliases: inside.filter((d) => is(d, "ServerAlias") && d.sections[d.sections.length - 1] === section),
        sslEngine: one("SSLEngine"),
        certificateFile: one("SSLCertificateFile"),
        keyFile: one("SSLCertificateKeyFile"),
        chainFile: one("SSLCertificateChainFile"),
        errorLog: one("ErrorLog"),
        customLog: one("CustomLog"),
    };
}

/** Whether a <Directory>/<Location> section covers a path (a plain prefix; regex sections do not count). */
function covers(s: Section, p: string): boolean {
    const arg = s.args[0] ?? "";
    if (is(s, "Directory")) return p === arg || p.startsWith(arg.endsWith("/") ? arg : `${arg}/`);
    return false;
}

/**
 * The directive named `name` that applies to a mount: an option on the alias wins, then the innermost
 * <Directory> covering its script in the same vhost, then the vhost, then server scope.
 */
function applying(all: Directive[], name: string, m: { script: string; vhost?: VHost }): Directive | undefined {
    const candidates = all.filter((d) => is(d, name) && vhostOf(d) === m.vhost?.section);
    const inDir = candidates
        .filter((d) => {
            const dirs = d.sections.filter((s) => !is(s, "VirtualHost"));
            return dirs.length > 0 && dirs.every((s) => covers(s, m.script) || is(s, "Files"));
        })
        .sort((a, b) => b.sections.length - a.sections.length);
    return inDir[0] ?? candidates.find((d) => d.sections.every((s) => is(s, "VirtualHost")));
}

/** The files worth adopting: any that names mod_wsgi (a WSGI directive or its LoadModule). */
export function mentionsWsgi(text: string): boolean {
    return /^\s*(WSGI[A-Za-z]+|LoadModule\s+wsgi_module)\b/im.test(text);
}

export function parseSite(files: ConfigFile[]): SiteModel {
    const parsed = files.map(directivesOf);
    const directives = parsed.flatMap((p) => p.directives);
    const sections = parsed.flatMap((p) => p.sections);
    const vhosts = sections
        .filter((s) => is(s, "VirtualHost"))
        .map((s) =>
            vhostFrom(
                s,
                directives.filter((d) => d.sections.includes(s)),
            ),
        );
    const vhostFor = (d: Directive) => vhosts.find((v) => v.section === vhostOf(d));
    const daemons = directives
        .filter((d) => is(d, "WSGIDaemonProcess") && d.args[0])
        .map((d) => ({ name: d.args[0], options: wsgiOptions(d, 1), directive: d, vhost: vhostFor(d) }));
    const mounts = directives
        .filter((d) => is(d, "WSGIScriptAlias") && d.args.length >= 2)
        .map((d): Mount => {
            const m: Mount = {
                url: d.args[0],
                script: d.args[1],
                options: wsgiOptions(d, 2),
                directive: d,
                vhost: vhostFor(d),
            };
            m.processGroup = applying(directives, "WSGIProcessGroup", m);
            m.applicationGroup = applying(directives, "WSGIApplicationGroup", m);
            m.passAuthorization = applying(directives, "WSGIPassAuthorization", m);
            return m;
        });
    const aliases = directives
        .filter((d) => is(d, "Alias") && d.args.length === 2)
        .map((d) => ({ url: d.args[0], dir: d.args[1], directive: d, vhost: vhostFor(d) }));
    const serverScope = (n: string) => directives.find((d) => is(d, n) && d.sections.length === 0);
    return {
        files: files.map((f) => f.path),
        directives,
        sections,
        vhosts,
        daemons,
        mounts,
        aliases,
        moduleLoad: directives.find((d) => is(d, "LoadModule") && d.args[0] === "wsgi_module"),
        serverPythonHome: serverScope("WSGIPythonHome"),
        serverPythonPath: serverScope("WSGIPythonPath"),
        restrictEmbedded: serverScope("WSGIRestrictEmbedded"),
    };
}
