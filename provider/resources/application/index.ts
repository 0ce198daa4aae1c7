// Application: app code uploaded as an immutable release behind a `current` symlink, its environment in
// a file only the daemon's user can read, and a generated loader (wsgi.py) mounted with
// WSGIScriptAlias into a daemon group. Code or environment changes restart only that group (loader touch).
import { randomBytes } from "node:crypto";
import { applyConfig, type Change } from "../../remote/apply";
import { removeOwned } from "../../remote/remove";
import { readFiles, runScript } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { sha256 } from "../../apache";
import { compareVersions, requireSupported } from "../../versions";
import { deepEqual, defineResource, type Ctx } from "../../resource";
import { PartialFailure } from "../../partial";
import {
    MODWSGI_D,
    STAGE_ROOT,
    VHOST_INCLUDE_ROOT,
    appDir,
    appEnvFile,
    appFile,
    appLoader,
    appSettingsFile,
    daemonFile,
    interpreterFile,
    vhostFile,
} from "../../layout";
import {
    daemonGroupFile,
    daemonHome,
    daemonUser,
    fileText,
    gather,
    gatherAll,
    listenPorts,
    loadedModule,
    parseDaemonUser,
} from "../../facts";
import { inputs, outputs, type ApplicationInputs, type ApplicationState } from "./schema";
import {
    configSha,
    healthTarget,
    normalizeEntry,
    parse,
    parseEnv,
    parseInterpreter,
    render,
    renderEnv,
    renderInterpreter,
    renderLoader,
} from "./render";
import { archive, remoteReleaseIntact, remoteReleaseSha, resolveSource, treeSha256 } from "./source";
import { envFileMode, envFileRight, envFileWanted, fileStat, loaderMode, parseStat, statCommand } from "./live";
import { parseFacts } from "../../remote/scripts";
import type { HealthTarget } from "./render";
import { parseSettings, renderSettings } from "./settings";
import { writeRecord } from "../../records";

/** What a deploy needs from the host, read once per apply (checkHost). */
interface HostView {
    /** The daemon group's user, who alone may read env.json. */
    user: string;
    /** The daemon group's python-home: release commands run with it first on PATH. */
    home: string;
    /** Where the host checks the app after a switch. */
    health: HealthTarget;
    /** env.json is there, the daemon's user's, group root, mode 400. */
    envRight: boolean;
}

/** `check`: whether deploy-app checks the app after the switch (only once it is mounted). */
async function deploy(ctx: Ctx, i: ApplicationInputs, view: HostView, check: boolean, old?: ApplicationState) {
    const stage = `${STAGE_ROOT}/app-${i.name}-${randomBytes(6).toString("hex")}`;
    await ctx.host.exec(sh`mkdir -p -m 700 ${stage}`);
    try {
        await stageAndRun(ctx, i, stage, view, check, old);
    } catch (e) {
        // deploy-app removes its stage itself; an upload that failed (a full disk) leaves it to us.
        await removeOwned(ctx.host, [stage], "Application.source").catch(() => undefined);
        throw e;
    }
}

/**
 * The release of this tree on the host: `intact` (complete, holding what it held when made, readable by the daemon:
 * a switch needs no upload), `damaged` (edited, or modes changed: rebuilt from an upload) or `absent`.
 */
async function releaseOnHost(ctx: Ctx, i: ApplicationInputs): Promise<"intact" | "damaged" | "absent"> {
    const rel = `${appDir(i.name)}/releases/${i.sourceSha256}`;
    const r = await ctx.host.exec(
        sh`if [ ! -e ${rel} ]; then echo absent; elif ` +
            `${remoteReleaseIntact(rel)}; then echo intact; else echo damaged; fi`,
        { nothrow: true },
    );
    const state = r.stdout.trim();
    return state === "intact" || state === "absent" ? state : "damaged";
}

