// WsgiModule: mod_wsgi built by pip into its own venv against the host's Python and apxs (from the package
// index, an uploaded source archive or a URL, both hash-checked), or Debian's package when explicitly
// allowed; loaded through provider-owned files in mods-available (which also include modwsgi.d/).
import { z } from "zod";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { applyConfig, type Change } from "../../remote/apply";
import { readFiles, run, runScript } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { HEADER, absPath, directive, sha256, word } from "../../apache";
import { UNKNOWN, type Ctx, type ResourceModule } from "../../resource";
import { LATEST } from "../../versions";
import { filesSha256, tarOf, wheelFiles } from "../../wheels";

const SOURCES = ["pypi", "sdist", "url", "distro"] as const;
const sha256Hex = () =>
    z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex (64 characters 0-9a-f; sha256sum prints it)");

export const inputs = z
    .object({
        source: z
            .enum(SOURCES)
            .default("pypi")
            .describe(
                "Where mod_wsgi comes from. `pypi`: pip downloads `version` from the package index. `sdist`: the local source archive `archive`, uploaded over SSH (hosts without internet). `url`: the host downloads `url`. Both check `sha256`. `distro`: Debian's libapache2-mod-wsgi-py3 (4.9 on Debian 12, 5.0 on 13; needs `allowDistroPackage`). A change rebuilds the module and fully restarts Apache.",
            ),
        version: z
            .string()
            .regex(
                /^6\.\d+\.\d+$/,
                'must be a mod_wsgi 6.x release like 6.1.1 (4.x and 5.x lack options this provider writes; for Debian\'s package use source "distro")',
            )
            .default("6.1.1")
            .describe(
                "mod_wsgi release (6.x). For `sdist` and `url`, the archive must hold this release. Not used with `distro`.",
            ),
        archive: z
            .string()
            .min(1)
            .optional()
            .describe("source `sdist`: local path of the mod_wsgi source archive (mod_wsgi-X.Y.Z.tar.gz)."),
        url: z
            .string()
            .max(2048)
            .regex(
                /^https?:\/\/[A-Za-z0-9._~:/?#[\]@!$&'()*+,;=%-]+$/,
                "must be an http(s) URL without spaces or quotes",
            )
            .optional()
            .describe("source `url`: where the host downloads the source archive from."),
        sha256: sha256Hex()
            .optional()
            .describe(
                "SHA-256 of the archive (`sdist`, `url`): checked here at preview and on the host before building.",
            ),
        buildWheels: z
            .string()
            .min(1)
            .optional()
            .describe(
                "`sdist`, `url`: a local directory of wheels (at least setuptools) uploaded for building without a package index. Debian 12's venvs carry setuptools already; Debian 13's do not.",
            ),
        allowDistroPackage: z
            .boolean()
            .default(false)
            .describe(
                "Allow source `distro`: Debian's pre-6.x mod_wsgi. Settings new in 6.0 are then refused (the module would reject them).",
            ),
        python: absPath()
            .default("/usr/bin/python3")
            .describe(
                "Python interpreter the module is built against; every PythonEnv on the host must use the same one. `distro`: /usr/bin/python3 only.",
            ),
        buildWheelsSha256: sha256Hex().optional().describe("SHA-256 of the buildWheels files: computed at preview."),
    })
    .strict()
    .superRefine((v, ctx) => {
        const need = (prop: "archive" | "url" | "sha256", why: string) => {
            if (v[prop] === undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [prop],
                    message: `is required with source "${v.source}" (${why})`,
                });
        };
        const refuse = (prop: "archive" | "url" | "sha256" | "buildWheels", only: string) => {
            if (v[prop] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [prop],
                    message: `applies only to source ${only} (source is "${v.source}")`,
                });
        };
        if (v.source === "sdist") need("archive", "the local mod_wsgi-X.Y.Z.tar.gz to upload");
        else refuse("archive", '"sdist"');
        if (v.source === "url") need("url", "where the host downloads the archive");
        else refuse("url", '"url"');
        if (v.source === "sdist" || v.source === "url")
            need("sha256", "the archive is checked against it before anything is built");
        else {
            refuse("sha256", '"sdist" or "url"');
            refuse("buildWheels", '"sdist" or "url"');
        }
        if (v.source === "distro" && !v.allowDistroPackage) {
            ctx.addIssue({
                code: "custom",
                path: ["source"],
                message:
                    "Debian's package (libapache2-mod-wsgi-py3) is mod_wsgi 4.9.4 on Debian 12 and 5.0.2 on Debian 13, both before 6.0: no request interrupts, per-interpreter GIL, free-threading or telemetry, and upstream no longer supports 4.x. Use source pypi/sdist/url for 6.x, or set allowDistroPackage: true to accept it",
            });
        }
        if (v.source === "distro" && v.python !== "/usr/bin/python3") {
            ctx.addIssue({
                code: "custom",
                path: ["python"],
                message: 'must be /usr/bin/python3 with source "distro" (Debian\'s module is linked against it)',
            });
        }
    });

