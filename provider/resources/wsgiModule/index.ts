// WsgiModule: mod_wsgi built by pip into its own venv against the host's Python and apxs (from the package
// index, an uploaded source archive or a URL, both hash-checked), or Debian's package when explicitly
// allowed; loaded through provider-owned files in mods-available (which also include modwsgi.d/).
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { applyConfig, type Change } from "../../remote/apply";
import { ownedPathError, removeOwned } from "../../remote/remove";
import { readFiles, runScript } from "../../remote/scripts";
import { parseRecord, renderRecord, writeRecord } from "../../records";
import { sh } from "../../remote/sh";
import { gather, moduleBuild, otherWsgiLoads, parseLoad } from "../../facts";
import {
    CONF_ENABLED,
    DEBIAN_MODULE_LINKS,
    MODS_ENABLED,
    MODULE_CONF,
    MODULE_CONF_LINK,
    MODULE_LOAD,
    MODULE_LOAD_LINK,
    MODULE_ROOT,
    envInputsFile,
    MODULE_SRC,
    SITES_ENABLED,
    STAGE_ROOT,
    moduleArchive,
    moduleBuildWheels,
    moduleBuiltRecord,
} from "../../layout";
import { UNKNOWN, defineResource, type Ctx } from "../../resource";
import { LATEST } from "../../versions";
import { filesSha256, tarOf, wheelFiles } from "../../wheels";
import { inputs, outputs, type WsgiModuleInputs, type WsgiModuleState } from "./schema";
import { configSha, renderConf, renderLoad, venvFor } from "./render";

const BUILT: Record<string, string> = {
    existing: "already built on the host",
    "wheel-cache": "installed from the wheel pip built earlier (no compile)",
    compiled: "compiled from source",
    installed: "Debian's package installed with apt",
    reinstalled: "Debian's package reinstalled with apt (its .so had been replaced)",
    package: "Debian's package, already installed",
};

function buildWheels(dir: string): string[] {
    const files = wheelFiles(dir, "WsgiModule.buildWheels");
    if (!files.some((f) => /^setuptools-/i.test(path.basename(f)))) {
        throw new Error(
            `WsgiModule.buildWheels: ${path.resolve(dir)} holds no setuptools wheel ` +
                "(pip download setuptools --only-binary=:all:)",
        );
    }
    return files;
}

/** Local checks at preview: the archive is there and is the one `sha256` names. */
export function normalize(i: WsgiModuleInputs): WsgiModuleInputs {
    if (i.source === "sdist" && i.archive) {
        const file = path.resolve(i.archive);
        if (!fs.existsSync(file)) throw new Error(`WsgiModule.archive: ${file} does not exist`);
        const got = createHash("sha256").update(fs.readFileSync(file)).digest("hex");
        if (got !== i.sha256) throw new Error(`WsgiModule.sha256: ${file} has SHA-256 ${got}, not ${i.sha256}`);
    }
    if (!i.buildWheels) return i;
    return { ...i, buildWheelsSha256: filesSha256(buildWheels(i.buildWheels)) };
}

/**
 * Puts the archive (and build wheels) on the host; returns the build script's extra arguments and the stage
 * directory to remove afterwards. A `url` goes in a root-only file there, never on a command line: it may
 * carry credentials.
 */
async function stageSources(ctx: Ctx, i: WsgiModuleInputs): Promise<{ args: string[]; stage?: string }> {
    if (i.source === "pypi") return { args: [] };
    const archive = moduleArchive(i.sha256!);
    const stage = i.source === "url" ? `${STAGE_ROOT}/module-${randomBytes(6).toString("hex")}` : undefined;
    await ctx.host.exec(sh`mkdir -p -m 755 ${MODULE_SRC}` + (stage ? sh` && mkdir -p -m 700 ${stage}` : ""));
    if (stage) await ctx.host.writeFile(`${stage}/url`, i.url!, 0o600);
    if (i.source === "sdist") {
        // A read: the archive may not be there yet.
        const have = await ctx.host.exec(sh`sha256sum ${archive}`, { nothrow: true });
        if (!have.stdout.startsWith(i.sha256!)) {
            ctx.log.status(`uploading ${path.basename(i.archive!)}`);
            await ctx.host.writeFile(archive, fs.readFileSync(path.resolve(i.archive!)), 0o644);
        }
    }
    let wheels = "";
    if (i.buildWheels) {
        const files = buildWheels(i.buildWheels);
        wheels = moduleBuildWheels(i.buildWheelsSha256!);
        ctx.log.status(`uploading ${files.length} build wheel(s)`);
        await ctx.host.writeFile(wheels, tarOf(files), 0o644);
    }
    return { args: [archive, i.sha256!, stage ? `${stage}/url` : "", wheels], stage };
}

