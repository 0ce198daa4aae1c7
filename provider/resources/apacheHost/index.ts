// ApacheHost lifecycle: the host itself. Its outputs are the host's facts; its inputs are the server-wide
// settings, each in a provider-owned file. Every change is configtested, then graceful (an MPM change: restart).
import { applyConfig, modesDiffer, putMode, putModes, type Change } from "../../remote/apply";
import { modesOf, readFiles, runScript } from "../../remote/scripts";
import { sha256 } from "../../apache";
import { LISTEN_FILE, LISTEN_LINK, SERVER_FILE, mpmFile, mpmLink } from "../../layout";
import { gather, hostFacts, loadedModule } from "../../facts";
import { LATEST, requireSupported, withInert, withoutInert } from "../../versions";
import { defineResource, type Ctx } from "../../resource";
import { MPMS, PACKAGES, inputs, outputs, type ApacheHostInputs, type ApacheHostState } from "./schema";
import { liveMpm, parse, renderListen, renderWsgi } from "./render";
import { available, siteChanges, sitePaths, stillDisabled, whyNotDisable } from "./sites";

/** The files for the module the host runs: settings it lacks are refused, or left out when inert. */
function renderFor(i: ApacheHostInputs, version: string): string {
    const v = withoutInert("ApacheHost", i, version);
    return renderWsgi(v) + renderListen(v);
}

function versionBelow(v: string, major: number, minor: number): boolean {
    const [a, b] = v.split(".").map(Number);
    return a < major || (a === major && b < minor);
}

async function apply(ctx: Ctx, i: ApacheHostInputs, old?: ApacheHostState): Promise<ApacheHostState> {
    if (i.ensurePackages) {
        ctx.log.status(`apt: making sure ${PACKAGES.join(", ")} are installed`);
        const r = await runScript(ctx.host, "ensure-packages", PACKAGES, { timeoutMs: 900_000 });
        if (r.installed) ctx.log.info(`installed ${r.installed}`);
    }
    const before = await gather(ctx.host, hostFacts);
    const module = await gather(ctx.host, loadedModule);
    const moduleVersion = module?.version ?? old?.moduleVersion ?? LATEST;
    requireSupported("ApacheHost", i, moduleVersion);
    if (i.freeThreading && !/^cpython-\d+t-/.test(module?.abi ?? "")) {
        throw new Error(
            `ApacheHost.freeThreading needs mod_wsgi built for a free-threaded Python (3.13t); the module on ` +
                `${ctx.host.name} is built for ${module?.abi ?? "nothing yet (create the WsgiModule first)"}`,
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
        { op: "put", target: SERVER_FILE, content: wsgi },
        { op: "put", target: LISTEN_FILE, content: listen },
        { op: "link", target: LISTEN_FILE, link: LISTEN_LINK },
    ];
    // Sites newly listed: only a2ensite's own links are switched off (so destroy can put back exactly that).
    const added = i.disableSites.filter((s) => !(old?.disableSites ?? []).includes(s));
    if (added.length) {
        const found = await readFiles(ctx.host, sitePaths(added));
        const why = whyNotDisable(added, found.files, found.meta);
        if (why) throw new Error(why);
    }
    // Sites no longer listed are enabled again, when their file is still there to enable.
    const dropped = (old?.disableSites ?? []).filter((s) => !i.disableSites.includes(s));
    const back = dropped.length ? available(dropped, (await readFiles(ctx.host, sitePaths(dropped))).files, 0) : [];
    changes.push(...siteChanges(i.disableSites, back));
    if (i.disableSites.length)
        ctx.log.info(`sites switched off (sites-enabled links only): ${i.disableSites.join(", ")}`);
    if (back.length) ctx.log.info(`sites enabled again: ${back.join(", ")}`);
    const mpmChange = i.mpm !== undefined && i.mpm !== before.apacheMpm;
    if (mpmChange) {
        for (const m of MPMS)
            for (const ext of ["load", "conf"]) {
                const link = mpmLink(m, ext);
                changes.push(m === i.mpm ? { op: "link", target: mpmFile(m, ext), link } : { op: "del", target: link });
            }
    }
    ctx.log.status(
        mpmChange
            ? `switching the MPM to ${i.mpm}: configtest, full restart`
            : "writing server-wide settings, configtest, graceful reload",
    );
    await applyConfig(ctx.host, changes, mpmChange ? "restart" : "graceful");
    const after = mpmChange ? await gather(ctx.host, hostFacts) : before;
    return { ...i, ...after, configSha256: sha256(wsgi + listen), moduleVersion, fileModes: putModes(changes) };
}

export const apacheHost = defineResource<ApacheHostInputs, ApacheHostState>({
    token: "modwsgi:index:ApacheHost",
    description:
        "The Apache host: facts read from it (outputs) and its server-wide settings " +
        "(mod_wsgi server directives, MPM, extra Listen ports).",
    inputs,
    outputs,
    replaceOn: [],
    claims: () => [{ key: "apachehost", property: "restrictEmbedded", what: "an ApacheHost (one per host)" }],
    id: () => "apache",
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, _id, olds) {
        const disabled = olds?.disableSites ?? [];
        const paths = [SERVER_FILE, LISTEN_FILE, LISTEN_LINK];
        const { files, meta } = await readFiles(ctx.host, [...paths, ...sitePaths(disabled)]);
        const [wsgi, listen = ""] = files;
        if (wsgi === undefined) return null;
        const f = await gather(ctx.host, hostFacts);
        // Its Listen lines count only while conf-enabled links the file (`a2disconf modwsgi-listen` drops the ports).
        const listening = meta[2].link === LISTEN_FILE ? listen : "";
        const live = withInert("ApacheHost", parse(wsgi, listening), olds?.moduleVersion ?? LATEST);
        return {
            ...olds,
            ...live,
            // A site enabled again by hand (a2ensite) is no longer in the live list: drift of disableSites.
            disableSites: stillDisabled(disabled, files, meta, paths.length),
            // Reported only when the program manages the MPM: otherwise it is the host's choice, not drift.
            // An import reports it: `pulumi import` writes it into the program it generates.
            mpm: olds && olds.mpm === undefined ? undefined : liveMpm(f.apacheMpm),
            ...f,
            configSha256: sha256(wsgi + listen),
            fileModes: modesOf(paths.slice(0, 2), meta),
        };
    },
    // An MPM the program leaves alone is the host's choice: whatever it is, no change.
    sameInput: (key, _olds, news) => key === "mpm" && news.mpm === undefined,
    async delete(ctx, olds) {
        // The MPM stays as it is: switching back could break sites that now rely on it. The sites this resource
        // switched off are enabled again (those whose file is still in sites-available), in the same transaction.
        const disabled = olds.disableSites ?? [];
        const back = disabled.length
            ? available(disabled, (await readFiles(ctx.host, sitePaths(disabled))).files, 0)
            : [];
        await applyConfig(
            ctx.host,
            [
                { op: "del", target: LISTEN_LINK },
                { op: "del", target: LISTEN_FILE },
                { op: "del", target: SERVER_FILE },
                ...siteChanges([], back),
            ],
            "graceful",
        );
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(renderFor(news, olds.moduleVersion ?? LATEST)) ? ["configSha256"] : []),
        ...(modesDiffer(olds.fileModes, { [SERVER_FILE]: putMode(), [LISTEN_FILE]: putMode() }) ? ["fileModes"] : []),
    ],
});
