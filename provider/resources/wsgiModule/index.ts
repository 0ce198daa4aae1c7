// WsgiModule: mod_wsgi built from PyPI into its own venv against the host's Python and apxs,
// loaded through provider-owned files in mods-available (which also include modwsgi.d/).
import { z } from "zod";
import { applyConfig, withHostLock, type Change } from "../../remote/apply";
import { readFiles, run, runScript } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { HEADER, absPath, directive, sha256, word } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";

export const inputs = z
    .object({
        version: z.string().regex(/^6\.\d+\.\d+$/, "must be a mod_wsgi 6.x release like 6.1.1 (4.x and 5.x, what Debian packages, lack options this provider writes)").default("6.1.1").describe(
            "mod_wsgi release to pip-install from PyPI. A change rebuilds the module and fully restarts Apache."),
        python: absPath().default("/usr/bin/python3").describe(
            "Python interpreter the module is built against; every PythonEnv on the host must use the same one."),
    })
    .strict();

export type WsgiModuleInputs = z.infer<typeof inputs>;
export type WsgiModuleState = WsgiModuleInputs & {
    venv: string;
    modulePath: string;
    moduleSha256: string;
    pythonVersion: string;
    pythonAbi: string;
    configSha256: string;
};

const LOAD = "/etc/apache2/mods-available/modwsgi.load";
const CONF = "/etc/apache2/mods-available/modwsgi.conf";
const ENABLED = "/etc/apache2/mods-enabled";
export const MODWSGI_D = "/etc/apache2/modwsgi.d";

export const venvFor = (i: WsgiModuleInputs) => `/opt/modwsgi/module/mod_wsgi-${i.version}-${i.python.split("/").pop()}`;

export function renderLoad(modulePath: string): string {
    return `${HEADER}LoadModule wsgi_module ${word(modulePath)}\n`;
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
    compiled: "compiled from the PyPI source",
};

const configSha = (load: string, conf: string) => sha256(load + conf);

async function apply(ctx: Ctx, i: WsgiModuleInputs, old?: WsgiModuleState): Promise<WsgiModuleState> {
    const venv = venvFor(i);
    ctx.log.status(`building mod_wsgi ${i.version} against ${i.python} (a first build compiles C, ~30 s)`);
    const facts = await runScript(ctx.host, "build-module", [i.version, i.python, venv]);
    ctx.log.info(`mod_wsgi ${facts.version} for Python ${facts.python_version}: ${BUILT[facts.built] ?? facts.built}`);
    const load = renderLoad(facts.module_path);
    const conf = renderConf();
    const changes: Change[] = [
        { op: "put", target: LOAD, content: load },
        { op: "put", target: CONF, content: conf },
        { op: "link", target: LOAD, link: `${ENABLED}/modwsgi.load` },
        { op: "link", target: CONF, link: `${ENABLED}/modwsgi.conf` },
    ];
    // A new .so cannot be swapped by a graceful reload: libpython stays mapped in the parent.
    const newModule = !old || old.moduleSha256 !== facts.module_sha256 || old.modulePath !== facts.module_path;
    await withHostLock(ctx.host, async () => {
        ctx.log.status(newModule ? "loading the module: configtest, full Apache restart" : "configtest, graceful reload");
        await applyConfig(ctx.host, changes, newModule ? "restart" : "graceful");
    });
    if (old && old.venv !== venv) await run(ctx.host, sh`rm -rf ${old.venv}`);
    return {
        ...i,
        venv,
        modulePath: facts.module_path,
        moduleSha256: facts.module_sha256,
        pythonVersion: facts.python_version,
        pythonAbi: facts.python_abi,
        configSha256: configSha(load, conf),
    };
}

export const wsgiModule: ResourceModule<WsgiModuleInputs, WsgiModuleState> = {
    token: "modwsgi:index:WsgiModule",
    description: "mod_wsgi built on the host from PyPI (pip, against the host's Python and apxs) and loaded into Apache.",
    inputs,
    outputs: {
        venv: { type: "string", description: "Virtual environment holding the built module." },
        modulePath: { type: "string", description: "Path of the loaded mod_wsgi .so." },
        moduleSha256: { type: "string", description: "SHA-256 of the .so." },
        pythonVersion: { type: "string", description: "Python version the module is built for (X.Y.Z)." },
        pythonAbi: { type: "string", description: "Python ABI the module is built for (SOABI, e.g. cpython-311-x86_64-linux-gnu); venvs must match it." },
        configSha256: { type: "string", description: "SHA-256 of the managed LoadModule and include files." },
    },
    replaceOn: [],
    claims: () => [{ key: "module", property: "version", what: "a WsgiModule (Apache loads exactly one mod_wsgi)" }],
    id: () => "mod_wsgi",
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, _id, olds) {
        const [load, conf] = (await readFiles(ctx.host, [LOAD, CONF])).files;
        if (load === undefined || conf === undefined) return null;
        const modulePath = directive(load, "LoadModule")?.[1] ?? "";
        const venv = modulePath.replace(/\/lib\/python[^/]+\/site-packages\/.*$/, "");
        const probe = await run(
            ctx.host,
            sh`${venv + "/bin/python"} -c 'import importlib.metadata as m, sys; print(m.version("mod_wsgi")); print("%d.%d.%d" % sys.version_info[:3]); print(sys._base_executable); import sysconfig; print(sysconfig.get_config_var("SOABI"))' && sha256sum ${modulePath}`,
        );
        const [version, pythonVersion, python, pythonAbi, shaLine] = probe.code === 0 ? probe.stdout.trim().split("\n") : [];
        return {
            version: version ?? "unknown",
            python: olds?.python ?? python ?? "/usr/bin/python3",
            venv,
            modulePath,
            moduleSha256: shaLine?.split(" ")[0] ?? "missing",
            pythonVersion: pythonVersion ?? "unknown",
            pythonAbi: pythonAbi ?? "unknown",
            configSha256: configSha(load, conf ?? ""),
        };
    },
    async delete(ctx, olds) {
        await withHostLock(ctx.host, () =>
            applyConfig(
                ctx.host,
                [
                    { op: "del", target: `${ENABLED}/modwsgi.load` },
                    { op: "del", target: `${ENABLED}/modwsgi.conf` },
                    { op: "del", target: LOAD },
                    { op: "del", target: CONF },
                ],
                "restart",
            ),
        );
        await run(ctx.host, sh`rm -rf ${olds.venv}`);
    },
    drift: (olds) => [
        ...(olds.configSha256 !== configSha(renderLoad(olds.modulePath), renderConf()) ? ["configSha256"] : []),
        ...(olds.moduleSha256 === "missing" ? ["moduleSha256"] : []),
    ],
};
