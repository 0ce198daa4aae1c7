// Application: app code uploaded as an immutable release behind a `current` symlink, mounted with
// WSGIScriptAlias into a daemon group. Code-only changes restart only that group (script touch).
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { applyConfig, withHostLock } from "../../remote/apply";
import { run, runScript } from "../../remote/scripts";
import { raw, sh } from "../../remote/sh";
import { HEADER, directive, name, options, sha256, word } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";
import { archive, REMOTE_TREE_SHA, resolveSource, treeSha256 } from "./source";

export const inputs = z
    .object({
        name: name().describe("Application name; code lives in /srv/modwsgi/<name>. Changing it replaces the app."),
        mountPoint: z.string().regex(/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/, "must be a URL path like / or /app").default("/").describe(
            "URL path the app is mounted at (WSGIScriptAlias)."),
        source: z.string().min(1).describe("Local directory with the app code, uploaded on every change (absolute, or relative to the program)."),
        scriptFile: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "must be a relative path inside source").refine(
            (p) => !p.split("/").includes(".."), "must not contain '..'").default("app.wsgi").describe(
            "WSGI script inside source, defining `application`."),
        processGroup: name().describe("Daemon group (DaemonProcess name) that runs the app."),
        applicationGroup: z.string().regex(/^(%\{GLOBAL\}|%\{SERVER\}|%\{RESOURCE\}|[A-Za-z0-9_.-]{1,64})$/, "must be %{GLOBAL}, %{SERVER}, %{RESOURCE} or a name").default("%{GLOBAL}").describe(
            "Interpreter within the group. Default %{GLOBAL} (main interpreter: safe for C extensions)."),
        sourceSha256: z.string().optional().describe("Computed from source at preview: SHA-256 of the app tree. Do not set."),
    })
    .strict();

export type ApplicationInputs = z.infer<typeof inputs>;
export type ApplicationState = ApplicationInputs & { appDir: string; configFile: string; configSha256: string };

export const appDir = (name: string) => `/srv/modwsgi/${name}`;
export const configFile = (name: string) => `/etc/apache2/modwsgi.d/20-app-${name}.conf`;

export function render(i: ApplicationInputs): string {
    const dir = appDir(i.name);
    return (
        HEADER +
        `WSGIScriptAlias ${word(i.mountPoint)} ${word(`${dir}/current/${i.scriptFile}`)} ` +
        `${word(`process-group=${i.processGroup}`)} ${word(`application-group=${i.applicationGroup}`)}\n` +
        `<Directory ${word(dir)}>\n    Require all granted\n</Directory>\n`
    );
}

export function parse(text: string, name: string): Partial<ApplicationInputs> {
    const args = directive(text, "WSGIScriptAlias") ?? [];
    const opts = options(args.slice(2));
    const prefix = `${appDir(name)}/current/`;
    return {
        name,
        mountPoint: args[0],
        scriptFile: args[1]?.startsWith(prefix) ? args[1].slice(prefix.length) : args[1],
        processGroup: opts.get("process-group"),
        applicationGroup: opts.get("application-group"),
    };
}

async function deploy(ctx: Ctx, i: ApplicationInputs) {
    const dir = resolveSource(i.source);
    const tgz = archive(dir);
    const stage = `/var/lib/modwsgi/stage/src-${randomBytes(6).toString("hex")}.tgz`;
    ctx.log.status(`uploading ${dir} (${Math.ceil(tgz.length / 1024)} KiB) as release ${i.sourceSha256!.slice(0, 12)}`);
    await run(ctx.host, sh`mkdir -p -m 700 /var/lib/modwsgi/stage`);
    await ctx.host.writeFile(stage, tgz, 0o600);
    await runScript(ctx.host, "deploy-source", [appDir(i.name), i.sourceSha256!, stage, i.scriptFile]);
}

async function apply(ctx: Ctx, i: ApplicationInputs, old?: ApplicationState): Promise<ApplicationState> {
    if (!old || old.sourceSha256 !== i.sourceSha256) await deploy(ctx, i);
    const text = render(i);
    if (!old || old.configSha256 !== sha256(text)) {
        await withHostLock(ctx.host, async () => {
            ctx.log.status(`writing ${configFile(i.name)}, configtest, graceful reload`);
            await applyConfig(ctx.host, [{ op: "put", target: configFile(i.name), content: text }], "graceful");
        });
    }
    return { ...i, appDir: appDir(i.name), configFile: configFile(i.name), configSha256: sha256(text) };
}

export const application: ResourceModule<ApplicationInputs, ApplicationState> = {
    token: "modwsgi:index:Application",
    description: "A WSGI application: local code uploaded as an atomic release and mounted with WSGIScriptAlias in a daemon group.",
    inputs,
    outputs: {
        appDir: { type: "string", description: "Directory on the host holding releases/ and the `current` symlink." },
        configFile: { type: "string", description: "The managed config file on the host." },
        configSha256: { type: "string", description: "SHA-256 of that file as last applied (live after refresh)." },
    },
    replaceOn: ["name"],
    normalize: (i) => ({ ...i, sourceSha256: treeSha256(resolveSource(i.source)) }),
    id: (i) => i.name,
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, id, olds) {
        const name = olds?.name ?? id;
        const res = await run(
            ctx.host,
            sh`cat ${configFile(name)} && echo '@@' && cd ${appDir(name) + "/current"} && ${raw(REMOTE_TREE_SHA)}`,
        );
        if (res.code !== 0 && !res.stdout.includes("@@")) return null;
        const [text, tree] = res.stdout.split("@@\n");
        return {
            ...olds,
            ...parse(text, name),
            source: olds?.source ?? "",
            sourceSha256: res.code === 0 ? tree.trim() : "missing",
            appDir: appDir(name),
            configFile: configFile(name),
            configSha256: sha256(text),
        } as ApplicationState;
    },
    async delete(ctx, olds) {
        await withHostLock(ctx.host, () => applyConfig(ctx.host, [{ op: "del", target: configFile(olds.name) }], "graceful"));
        await run(ctx.host, sh`rm -rf ${appDir(olds.name)}`);
    },
    drift: (olds, news) => (olds.configSha256 !== sha256(render(news)) ? ["configSha256"] : []),
};
