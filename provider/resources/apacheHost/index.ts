// ApacheHost: the host itself. Its outputs are the facts read from it (OS, Apache version and MPM, layout,
// systemd, Pythons, apxs); its inputs are the server-wide settings: mod_wsgi's server directives, the MPM
// and extra Listen ports, each in a provider-owned file.
import { z } from "zod";
import { applyConfig, type Change } from "../../remote/apply";
import { readFiles, runScript } from "../../remote/scripts";
import { absPath, directives, firstArg, flag, HEADER, onOff, sha256, word } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";
import { LATEST, requireSupported, withInert, withoutInert } from "../../versions";
import { loadedModule } from "../wsgiModule";

const MPMS = ["event", "worker", "prefork"] as const;

/** What `ensurePackages` installs: Apache and everything mod_wsgi's build needs (see WsgiModule's preflight). */
export const PACKAGES = ["apache2", "apache2-dev", "python3-dev", "python3-venv", "gcc"];

export const inputs = z
    .object({
        ensurePackages: z
            .boolean()
            .default(false)
            .describe(
                `Install with apt whichever of ${PACKAGES.join(", ")} are missing, before anything else (the host needs a Debian mirror). Make WsgiModule depend on this resource.`,
            ),
        restrictEmbedded: z
            .boolean()
            .default(true)
            .describe(
                "WSGIRestrictEmbedded: no Python in Apache's own children, apps only in daemon groups. Default true (upstream recommendation).",
            ),
        socketPrefix: absPath()
            .optional()
            .describe(
                "WSGISocketPrefix: where daemon sockets live. Default mod_wsgi's (Apache's run dir). Must be traversable by Apache's children; never /tmp.",
            ),
        socketRotation: z
            .boolean()
            .optional()
            .describe(
                "WSGISocketRotation. Off keeps socket names stable across graceful restarts (fewer 503s after log rotation).",
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
                "WSGIFreeThreading (mod_wsgi 6, PEP 703): run daemon groups without the GIL. Needs a free-threaded Python (3.13t); refused otherwise.",
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
                "WSGITelemetryService unix socket (mod_wsgi 6): every mod_wsgi process sends metrics there (run mod_wsgi-telemetry serve on it).",
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
    })
    .strict();

export type ApacheHostInputs = z.infer<typeof inputs>;
export type ApacheHostState = ApacheHostInputs & {
    osId: string;
    osVersion: string;
    osName: string;
    systemd: boolean;
    apacheVersion: string;
    apacheMpm: string;
    apacheLayout: string;
    apxs: string;
    python: string;
    pythons: string[];
    configSha256: string;
    moduleVersion?: string;
};

/** Inside modwsgi.d, so it is read after the module's own defaults and overrides them. */
export const WSGI_FILE = "/etc/apache2/modwsgi.d/00-server.conf";
export const LISTEN_FILE = "/etc/apache2/conf-available/modwsgi-listen.conf";
const LISTEN_LINK = "/etc/apache2/conf-enabled/modwsgi-listen.conf";

export function renderWsgi(i: ApacheHostInputs): string {
    const lines = [`WSGIRestrictEmbedded ${onOff(i.restrictEmbedded)}`];
    if (i.socketPrefix) lines.push(`WSGISocketPrefix ${word(i.socketPrefix)}`);
    if (i.socketRotation !== undefined) lines.push(`WSGISocketRotation ${onOff(i.socketRotation)}`);
    if (i.pythonHome) lines.push(`WSGIPythonHome ${word(i.pythonHome)}`);
    if (i.pythonPath?.length) lines.push(`WSGIPythonPath ${word(i.pythonPath.join(":"))}`);
    if (i.perInterpreterGil !== undefined) lines.push(`WSGIPerInterpreterGIL ${onOff(i.perInterpreterGil)}`);
    if (i.freeThreading !== undefined) lines.push(`WSGIFreeThreading ${onOff(i.freeThreading)}`);
    if (i.switchInterval !== undefined) lines.push(`WSGISwitchInterval ${i.switchInterval}`);
    if (i.telemetrySocket) lines.push(`WSGITelemetryService ${word(`unix:${i.telemetrySocket}`)}`);
    return `${HEADER}${lines.join("\n")}\n`;
}

export function renderListen(i: ApacheHostInputs): string {
    return `${HEADER}${i.listenPorts.map((p) => `Listen ${p}\n`).join("")}`;
}

export function parse(wsgi: string, listen: string): Partial<ApacheHostInputs> {
    const one = (d: string) => firstArg(wsgi, d);
    return {
        restrictEmbedded: flag(wsgi, "WSGIRestrictEmbedded") ?? false,
        socketPrefix: one("WSGISocketPrefix"),
        socketRotation: flag(wsgi, "WSGISocketRotation"),
        pythonHome: one("WSGIPythonHome"),
        pythonPath: one("WSGIPythonPath")?.split(":"),
        perInterpreterGil: flag(wsgi, "WSGIPerInterpreterGIL"),
        freeThreading: flag(wsgi, "WSGIFreeThreading"),
        switchInterval: one("WSGISwitchInterval") === undefined ? undefined : Number(one("WSGISwitchInterval")),
        telemetrySocket: one("WSGITelemetryService")?.replace(/^unix:/, ""),
        listenPorts: directives(listen, "Listen").map(([p]) => Number(p)),
    };
}

function facts(f: Record<string, string>) {
    return {
        osId: f.os_id,
        osVersion: f.os_version,
        osName: f.os_name,
        systemd: f.systemd === "true",
        apacheVersion: f.apache_version,
        apacheMpm: f.apache_mpm,
        apacheLayout: f.apache_layout,
        apxs: f.apxs,
        python: f.python3,
        pythons: (f.pythons ?? "").trim().split(/\s+/).filter(Boolean),
    };
}

/** The files for the module the host runs: settings it lacks are refused, or left out when inert. */
const renderFor = (i: ApacheHostInputs, version: string) => {
    const v = withoutInert("ApacheHost", i, version);
    return renderWsgi(v) + renderListen(v);
};

async function apply(ctx: Ctx, i: ApacheHostInputs, old?: ApacheHostState): Promise<ApacheHostState> {
    if (i.ensurePackages) {
        ctx.log.status(`apt: making sure ${PACKAGES.join(", ")} are installed`);
        const r = await runScript(ctx.host, "ensure-packages", PACKAGES, { timeoutMs: 900_000 });
        if (r.installed) ctx.log.info(`installed ${r.installed}`);
    }
    const before = facts(await runScript(ctx.host, "probe", []));
    const module = await loadedModule(ctx);
    const moduleVersion = module?.version ?? old?.moduleVersion ?? LATEST;
    requireSupported("ApacheHost", i, moduleVersion);
    if (i.freeThreading && !/^cpython-\d+t-/.test(module?.abi ?? "")) {
        throw new Error(
            `ApacheHost.freeThreading needs mod_wsgi built for a free-threaded Python (3.13t); the module on ${ctx.host.name} is built for ${module?.abi ?? "nothing yet (create the WsgiModule first)"}`,
        );
    }
    if (before.apacheLayout !== "debian")
        throw new Error(
            `ApacheHost on ${ctx.host.name}: only Debian's Apache layout is supported (found ${before.apacheLayout})`,
        );
    // Server-wide WSGI directives need a Python the module links: check what the host can do before writing.
    if (i.perInterpreterGil && before.python && versionBelow(before.python, 3, 12)) {
        throw new Error(
            `ApacheHost.perInterpreterGil needs Python >= 3.12; ${ctx.host.name} has ${before.python} (WSGI0198)`,
        );
    }
    const v = withoutInert("ApacheHost", i, moduleVersion);
    const wsgi = renderWsgi(v);
    const listen = renderListen(v);
    const changes: Change[] = [
        { op: "put", target: WSGI_FILE, content: wsgi },
        { op: "put", target: LISTEN_FILE, content: listen },
        { op: "link", target: LISTEN_FILE, link: LISTEN_LINK },
    ];
    const mpmChange = i.mpm !== undefined && i.mpm !== before.apacheMpm;
    if (mpmChange) {
        for (const m of MPMS)
            for (const ext of ["load", "conf"]) {
                const link = `/etc/apache2/mods-enabled/mpm_${m}.${ext}`;
                changes.push(
                    m === i.mpm
                        ? { op: "link", target: `/etc/apache2/mods-available/mpm_${m}.${ext}`, link }
                        : { op: "del", target: link },
                );
            }
    }
    ctx.log.status(
        mpmChange
            ? `switching the MPM to ${i.mpm}: configtest, full restart`
            : "writing server-wide settings, configtest, graceful reload",
    );
    await applyConfig(ctx.host, changes, mpmChange ? "restart" : "graceful");
    const after = mpmChange ? facts(await runScript(ctx.host, "probe", [])) : before;
    return { ...i, ...after, configSha256: sha256(wsgi + listen), moduleVersion };
}

function versionBelow(v: string, major: number, minor: number): boolean {
    const [a, b] = v.split(".").map(Number);
    return a < major || (a === major && b < minor);
}

export const apacheHost: ResourceModule<ApacheHostInputs, ApacheHostState> = {
    token: "modwsgi:index:ApacheHost",
    description:
        "The Apache host: facts read from it (outputs) and its server-wide settings (mod_wsgi server directives, MPM, extra Listen ports).",
    inputs,
    outputs: {
        osId: { type: "string", description: "ID from /etc/os-release (debian)." },
        osVersion: { type: "string", description: "VERSION_ID from /etc/os-release (12, 13)." },
        osName: { type: "string", description: "PRETTY_NAME from /etc/os-release." },
        systemd: { type: "boolean", description: "Whether Apache is managed through systemd (else apache2ctl)." },
        apacheVersion: { type: "string", description: "Apache version (2.4.N)." },
        apacheMpm: { type: "string", description: "The MPM Apache runs (event, worker, prefork)." },
        apacheLayout: { type: "string", description: "Config layout (debian)." },
        apxs: { type: "string", description: "Path of apxs (empty when apache2-dev is missing)." },
        python: { type: "string", description: "Version of /usr/bin/python3 (X.Y.Z)." },
        pythons: { type: "array", items: { type: "string" }, description: "The python3.X interpreters in /usr/bin." },
        configSha256: { type: "string", description: "SHA-256 of the managed files (live after refresh)." },
        moduleVersion: { type: "string", description: "The host's mod_wsgi version the files were written for." },
    },
    replaceOn: [],
    claims: () => [{ key: "apachehost", property: "restrictEmbedded", what: "an ApacheHost (one per host)" }],
    id: () => "apache",
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, _id, olds) {
        const [wsgi, listen = ""] = (await readFiles(ctx.host, [WSGI_FILE, LISTEN_FILE])).files;
        if (wsgi === undefined) return null;
        const f = facts(await runScript(ctx.host, "probe", []));
        const live = withInert("ApacheHost", parse(wsgi, listen) as ApacheHostInputs, olds?.moduleVersion ?? LATEST);
        return {
            ...olds,
            ...live,
            mpm: olds?.mpm === undefined ? undefined : (f.apacheMpm as ApacheHostInputs["mpm"]),
            ...f,
            configSha256: sha256(wsgi + listen),
        } as ApacheHostState;
    },
    async delete(ctx) {
        // The MPM stays as it is: switching back could break sites that now rely on it.
        await applyConfig(
            ctx.host,
            [
                { op: "del", target: LISTEN_LINK },
                { op: "del", target: LISTEN_FILE },
                { op: "del", target: WSGI_FILE },
            ],
            "graceful",
        );
    },
    drift: (olds, news) =>
        olds.configSha256 !== sha256(renderFor(news, olds.moduleVersion ?? LATEST)) ? ["configSha256"] : [],
};