export type WsgiModuleInputs = z.infer<typeof inputs>;
export type WsgiModuleState = WsgiModuleInputs & {
    venv: string;
    moduleVersion: string;
    modulePath: string;
    moduleSha256: string;
    pythonVersion: string;
    pythonAbi: string;
    configSha256: string;
};

export const LOAD = "/etc/apache2/mods-available/modwsgi.load";
const CONF = "/etc/apache2/mods-available/modwsgi.conf";
const ENABLED = "/etc/apache2/mods-enabled";
export const MODWSGI_D = "/etc/apache2/modwsgi.d";
const SRC = "/opt/modwsgi/module/src";
/** Debian's own links for its package: Apache loads the first wsgi_module only, so they must be off. */
const DEBIAN_LINKS = [`${ENABLED}/wsgi.load`, `${ENABLED}/wsgi.conf`];

/** Each version, Python and archive builds in a venv of its own, so the module Apache runs is never touched. */
export const venvFor = (i: WsgiModuleInputs) =>
    i.source === "distro"
        ? ""
        : `/opt/modwsgi/module/mod_wsgi-${i.version}-${i.python.split("/").pop()}${i.sha256 ? `-${i.sha256.slice(0, 12)}` : ""}`;

/** The LoadModule file; its first lines record version and ABI for the other resources' checks. */
export function renderLoad(modulePath: string, version: string, abi: string): string {
    return `${HEADER}# mod_wsgi ${version} for ${abi}\nLoadModule wsgi_module ${word(modulePath)}\n`;
}

/** Version and Python ABI of the module this provider loads, from its LoadModule file. */
export function parseLoad(text: string): { version: string; abi: string; modulePath: string } {
    const m = /^# mod_wsgi (\S+) for (\S+)$/m.exec(text);
    return {
        version: m?.[1] ?? "unknown",
        abi: m?.[2] ?? "unknown",
        modulePath: directive(text, "LoadModule")?.[1] ?? "",
    };
}

/** Version, ABI and path of the module this provider loads on the host (undefined when none yet). */
export async function loadedModule(ctx: Ctx): Promise<ReturnType<typeof parseLoad> | undefined> {
    const [load] = (await readFiles(ctx.host, [LOAD])).files;
    return load === undefined ? undefined : parseLoad(load);
}

export function renderConf(): string {
    return (
        HEADER +
        "<IfModule wsgi_module>\n" +
        "    # Only daemon mode: no Python in Apache's own children.\n" +
        "    WSGIRestrictEmbedded On\n" +
        `    IncludeOptional ${MODWSGI_D}/*.conf\n` +
        "</IfModule>\n"
    );
}

const BUILT: Record<string, string> = {
    existing: "already built on the host",
    "wheel-cache": "installed from the wheel pip built earlier (no compile)",
    compiled: "compiled from source",
    installed: "Debian's package installed with apt",
    package: "Debian's package, already installed",
};