async function stageAndRun(
    ctx: Ctx,
    i: ApplicationInputs,
    stage: string,
    view: HostView,
    check: boolean,
    old?: ApplicationState,
) {
    const short = i.sourceSha256!.slice(0, 12);
    // Checked even for the live release: one edited by hand since the last refresh must not go on serving.
    const onHost = await releaseOnHost(ctx, i);
    if (onHost === "intact") {
        if (old?.sourceSha256 !== i.sourceSha256)
            ctx.log.status(`release ${short} is already on the host: switching to it without an upload`);
    } else {
        if (onHost === "damaged")
            ctx.log.status(
                `release ${short} is damaged on the host: rebuilding it from an upload ` +
                    "(a file edited, added or removed, or not readable by the daemon)",
            );
        const dir = resolveSource(i.source);
        const tgz = archive(dir);
        ctx.log.status(`uploading ${dir} (${Math.ceil(tgz.length / 1024)} KiB) as release ${short}`);
        await ctx.host.writeFile(`${stage}/source.tgz`, tgz, 0o600);
        if (i.releaseCommands.length) {
            await ctx.host.writeFile(`${stage}/commands.json`, JSON.stringify(i.releaseCommands), 0o600);
            ctx.log.status(
                `release ${short}: running ${i.releaseCommands.length} release command(s) before the switch`,
            );
        }
    }
    await ctx.host.writeFile(`${stage}/wsgi.py`, renderLoader(i), 0o644);
    await ctx.host.writeFile(`${stage}/env.json`, renderEnv(i.environment), 0o600);
    const h = i.healthCheck;
    const health =
        check && h.enabled
            ? [view.health.url, view.health.host, String(h.expectStatus ?? ""), String(h.timeoutSeconds)]
            : [];
    const args = [
        appDir(i.name),
        stage,
        i.sourceSha256!,
        view.user,
        view.home,
        String(i.keepReleases),
        i.dataDirs.join(" "),
    ];
    const facts = await runScript(ctx.host, "deploy-app", [...args, ...health]);
    for (const [key, line] of Object.entries(facts)) if (/^command_\d+$/.test(key)) ctx.log.info(line);
    if (old && facts.restarted === "true")
        ctx.log.info(`daemon group ${i.processGroup} restarts on its next request (code or environment changed)`);
}

/** The check deploy-app makes after a switch, for an app whose first release just went live with its mount. */
async function healthCheck(ctx: Ctx, i: ApplicationInputs, view: HostView) {
    const h = i.healthCheck;
    if (!h.enabled) return;
    ctx.log.status(`health check: GET ${view.health.url} (Host: ${view.health.host})`);
    await runScript(ctx.host, "health-check", [
        view.health.url,
        view.health.host,
        String(h.expectStatus ?? ""),
        String(h.timeoutSeconds),
    ]);
}

