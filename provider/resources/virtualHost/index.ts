// VirtualHost: one <VirtualHost> in a provider-owned file, optionally with TLS (certificate files written
// root-only, mod_ssl enabled). Applications attach to it by name; their mounts live in its include dir.
// Daemon groups stay at server scope, so a TLS twin of a plain-HTTP vhost never defines a group twice.
// With redirectHttp, the same file holds a second, port-80 vhost that only redirects to the HTTPS one.
import { applyConfig, type Change } from "../../remote/apply";
import { readFiles } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { sha256 } from "../../apache";
import {
    MODS_AVAILABLE,
    MODS_ENABLED,
    SSL_MODULE_FILES,
    certFile,
    keyFile,
    legacyVhostFile,
    vhostFile,
    vhostIncludeDir,
    vhostLink,
} from "../../layout";
import { gather, listenPorts } from "../../facts";
import { defineResource, type Ctx } from "../../resource";
import { inputs, normalize, outputs, portOf, type VirtualHostInputs, type VirtualHostState } from "./schema";
import { certText, keyText, parse, render, tlsSha } from "./render";

/** A vhost on a port Apache does not listen on passes configtest and never answers: refuse it instead. */
async function checkListening(ctx: Ctx, port: number): Promise<void> {
    if (port === 80 || port === 443) return; // Debian's ports.conf
    let ports: number[];
    try {
        ports = await gather(ctx.host, listenPorts);
    } catch (e) {
        throw new Error(`VirtualHost.port: on ${ctx.host.name}, ${(e as Error).message}`, { cause: e });
    }
    if (!ports.includes(port)) {
        throw new Error(
            `VirtualHost.port: Apache on ${ctx.host.name} does not listen on ${port}; ` +
                `add it to ApacheHost.listenPorts (it listens on ${ports.join(", ") || "no port"})`,
        );
    }
}

async function apply(ctx: Ctx, i: VirtualHostInputs, old?: VirtualHostState): Promise<VirtualHostState> {
    const text = render(i);
    const changes: Change[] = [
        { op: "put", target: vhostFile(i.name), content: text },
        { op: "link", target: vhostFile(i.name), link: vhostLink(i.name) },
        { op: "del", target: legacyVhostFile(i.name) },
    ];
    if (i.tls) {
        changes.push({ op: "put", target: certFile(i.name), content: certText(i.tls), mode: 0o644 });
        changes.push({ op: "put", target: keyFile(i.name), content: keyText(i.tls), mode: 0o600 });
        // mod_ssl stays enabled after the vhost goes: other sites may have come to rely on it.
        for (const f of SSL_MODULE_FILES)
            changes.push({ op: "link", target: `${MODS_AVAILABLE}/${f}`, link: `${MODS_ENABLED}/${f}` });
    } else if (old?.tls) {
        changes.push({ op: "del", target: certFile(i.name) }, { op: "del", target: keyFile(i.name) });
    }
    await checkListening(ctx, portOf(i));
    ctx.log.status(`writing ${vhostFile(i.name)}${i.tls ? " and its TLS files" : ""}, configtest, graceful reload`);
    await applyConfig(ctx.host, changes, "graceful");
    return {
        ...i,
        configFile: vhostFile(i.name),
        includeDir: vhostIncludeDir(i.name),
        configSha256: sha256(text),
        tlsSha256: tlsSha(i),
    };
}

export const virtualHost = defineResource<VirtualHostInputs, VirtualHostState>({
    token: "modwsgi:index:VirtualHost",
    description: "An Apache <VirtualHost> (HTTP, or HTTPS with its certificate) that Applications mount into.",
    inputs,
    outputs,
    normalize,
    replaceOn: ["name"],
    claims: (i) => [
        { key: `vhost:${i.name}`, property: "name", what: `virtual host "${i.name}"` },
        {
            key: `servername:${portOf(i)}:${i.serverName}`,
            property: "serverName",
            what: `ServerName ${i.serverName} on port ${portOf(i)}`,
        },
        ...(i.redirectHttp === true
            ? [
                  {
                      key: `servername:80:${i.serverName}`,
                      property: "redirectHttp",
                      what: `ServerName ${i.serverName} on port 80 (its HTTP redirect)`,
                  },
              ]
            : []),
    ],
    id: (i) => i.name,
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, id, olds) {
        const n = olds?.name ?? id;
        const [site, legacy, link, cert = "", key = ""] = (
            await readFiles(ctx.host, [vhostFile(n), legacyVhostFile(n), vhostLink(n), certFile(n), keyFile(n)])
        ).files;
        // A disabled site (link removed by hand) serves nothing: it reads as changed, and up links it again.
        // A file where an earlier release wrote it reads as changed too, and up moves it.
        const text = site === undefined ? legacy : link === undefined ? "" : site;
        if (text === undefined) return null;
        const tls = cert + key;
        return {
            ...olds,
            ...parse(text, n),
            tls: olds?.tls,
            configFile: site === undefined ? legacyVhostFile(n) : vhostFile(n),
            includeDir: vhostIncludeDir(n),
            configSha256: sha256(text),
            tlsSha256: tls ? sha256(tls) : "",
        };
    },
    async delete(ctx, olds) {
        const changes: Change[] = [
            { op: "del", target: vhostLink(olds.name) },
            { op: "del", target: vhostFile(olds.name) },
            { op: "del", target: legacyVhostFile(olds.name) },
        ];
        if (olds.tls)
            changes.push({ op: "del", target: certFile(olds.name) }, { op: "del", target: keyFile(olds.name) });
        await applyConfig(ctx.host, changes, "graceful");
        await ctx.host.exec(sh`rm -rf ${vhostIncludeDir(olds.name)}`);
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(render(news)) || olds.configFile !== vhostFile(news.name)
            ? ["configSha256"]
            : []),
        ...(olds.tlsSha256 !== tlsSha(news) ? ["tlsSha256"] : []),
    ],
});
