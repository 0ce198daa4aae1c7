// DaemonProcess lifecycle: one managed file per group; every change is configtested, then graceful.
import { applyConfig, modesDiffer, putMode, putModes, type Change } from "../../remote/apply";
import { modesOf, readFiles } from "../../remote/scripts";
import { sha256 } from "../../apache";
import { daemonFile } from "../../layout";
import { gather, loadedModule } from "../../facts";
import { LATEST, requireSupported, withInert, withoutInert } from "../../versions";
import { defineResource, type Ctx } from "../../resource";
import { REMOVED, inputs, outputs, type DaemonProcessInputs, type DaemonProcessState } from "./schema";
import { parse, render } from "./render";
import { timeoutWarnings } from "./timeouts";
import { logger } from "../../log";

/** The file for the module the host runs: settings it lacks are refused, or left out when inert. */
function renderFor(i: DaemonProcessInputs, version: string): string {
    return render(withoutInert("DaemonProcess", i, version));
}

async function apply(ctx: Ctx, i: DaemonProcessInputs, old?: DaemonProcessState): Promise<DaemonProcessState> {
    const moduleVersion = (await gather(ctx.host, loadedModule))?.version ?? old?.moduleVersion ?? LATEST;
    requireSupported("DaemonProcess", i, moduleVersion);
    const text = renderFor(i, moduleVersion);
    const file = daemonFile(i.name);
    ctx.log.status(`writing ${file}, configtest, graceful reload`);
    const changes: Change[] = [{ op: "put", target: file, content: text }];
    if (old && old.name !== i.name) changes.push({ op: "del", target: daemonFile(old.name) });
    await applyConfig(ctx.host, changes, "graceful");
    return { ...i, configFile: file, configSha256: sha256(text), moduleVersion, fileModes: putModes(changes) };
}

export const daemonProcess = defineResource<DaemonProcessInputs, DaemonProcessState>({
    token: "modwsgi:index:DaemonProcess",
    description:
        "A mod_wsgi daemon process group (WSGIDaemonProcess) with the upstream recommended production defaults.",
    inputs,
    outputs,
    removed: REMOVED,
    claims: (i) => [{ key: `daemon:${i.name}`, property: "name", what: `daemon process group "${i.name}"` }],
    replaceOn: ["name"],
    // Check (preview and up) has no URN here: the warning goes to the run's log, naming the group.
    normalize(i) {
        for (const w of timeoutWarnings(i)) logger("").warn(w);
        return i;
    },
    id: (i) => i.name,
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, id, olds) {
        const file = daemonFile(olds?.name ?? id);
        const { files, meta } = await readFiles(ctx.host, [file]);
        const text = files[0];
        if (text === undefined) return null;
        const moduleVersion = olds?.moduleVersion ?? LATEST;
        const live = withInert("DaemonProcess", parse(text) ?? {}, moduleVersion);
        // Options absent from the live line are reported as unset, so the diff shows them.
        const base = Object.fromEntries(Object.keys(inputs.shape).map((k) => [k, undefined]));
        return {
            ...base,
            ...live,
            name: live.name ?? id,
            configFile: file,
            configSha256: sha256(text),
            moduleVersion,
            fileModes: modesOf([file], meta),
        };
    },
    async delete(ctx, olds) {
        await applyConfig(ctx.host, [{ op: "del", target: daemonFile(olds.name) }], "graceful");
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(renderFor(news, olds.moduleVersion ?? LATEST)) ? ["configSha256"] : []),
        // `chown nobody` or `chmod 600` by hand: Apache (root) still reads it, but it is no longer what up wrote.
        ...(modesDiffer(olds.fileModes, { [daemonFile(news.name)]: putMode() }) ? ["fileModes"] : []),
    ],
});