/** The mount and interpreter files, configtested and reloaded as one transaction. */
async function mount(ctx: Ctx, i: ApplicationInputs, file: string, old?: ApplicationState): Promise<void> {
    const interp = renderInterpreter(i);
    const changes: Change[] = [
        { op: "put", target: file, content: render(i) },
        interp
            ? { op: "put", target: interpreterFile(i.name), content: interp }
            : { op: "del", target: interpreterFile(i.name) },
    ];
    if (old && old.configFile !== file) changes.push({ op: "del", target: old.configFile });
    ctx.log.status(`writing ${file}, configtest, graceful reload`);
    await applyConfig(ctx.host, changes, "graceful");
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function apply(ctx: Ctx, i: ApplicationInputs, old?: ApplicationState): Promise<ApplicationState> {
    const file = appFile(i.name, i.mountPoint, i.virtualHost);
    const view = await checkHost(ctx, i);
    const applied: ApplicationState = {
        ...i,
        appDir: appDir(i.name),
        configFile: file,
        configSha256: configSha(render(i), renderInterpreter(i)),
        loaderSha256: sha256(renderLoader(i)),
        interpreterFile: interpreterFile(i.name),
        envFileMode: envFileWanted(view.user),
    };
    if (!old) {
        // Create: the code first, so the mount never serves an app that is not there. When Apache then rejects
        // the mount, the code and its secrets are on the host: the engine must track them (and destroy removes them).
        // A deploy that failed may still have put code and env.json there (or may still finish on the host after a
        // lost connection): tracked too, unmounted; Read says gone when nothing is there.
        try {
            await deploy(ctx, i, view, false);
        } catch (e) {
            throw new PartialFailure(
                reason(e),
                { ...applied, sourceSha256: "missing", configSha256: "", envFileMode: "missing" },
                { cause: e },
            );
        }
        try {
            await mount(ctx, i, file);
        } catch (e) {
            throw new PartialFailure(reason(e), { ...applied, configSha256: "" }, { cause: e });
        }
        // Nothing served before: a failed check leaves the app as it is (tracked), for the next release to fix.
        try {
            await healthCheck(ctx, i, view);
        } catch (e) {
            throw new PartialFailure(reason(e), applied, { cause: e });
        }
        await recordSettings(ctx, i);
        return applied;
    }
    const configChanged = old.configSha256 !== applied.configSha256 || old.configFile !== file;
    const codeOrEnv =
        old.sourceSha256 !== i.sourceSha256 ||
        !deepEqual(old.environment, i.environment) ||
        old.scriptFile !== i.scriptFile ||
        old.loaderSha256 !== applied.loaderSha256;
    // Update: the mount first, then the code. A config Apache rejects leaves the running release and its
    // environment untouched, so the live code never runs ahead of the live config.
    if (configChanged) await mount(ctx, i, file, old);
    // A deploy also gives env.json to the daemon's current user (when that user changed since, or by hand), mode 400.
    if (codeOrEnv || !view.envRight) {
        try {
            await deploy(ctx, i, view, true, old);
        } catch (e) {
            if (!configChanged) throw e;
            const code = {
                sourceSha256: old.sourceSha256,
                environment: old.environment,
                loaderSha256: old.loaderSha256,
                envFileMode: old.envFileMode,
            };
            throw new PartialFailure(reason(e), { ...applied, ...code }, { cause: e });
        }
    }
    // Every update (not only when they change): an app deployed before the record existed gets it too.
    await recordSettings(ctx, i);
    return applied;
}

/** settings.json, once what it records is in effect. */
const recordSettings = (ctx: Ctx, i: ApplicationInputs) =>
    writeRecord(ctx, appSettingsFile(i.name), renderSettings(i), "Application.name");

/** The mount file of an app this provider mounted, at server scope or in any vhost's include dir; or undefined. */
async function findMount(ctx: Ctx, name: string): Promise<string | undefined> {
    const r = await ctx.host.exec(
        sh`for f in ${MODWSGI_D}/2?-app-${name}.conf ${VHOST_INCLUDE_ROOT}/*/2?-app-${name}.conf; do ` +
            `if [ -f "$f" ]; then echo "$f"; break; fi; done`,
    );
    return r.stdout.trim() || undefined;
}

/** The vhost whose include dir holds a mount file (appFile's layout); undefined at server scope. */
function vhostOfMount(file: string): string | undefined {
    const inVhost = file.startsWith(`${VHOST_INCLUDE_ROOT}/`) ? file.slice(VHOST_INCLUDE_ROOT.length + 1) : "";
    return inVhost.includes("/") ? inVhost.split("/")[0] : undefined;
}

/**
 * What the host must offer before anything is written, in one round trip: a WSGIDaemonProcess for the
 * mount's group (by a DaemonProcess, or by hand), and for interpreter options a module and Python that know them.
 * Also what a deploy needs: the group's user and python-home, whether env.json is as that user needs it (false
 * when it is missing), and where the health check finds the app.
 */
async function checkHost(ctx: Ctx, i: ApplicationInputs): Promise<HostView> {
    const [groupFile, load, user, home, env, ports, vhost] = await gatherAll(ctx.host, [
        daemonGroupFile(i.processGroup),
        loadedModule,
        daemonUser(i.processGroup),
        daemonHome(i.processGroup),
        fileStat(appEnvFile(i.name)),
        listenPorts,
        fileText(i.virtualHost ? vhostFile(i.virtualHost) : "/dev/null"),
    ]);
    const envRight = envFileMode(env, user) === envFileWanted(user);
    const view = { user, home, envRight, health: healthTarget(i, vhost, ports) };
    if (!groupFile) {
        throw new Error(
            `Application.processGroup: no daemon process group "${i.processGroup}" on ${ctx.host.name}; ` +
                `declare a DaemonProcess with name "${i.processGroup}" for this host and pass its name output ` +
                `(processGroup: daemon.name), so it exists first`,
        );
    }
    if (!i.interpreterOptions || load === undefined) return view; // no module yet: configtest decides
    requireSupported("Application", i, load.version);
    const py = /^cpython-(\d)(\d+)/.exec(load.abi);
    if (i.interpreterOptions.perInterpreterGil && py && compareVersions(`${py[1]}.${py[2]}`, "3.12") < 0) {
        throw new Error(
            `Application.interpreterOptions.perInterpreterGil needs Python >= 3.12; ` +
                `the module on ${ctx.host.name} runs ${py[1]}.${py[2]} (WSGI0198)`,
        );
    }
    return view;
}

export const application = defineResource<ApplicationInputs, ApplicationState>({
    token: "modwsgi:index:Application",
    description:
        "A WSGI application: local code uploaded as an atomic release " +
        "and mounted with WSGIScriptAlias in a daemon group.",
    inputs,
    outputs,
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
        // An import knows no mount point: the mount file is looked for where this provider writes them.
        const recorded = olds?.configFile ?? (await findMount(ctx, name)) ?? appFile(name, "/app");
        // Where this release keeps the mount: a VirtualHost's update moves it there from an earlier layout.
        const current = olds?.mountPoint ? appFile(name, olds.mountPoint, olds.virtualHost) : recorded;
        // The daemon's user (who must own env.json): from the recorded group, else (an import) read after the mount.
        const group = olds?.processGroup;
        const read = await readFiles(
            ctx.host,
            [
                recorded,
                appLoader(name),
                appEnvFile(name),
                interpreterFile(name),
                current,
                daemonFile(group ?? ""),
                appSettingsFile(name),
            ],
            liveFiles(appDir(name)),
        );
        const [atRecorded, loader = "", env = "", interp = "", atCurrent, daemon, settings] = read.files;
        const [text, file] = atRecorded !== undefined ? [atRecorded, recorded] : [atCurrent, current];
        // Gone when neither the mount nor the loader is there; code without a mount (a create Apache rejected)
        // is still ours: it reads as unmounted, and up mounts it (or destroy removes it).
        if (text === undefined && read.files[1] === undefined) return null;
        const facts = parseFacts(read.extra);
        const tree = facts.tree ?? "";
        const mounted = parse(text ?? "", loader, name);
        const user =
            group !== undefined || !mounted.processGroup
                ? parseDaemonUser(daemon)
                : await gather(ctx.host, daemonUser(mounted.processGroup));
        return {
            ...olds,
            ...mounted,
            // An import: the vhost is where the mount file is; the settings no host file shows, as last recorded.
            ...(olds ? {} : { virtualHost: vhostOfMount(file), ...parseSettings(settings) }),
            interpreterOptions: parseInterpreter(interp),
            environment: parseEnv(env),
            source: olds?.source ?? "",
            // The release's hash; another tree's hash when edited; what the daemon cannot read; or missing.
            sourceSha256: tree || "missing",
            appDir: appDir(name),
            configFile: file,
            configSha256: text === undefined ? "missing" : configSha(text, interp),
            loaderSha256: loaderMode(facts.loader ?? "") ?? sha256(loader),
            interpreterFile: interpreterFile(name),
            envFileMode: envFileMode(parseStat(facts.env ?? ""), user),
        };
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
        const dir = appDir(olds.name);
        if (olds.deleteDataOnDestroy) return removeOwned(ctx.host, [dir], "Application.name");
        // Everything but the data directories, which destroy keeps unless deleteDataOnDestroy says otherwise.
        // (*.new, current.old: a swap deploy-app did not finish.)
        const parts = [
            "releases",
            "current",
            "current.new",
            "current.old",
            "wsgi.py",
            "wsgi.py.prev",
            "wsgi.py.new",
            "env.json",
            "env.json.prev",
            "env.json.new",
            "settings.json",
        ];
        await removeOwned(
            ctx.host,
            parts.map((p) => `${dir}/${p}`),
            "Application.name",
        );
        await ctx.host.exec(sh`rmdir ${dir} 2>/dev/null || true`);
    },
    // Release commands may carry tokens (a migration's database URL, say).
    importSecrets: ["releaseCommands"],
    // The same tree from another path (an import reads no path; a moved checkout) is the same release.
    sameInput: (key, olds, news) => key === "source" && !!news.sourceSha256 && olds.sourceSha256 === news.sourceSha256,
    drift: (olds, news) => [
        ...(olds.configSha256 !== configSha(render(news), renderInterpreter(news)) ? ["configSha256"] : []),
        // Same text in another place (e.g. a vhost include dir of an earlier release): up moves it.
        ...(olds.configFile !== appFile(news.name, news.mountPoint, news.virtualHost) ? ["configFile"] : []),
        ...(olds.loaderSha256 !== sha256(renderLoader(news)) ? ["loaderSha256"] : []),
        // Owner or mode of env.json changed by hand (its content shows as environment).
        ...(envFileRight(olds.envFileMode) ? [] : ["envFileMode"]),
    ],
});

/**
 * Read's look at the app dir beyond the files' text, as `key=value` lines: env.json's and the loader's owner and
 * mode, and the live release (see remoteReleaseSha).
 */
const liveFiles = (dir: string) =>
    `printf 'env=%s\\n' "$(${statCommand(`${dir}/env.json`)})"; ` +
    sh`printf 'loader=%s\\n' "$(stat -c '%u %a' ${dir + "/wsgi.py"} 2>/dev/null)"; ` +
    `printf 'tree=%s\\n' "$( (${remoteReleaseSha(dir)}) 2>/dev/null | head -n 1)"`;
