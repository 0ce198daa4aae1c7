// Application: app code uploaded as an immutable release behind a `current` symlink, its environment in
// a file only the daemon's user can read, and a generated loader (wsgi.py) mounted with
// WSGIScriptAlias into a daemon group. Code or environment changes restart only that group (loader touch).
import { randomBytes } from "node:crypto";
import { applyConfig, type Change } from "../../remote/apply";
import { removeOwned } from "../../remote/remove";
import { readFiles, runScript } from "../../remote/scripts";
import { raw, sh } from "../../remote/sh";
import { sha256 } from "../../apache";
import { compareVersions, requireSupported } from "../../versions";
import { deepEqual, defineResource, type Ctx } from "../../resource";
import { PartialFailure } from "../../partial";
import { STAGE_ROOT, appCurrent, appDir, appEnvFile, appFile, appLoader, interpreterFile } from "../../layout";
import { daemonGroupFile, daemonUser, fileOwner, gatherAll, loadedModule, ownedBy } from "../../facts";
import { inputs, outputs, type ApplicationInputs, type ApplicationState } from "./schema";
import {
    configSha,
    normalizeEntry,
    parse,
    parseEnv,
    parseInterpreter,
    render,
    renderEnv,
    renderInterpreter,
    renderLoader,
} from "./render";
import { archive, REMOTE_TREE_SHA, resolveSource, treeSha256 } from "./source";

/** `user`: the daemon group's user, who alone may read env.json (checkHost read it). */
async function deploy(ctx: Ctx, i: ApplicationInputs, user: string, old?: ApplicationState) {
    const stage = `${STAGE_ROOT}/app-${i.name}-${randomBytes(6).toString("hex")}`;
    await ctx.host.exec(sh`mkdir -p -m 700 ${stage}`);
    try {
        await stageAndRun(ctx, i, stage, user, old);
    } catch (e) {
        // deploy-app removes its stage itself; an upload that failed (a full disk) leaves it to us.
        await removeOwned(ctx.host, [stage], "Application.source").catch(() => undefined);
        throw e;
    }
}

async function stageAndRun(ctx: Ctx, i: ApplicationInputs, stage: string, user: string, old?: ApplicationState) {
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
    const facts = await runScript(ctx.host, "deploy-app", [appDir(i.name), stage, i.sourceSha256!, user]);
    if (old && facts.restarted === "true")
        ctx.log.info(`daemon group ${i.processGroup} restarts on its next request (code or environment changed)`);
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
    const applied: ApplicationState = {
        ...i,
        appDir: appDir(i.name),
        configFile: file,
        configSha256: configSha(render(i), renderInterpreter(i)),
        loaderSha256: sha256(renderLoader(i)),
        interpreterFile: interpreterFile(i.name),
    };
    const { envOwned, user } = await checkHost(ctx, i);
    if (!old) {
        // Create: the code first, so the mount never serves an app that is not there. When Apache then rejects
        // the mount, the code and its secrets are on the host: the engine must track them (and destroy removes them).
        // A deploy that failed may still have put code and env.json there (or may still finish on the host after a
        // lost connection): tracked too, unmounted; Read says gone when nothing is there.
        try {
            await deploy(ctx, i, user);
        } catch (e) {
            throw new PartialFailure(
                reason(e),
                { ...applied, sourceSha256: "missing", configSha256: "" },
                { cause: e },
            );
        }
        try {
            await mount(ctx, i, file);
        } catch (e) {
            throw new PartialFailure(reason(e), { ...applied, configSha256: "" }, { cause: e });
        }
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
    // A deploy also gives env.json to the daemon's current user, when that user changed since.
    if (codeOrEnv || !envOwned) {
        try {
            await deploy(ctx, i, user, old);
        } catch (e) {
            if (!configChanged) throw e;
            const code = {
                sourceSha256: old.sourceSha256,
                environment: old.environment,
                loaderSha256: old.loaderSha256,
            };
            throw new PartialFailure(reason(e), { ...applied, ...code }, { cause: e });
        }
    }
    return applied;
}

/**
 * What the host must offer before anything is written, in one round trip: a WSGIDaemonProcess for the
 * mount's group (by a DaemonProcess, or by hand), and for interpreter options a module and Python that know them.
 * Also whether env.json belongs to the daemon's user (false when it is missing).
 */
async function checkHost(ctx: Ctx, i: ApplicationInputs): Promise<{ envOwned: boolean; user: string }> {
    const [groupFile, load, user, owner] = await gatherAll(ctx.host, [
        daemonGroupFile(i.processGroup),
        loadedModule,
        daemonUser(i.processGroup),
        fileOwner(appEnvFile(i.name)),
    ]);
    const envOwned = ownedBy(owner, user);
    if (!groupFile) {
        throw new Error(
            `Application.processGroup: no daemon process group "${i.processGroup}" on ${ctx.host.name}; ` +
                `declare a DaemonProcess with name "${i.processGroup}" for this host and pass its name output ` +
                `(processGroup: daemon.name), so it exists first`,
        );
    }
    if (!i.interpreterOptions || load === undefined) return { envOwned, user }; // no module yet: configtest decides
    requireSupported("Application", i, load.version);
    const py = /^cpython-(\d)(\d+)/.exec(load.abi);
    if (i.interpreterOptions.perInterpreterGil && py && compareVersions(`${py[1]}.${py[2]}`, "3.12") < 0) {
        throw new Error(
            `Application.interpreterOptions.perInterpreterGil needs Python >= 3.12; ` +
                `the module on ${ctx.host.name} runs ${py[1]}.${py[2]} (WSGI0198)`,
        );
    }
    return { envOwned, user };
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
        const recorded = olds?.configFile ?? appFile(name, "/app");
        // Where this release keeps the mount: a VirtualHost's update moves it there from an earlier layout.
        const current = olds?.mountPoint ? appFile(name, olds.mountPoint, olds.virtualHost) : recorded;
        const read = await readFiles(
            ctx.host,
            [recorded, appLoader(name), appEnvFile(name), interpreterFile(name), current],
            sh`cd ${appCurrent(name)} && ${raw(REMOTE_TREE_SHA)}`,
        );
        const [atRecorded, loader = "", env = "", interp = "", atCurrent] = read.files;
        const [text, file] = atRecorded !== undefined ? [atRecorded, recorded] : [atCurrent, current];
        // Gone when neither the mount nor the loader is there; code without a mount (a create Apache rejected)
        // is still ours: it reads as unmounted, and up mounts it (or destroy removes it).
        if (text === undefined && read.files[1] === undefined) return null;
        const tree = read.extra.trim();
        return {
            ...olds,
            ...parse(text ?? "", loader, name),
            interpreterOptions: parseInterpreter(interp),
            environment: parseEnv(env),
            source: olds?.source ?? "",
            sourceSha256: /^[0-9a-f]{64}$/.test(tree) ? tree : "missing",
            appDir: appDir(name),
            configFile: file,
            configSha256: text === undefined ? "missing" : configSha(text, interp),
            loaderSha256: sha256(loader),
            interpreterFile: interpreterFile(name),
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
        await removeOwned(ctx.host, [appDir(olds.name)], "Application.name");
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== configSha(render(news), renderInterpreter(news)) ? ["configSha256"] : []),
        // Same text in another place (e.g. a vhost include dir of an earlier release): up moves it.
        ...(olds.configFile !== appFile(news.name, news.mountPoint, news.virtualHost) ? ["configFile"] : []),
        ...(olds.loaderSha256 !== sha256(renderLoader(news)) ? ["loaderSha256"] : []),
    ],
});