/** How to turn off an enabled file that loads another wsgi_module: the a2dis* command for its directory. */
export function disableHint(file: string): string {
    const name = path.basename(file).replace(/\.(load|conf)$/, "");
    if (path.dirname(file) === MODS_ENABLED) return `a2dismod ${name}`;
    if (path.dirname(file) === CONF_ENABLED) return `a2disconf ${name}`;
    if (path.dirname(file) === SITES_ENABLED) return `a2dissite ${name}`;
    return "remove its LoadModule wsgi_module line";
}

/**
 * Another enabled LoadModule wsgi_module fails the step before anything is written: Apache keeps the first it
 * reads, so the sites may run another mod_wsgi. The file is someone else's: the fix is named, never applied.
 * Debian's own links are the exception for source distro, whose documented job is to load that .so through ours.
 */
async function refuseOtherLoads(ctx: Ctx, i: WsgiModuleInputs): Promise<void> {
    const found = await gather(ctx.host, otherWsgiLoads);
    const ours = i.source === "distro" ? DEBIAN_MODULE_LINKS : [];
    for (const f of found.filter((f) => ours.includes(f)))
        ctx.log.info(`turning off Debian's ${f}: this WsgiModule loads the same .so through its own file`);
    const others = found.filter((f) => !ours.includes(f));
    if (!others.length) return;
    throw new Error(
        "WsgiModule.conflictingLoads: another LoadModule wsgi_module is enabled in " +
            others.map((f) => `${f} (disable it: ${disableHint(f)})`).join(", ") +
            ". Apache keeps the first wsgi_module it reads, so the sites may not run this module; " +
            "the provider does not remove files it does not own. Disable it, then run up again.",
    );
}

async function apply(ctx: Ctx, i: WsgiModuleInputs, old?: WsgiModuleState): Promise<WsgiModuleState> {
    const venv = venvFor(i);
    await refuseOtherLoads(ctx, i);
    let facts: Record<string, string>;
    if (i.source === "distro") {
        ctx.log.status("installing Debian's libapache2-mod-wsgi-py3 (apt) if missing");
        facts = await runScript(ctx.host, "distro-module", [], { timeoutMs: 600_000 });
    } else {
        const { args, stage } = await stageSources(ctx, i);
        ctx.log.status(
            `building mod_wsgi ${i.version} (${i.source}) against ${i.python} (a first build compiles C, ~15 s)`,
        );
        try {
            facts = await runScript(
                ctx.host,
                "build-module",
                [i.version, i.python, venv, DEBIAN_MODULE_LINKS[0], moduleBuiltRecord(venv), ...args],
                {
                    timeoutMs: 900_000,
                },
            );
        } finally {
            // The url file goes whether or not the build worked (a failed removal must not hide the build's error).
            if (stage)
                await removeOwned(ctx.host, [stage], "WsgiModule.url").catch((e: Error) =>
                    ctx.log.warn(`WsgiModule.url: ${e.message}`),
                );
        }
    }
    ctx.log.info(`mod_wsgi ${facts.version} for Python ${facts.python_version}: ${BUILT[facts.built] ?? facts.built}`);
    const load = renderLoad(facts.module_path, facts.version, facts.python_abi);
    const conf = renderConf();
    const changes: Change[] = [
        { op: "put", target: MODULE_LOAD, content: load },
        { op: "put", target: MODULE_CONF, content: conf },
        { op: "link", target: MODULE_LOAD, link: MODULE_LOAD_LINK },
        { op: "link", target: MODULE_CONF, link: MODULE_CONF_LINK },
        // Debian's package enables its own copy on install; ours loads the same .so.
        ...(i.source === "distro" ? DEBIAN_MODULE_LINKS.map((target): Change => ({ op: "del", target })) : []),
    ];
    // A new .so cannot be swapped by a graceful reload: libpython stays mapped in the parent. Nor can a module
    // that was disabled (a2dismod): the parent may have dropped it, and loads it again only on a full restart.
    const newModule =
        !old ||
        old.moduleSha256 !== facts.module_sha256 ||
        old.modulePath !== facts.module_path ||
        old.moduleEnabled === false;
    ctx.log.status(newModule ? "loading the module: configtest, full Apache restart" : "configtest, graceful reload");
    // Apache stopped: the transaction's configtest runs first, and then either mode starts it.
    await applyConfig(ctx.host, changes, newModule ? "restart" : "graceful");
    // The old build's venv, from the old inputs (never a path read from the host): the new one replaces it.
    const oldVenv = old ? venvFor(old) : "";
    if (oldVenv && oldVenv !== venv) await removeOwned(ctx.host, [oldVenv], "WsgiModule.venv");
    if (venv) await writeRecord(ctx, envInputsFile(venv), renderRecord(i, RECORDED), "WsgiModule");
    return {
        ...i,
        venv,
        moduleVersion: facts.version,
        modulePath: facts.module_path,
        moduleSha256: facts.module_sha256,
        builtSha256: facts.module_sha256,
        pythonVersion: facts.python_version,
        pythonAbi: facts.python_abi,
        configSha256: configSha(load, conf),
        moduleEnabled: true,
        apacheRunning: true,
        conflictingLoads: [],
    };
}