function buildWheels(dir: string): string[] {
    const files = wheelFiles(dir, "WsgiModule.buildWheels");
    if (!files.some((f) => /^setuptools-/i.test(path.basename(f)))) {
        throw new Error(
            `WsgiModule.buildWheels: ${path.resolve(dir)} holds no setuptools wheel (pip download setuptools --only-binary=:all:)`,
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

/** Puts the archive (and build wheels) on the host; returns the build script's extra arguments. */
async function stageSources(ctx: Ctx, i: WsgiModuleInputs): Promise<string[]> {
    if (i.source === "pypi") return [];
    const archive = `${SRC}/mod_wsgi-${i.sha256}.tar.gz`;
    await run(ctx.host, sh`mkdir -p -m 755 ${SRC}`);
    if (i.source === "sdist") {
        const have = await run(ctx.host, sh`sha256sum ${archive}`);
        if (!have.stdout.startsWith(i.sha256!)) {
            ctx.log.status(`uploading ${path.basename(i.archive!)}`);
            await ctx.host.writeFile(archive, fs.readFileSync(path.resolve(i.archive!)), 0o644);
        }
    }
    let wheels = "";
    if (i.buildWheels) {
        const files = buildWheels(i.buildWheels);
        wheels = `${SRC}/wheels-${i.buildWheelsSha256}.tar`;
        ctx.log.status(`uploading ${files.length} build wheel(s)`);
        await ctx.host.writeFile(wheels, tarOf(files), 0o644);
    }
    return [archive, i.sha256!, i.source === "url" ? i.url! : "", wheels];
}

const configSha = (load: string, conf: string) => sha256(load + conf);

async function apply(ctx: Ctx, i: WsgiModuleInputs, old?: WsgiModuleState): Promise<WsgiModuleState> {
    const venv = venvFor(i);
    let facts: Record<string, string>;
    if (i.source === "distro") {
        ctx.log.status("installing Debian's libapache2-mod-wsgi-py3 (apt) if missing");
        facts = await runScript(ctx.host, "distro-module", [], { timeoutMs: 600_000 });
    } else {
        const extra = await stageSources(ctx, i);
        ctx.log.status(
            `building mod_wsgi ${i.version} (${i.source}) against ${i.python} (a first build compiles C, ~30 s)`,
        );
        facts = await runScript(ctx.host, "build-module", [i.version, i.python, venv, ...extra], {
            timeoutMs: 900_000,
        });
    }
    ctx.log.info(`mod_wsgi ${facts.version} for Python ${facts.python_version}: ${BUILT[facts.built] ?? facts.built}`);
    const load = renderLoad(facts.module_path, facts.version, facts.python_abi);
    const conf = renderConf();
    const changes: Change[] = [
        { op: "put", target: LOAD, content: load },
        { op: "put", target: CONF, content: conf },
        { op: "link", target: LOAD, link: `${ENABLED}/modwsgi.load` },
        { op: "link", target: CONF, link: `${ENABLED}/modwsgi.conf` },
        // Debian's package enables its own copy on install; ours loads the same .so.
        ...(i.source === "distro" ? DEBIAN_LINKS.map((target): Change => ({ op: "del", target })) : []),
    ];
    // A new .so cannot be swapped by a graceful reload: libpython stays mapped in the parent.
    const newModule = !old || old.moduleSha256 !== facts.module_sha256 || old.modulePath !== facts.module_path;
    ctx.log.status(newModule ? "loading the module: configtest, full Apache restart" : "configtest, graceful reload");
    await applyConfig(ctx.host, changes, newModule ? "restart" : "graceful");
    if (old?.venv && old.venv !== venv) await run(ctx.host, sh`rm -rf ${old.venv}`);
    return {
        ...i,
        venv,
        moduleVersion: facts.version,
        modulePath: facts.module_path,
        moduleSha256: facts.module_sha256,
        pythonVersion: facts.python_version,
        pythonAbi: facts.python_abi,
        configSha256: configSha(load, conf),
    };
}

export const wsgiModule: ResourceModule<WsgiModuleInputs, WsgiModuleState> = {
    token: "modwsgi:index:WsgiModule",
    description:
        "mod_wsgi on the host: built by pip against the host's Python and apxs (from PyPI, an uploaded source archive, or a URL), or Debian's package on request; loaded into Apache.",
    inputs,
    outputs: {
        venv: { type: "string", description: "Virtual environment holding the built module (empty for `distro`)." },
        moduleVersion: { type: "string", description: "Version of the loaded module (live after refresh)." },
        modulePath: { type: "string", description: "Path of the loaded mod_wsgi .so." },
        moduleSha256: { type: "string", description: "SHA-256 of the .so." },
        pythonVersion: { type: "string", description: "Python version the module is built for (X.Y.Z)." },
        pythonAbi: {
            type: "string",
            description:
                "Python ABI the module is built for (SOABI, e.g. cpython-311-x86_64-linux-gnu); venvs must match it.",
        },
        configSha256: { type: "string", description: "SHA-256 of the managed LoadModule and include files." },
    },
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
        const [load, conf] = (await readFiles(ctx.host, [LOAD, CONF])).files;
        if (load === undefined || conf === undefined) return null;
        const { modulePath, abi } = parseLoad(load);
        const distro = !modulePath.includes("/site-packages/");
        const venv = distro ? "" : modulePath.replace(/\/lib\/python[^/]+\/site-packages\/.*$/, "");
        // The version the host really has: pip's metadata in the venv, or dpkg's for Debian's package.
        const probe = await run(
            ctx.host,
            distro
                ? sh`dpkg-query -W -f ${"${Version}\n"} libapache2-mod-wsgi-py3 | sed 's/-[^-]*$//' && /usr/bin/python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)' && echo ${abi} && sha256sum ${modulePath}`
                : sh`${venv + "/bin/python"} -c 'import importlib.metadata as m, sys; print(m.version("mod_wsgi")); print("%d.%d.%d" % sys.version_info[:3]); print(sys._base_executable); import sysconfig; print(sysconfig.get_config_var("SOABI"))' && sha256sum ${modulePath}`,
        );
        const [version, pythonVersion, python, pythonAbi, shaLine] =
            probe.code === 0 ? probe.stdout.trim().split("\n") : [];
        return {
            ...olds,
            source: olds?.source ?? (distro ? "distro" : "pypi"),
            allowDistroPackage: olds?.allowDistroPackage ?? distro,
            // Not used with distro: keep what the program said, so only real changes show.
            version: distro ? (olds?.version ?? "6.1.1") : (version ?? "unknown"),
            python: olds?.python ?? python ?? "/usr/bin/python3",
            venv,
            moduleVersion: version ?? "unknown",
            modulePath,
            moduleSha256: shaLine?.split(" ")[0] ?? "missing",
            pythonVersion: pythonVersion ?? "unknown",
            pythonAbi: pythonAbi ?? "unknown",
            configSha256: configSha(load, conf ?? ""),
        } as WsgiModuleState;
    },
    async delete(ctx, olds) {
        await applyConfig(
            ctx.host,
            [
                { op: "del", target: `${ENABLED}/modwsgi.load` },
                { op: "del", target: `${ENABLED}/modwsgi.conf` },
                { op: "del", target: LOAD },
                { op: "del", target: CONF },
            ],
            "restart",
        );
        // Debian's package (distro) stays installed but disabled: apt owns it.
        // One module per host: the archives and build wheels it staged go with it.
        if (olds.venv) await run(ctx.host, sh`rm -rf ${olds.venv} ${SRC}`);
    },
    drift: (olds) => [
        ...(olds.configSha256 !==
        configSha(renderLoad(olds.modulePath, olds.moduleVersion, olds.pythonAbi), renderConf())
            ? ["configSha256"]
            : []),
        ...(olds.moduleSha256 === "missing" ? ["moduleSha256"] : []),
    ],
};