/**
 * The inputs the build does not show (the Python asked for, not the one it resolved to), for an import to read.
 * (No url: it is a secret.)
 */
const RECORDED = ["source", "version", "archive", "buildWheels", "allowDistroPackage", "python"] as const;

/** A venv path of this provider's builds: one directory directly in MODULE_ROOT, named as venvFor names them. */
const ourVenv = (p: string | undefined): p is string =>
    typeof p === "string" &&
    p.startsWith(`${MODULE_ROOT}/mod_wsgi-`) &&
    ownedPathError(p) === undefined &&
    !p.slice(MODULE_ROOT.length + 1).includes("/");

/** The state's venv when it is one of ours; else (a state an earlier release read from the host) the inputs'. */
const keptVenv = (olds: WsgiModuleState) => (ourVenv(olds.venv) ? olds.venv : venvFor(olds));

export const wsgiModule = defineResource<WsgiModuleInputs, WsgiModuleState>({
    token: "modwsgi:index:WsgiModule",
    description:
        "mod_wsgi on the host: built by pip against the host's Python and apxs (from PyPI, an uploaded source " +
        "archive, or a URL), or Debian's package on request; loaded into Apache.",
    inputs,
    outputs,
    normalize,
    internal: ["buildWheelsSha256"],
    replaceOn: [],
    claims: () => [{ key: "module", property: "version", what: "a WsgiModule (Apache loads exactly one mod_wsgi)" }],
    // Debian's module is at most 5.0.2: settings new in 6.0 are refused at preview already.
    declaredModule: (i) =>
        i.source === "distro"
            ? {
                  version: "5.0.2",
                  label: "the WsgiModule declared is Debian's package (4.9.4 on Debian 12, 5.0.2 on 13)",
                  python: "/usr/bin/python3",
              }
            : {
                  version: i.version ?? LATEST,
                  label: `the WsgiModule declared is ${i.version ?? LATEST}`,
                  python: typeof i.python === "string" && i.python !== UNKNOWN ? i.python : "",
              },
    id: () => "mod_wsgi",
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, _id, olds) {
        const read = await readFiles(
            ctx.host,
            [MODULE_LOAD, MODULE_CONF, MODULE_LOAD_LINK, MODULE_CONF_LINK],
            otherWsgiLoads.command,
        );
        const [load, conf, loadLink, confLink] = read.files;
        if (load === undefined || conf === undefined) return null;
        const { modulePath, abi } = parseLoad(load);
        const distro = olds ? olds.source === "distro" : !modulePath.includes("/site-packages/");
        // The venv is the one this resource built, kept from the state: a LoadModule line pointing elsewhere is
        // drift (modulePath), never a venv of ours. Only an import (no state) takes it from the line, when the
        // line points into a build of this provider's.
        const found = modulePath.replace(/\/lib\/python[^/]+\/site-packages\/.*$/, "");
        const venv = distro ? "" : olds ? keptVenv(olds) : ourVenv(found) ? found : "";
        // The version the host really has: pip's metadata in the venv, or dpkg's for Debian's package.
        const buildVenv = distro ? "" : venv || found;
        const build = await gather(
            ctx.host,
            moduleBuild(modulePath, buildVenv, buildVenv ? moduleBuiltRecord(buildVenv) : ""),
        );
        // All or nothing, as one probe: with the .so or the venv's Python gone, nothing is known.
        const known =
            build.moduleSha256 !== undefined && build.python !== undefined && (distro || build.version !== undefined);
        const version = known ? build.version : undefined;
        // An import: the inputs as the build recorded them.
        const asked =
            olds || !venv
                ? {}
                : parseRecord<WsgiModuleInputs>(
                      (await readFiles(ctx.host, [envInputsFile(venv)])).files[0],
                      RECORDED,
                      inputs.shape,
                  );
        return {
            ...asked,
            ...olds,
            source: olds?.source ?? asked.source ?? (distro ? "distro" : "pypi"),
            allowDistroPackage: olds?.allowDistroPackage ?? asked.allowDistroPackage ?? distro,
            // Not used with distro: keep what the program said, so only real changes show.
            version: distro ? (olds?.version ?? "6.1.1") : (version ?? "unknown"),
            python:
                olds?.python ?? asked.python ?? (known ? build.python?.executable : undefined) ?? "/usr/bin/python3",
            venv,
            moduleVersion: version ?? "unknown",
            modulePath,
            moduleSha256: (known ? build.moduleSha256 : undefined) ?? "missing",
            pythonVersion: (known ? build.python?.version : undefined) ?? "unknown",
            // Debian's package: the ABI its LoadModule file records.
            pythonAbi: (known ? (distro ? abi : build.python?.abi) : undefined) ?? "unknown",
            configSha256: configSha(load, conf),
            // Nothing recorded for this .so (a build of an earlier release, a LoadModule pointing elsewhere, which
            // is modulePath drift): nothing to compare, the live hash.
            builtSha256: build.builtSha256 ?? build.moduleSha256 ?? "",
            // Both links lead to our files (a2dismod removes them; a link to another file is not ours).
            moduleEnabled: loadLink === load && confLink === conf,
            apacheRunning: build.apacheRunning ?? true,
            conflictingLoads: otherWsgiLoads.parse({ code: 0, stdout: read.extra, stderr: "" }),
        };
    },
    async delete(ctx, olds) {
        await applyConfig(
            ctx.host,
            [
                { op: "del", target: MODULE_LOAD_LINK },
                { op: "del", target: MODULE_CONF_LINK },
                { op: "del", target: MODULE_LOAD },
                { op: "del", target: MODULE_CONF },
            ],
            "restart",
        );
        // Debian's package (distro) stays installed but disabled: apt owns it.
        // One module per host: the archives and build wheels it staged go with it. The venv is the one the
        // inputs name (never a path read from the host).
        const venv = venvFor(olds);
        if (venv) await removeOwned(ctx.host, [venv, MODULE_SRC], "WsgiModule.venv");
    },
    drift: (olds) => [
        ...(olds.configSha256 !==
        configSha(renderLoad(olds.modulePath, olds.moduleVersion, olds.pythonAbi), renderConf())
            ? ["configSha256"]
            : []),
        // A .so replaced by other bytes: its hash is no longer the one recorded at build time. up builds it again.
        ...(olds.moduleSha256 === "missing" ||
        (olds.builtSha256 !== undefined && olds.builtSha256 !== "" && olds.builtSha256 !== olds.moduleSha256)
            ? ["moduleSha256"]
            : []),
        // a2dismod: the next restart of Apache drops every mount. up enables it again.
        ...(olds.moduleEnabled === false ? ["moduleEnabled"] : []),
        // up starts Apache after a configtest.
        ...(olds.apacheRunning === false ? ["apacheRunning"] : []),
        // Reported, never removed: up fails naming each file and how to disable it.
        ...((olds.conflictingLoads?.length ?? 0) > 0 ? ["conflictingLoads"] : []),
        // A LoadModule line pointing outside the venv built here (edited by hand): up puts ours back.
        ...(olds.source !== "distro" && olds.venv && !olds.modulePath.startsWith(`${olds.venv}/`)
            ? ["modulePath"]
            : []),
    ],
});
