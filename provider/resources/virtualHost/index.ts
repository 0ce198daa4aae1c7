// VirtualHost: one <VirtualHost> in a provider-owned file, optionally with TLS (certificate files written
// root-only, mod_ssl enabled). Applications attach to it by name; their mounts live in its include dir.
// Daemon groups stay at server scope, so a TLS twin of a plain-HTTP vhost never defines a group twice.
// With redirectHttp, the same file holds a second, port-80 vhost that only redirects to the HTTPS one.
import { applyConfig, modesDiffer, putMode, type Change } from "../../remote/apply";
import { removeOwned } from "../../remote/remove";
import { modesOf, readFiles } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { sha256 } from "../../apache";
import {
    APP_FILE_NAME,
    MODS_AVAILABLE,
    MODS_ENABLED,
    SSL_MODULE_FILES,
    certFile,
    keyFile,
    legacyVhostFile,
    legacyVhostIncludeDir,
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

/**
 * The mounts an earlier release kept in modwsgi.d/vhost-<name> (where the module's `modwsgi.d/*.conf` reads a
 * vhost named `x.conf` at server scope), moved into the include dir in the vhost's own transaction: they stay
 * in the vhost throughout. Only mount files move (appFile's names); one already in the include dir wins.
 */
async function legacyMounts(ctx: Ctx, name: string): Promise<Change[]> {
    const from = legacyVhostIncludeDir(name);
    const to = vhostIncludeDir(name);
    const ls = await ctx.host.exec(sh`if [ -d ${from} ]; then ls -A ${from}; fi`);
    const files = ls.stdout.split("\n").filter((f) => APP_FILE_NAME.test(f));
    if (files.length === 0) return [];
    const paths = files.flatMap((f) => [`${from}/${f}`, `${to}/${f}`]);
    const read = (await readFiles(ctx.host, paths)).files;
    return files.flatMap((f, n): Change[] => {
        const [text, there] = [read[2 * n], read[2 * n + 1]];
        if (text === undefined) return []; // unreadable: left where it is (and the dir with it)
        return [
            ...(there === undefined ? [{ op: "put" as const, target: `${to}/${f}`, content: text }] : []),
            { op: "del", target: `${from}/${f}` },
        ];
    });
}

/** The legacy include dir, once empty, goes; anything else in it is not ours, so it stays, with a warning. */
async function removeLegacyDir(ctx: Ctx, name: string): Promise<void> {
    const dir = legacyVhostIncludeDir(name);
    const left = await ctx.host.exec(
        sh`if [ -d ${dir} ]; then if [ -z "$(ls -A ${dir})" ]; then rmdir ${dir}; else ls -A ${dir}; fi; fi`,
    );
    const files = left.stdout.split("\n").filter(Boolean);
    if (files.length) {
        ctx.log.warn(
            `VirtualHost.name: ${dir} still holds ${files.join(", ")}, which the vhost no longer includes ` +
                `(its mounts are in ${vhostIncludeDir(name)} now); Apache reads that directory at server scope ` +
                `when its name ends in .conf: move or remove them`,
        );
    }
}

/** The certificate (with its chain) is public; the key is root's alone. */
const CERT_MODE = 0o644;
const KEY_MODE = 0o600;

/** Owner and mode of each file the vhost puts, as apply-config.sh leaves them: its desired `fileModes`. */
function wantModes(i: VirtualHostInputs): Record<string, string> {
    const tls = i.tls ? { [certFile(i.name)]: putMode(CERT_MODE), [keyFile(i.name)]: putMode(KEY_MODE) } : {};
    return { [vhostFile(i.name)]: putMode(), ...tls };
}

async function apply(ctx: Ctx, i: VirtualHostInputs, old?: VirtualHostState): Promise<VirtualHostState> {
    await checkListening(ctx, portOf(i));
    const text = render(i);
    const changes: Change[] = [
        { op: "put", target: vhostFile(i.name), content: text },
        { op: "link", target: vhostFile(i.name), link: vhostLink(i.name) },
        { op: "del", target: legacyVhostFile(i.name) },
        ...(await legacyMounts(ctx, i.name)),
    ];
    if (i.tls) {
        changes.push({ op: "put", target: certFile(i.name), content: certText(i.tls), mode: CERT_MODE });
        changes.push({ op: "put", target: keyFile(i.name), content: keyText(i.tls), mode: KEY_MODE });
        // mod_ssl stays enabled after the vhost goes: other sites may have come to rely on it.
        for (const f of SSL_MODULE_FILES)
            changes.push({ op: "link", target: `${MODS_AVAILABLE}/${f}`, link: `${MODS_ENABLED}/${f}` });
    } else if (old?.tls) {
        changes.push({ op: "del", target: certFile(i.name) }, { op: "del", target: keyFile(i.name) });
    }
    ctx.log.status(`writing ${vhostFile(i.name)}${i.tls ? " and its TLS files" : ""}, configtest, graceful reload`);
    await applyConfig(ctx.host, changes, "graceful");
    await removeLegacyDir(ctx, i.name);
    return {
        ...i,
        configFile: vhostFile(i.name),
        includeDir: vhostIncludeDir(i.name),
        configSha256: sha256(text),
        tlsSha256: tlsSha(i),
        enabled: true,
        fileModes: wantModes(i),
    };
}

/** TLS inputs from the files on the host (certText's layout); none unless both are there. */
function tlsOf(cert: string, key: string): VirtualHostInputs["tls"] {
    const blocks = cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (!blocks.length || !key.trim()) return undefined;
    const [certificate, ...chain] = blocks as [string, ...string[]];
    return { certificate, privateKey: key.trim(), ...(chain.length ? { chain: chain.join("\n") } : {}) };
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
        const paths = [vhostFile(n), legacyVhostFile(n), vhostLink(n), certFile(n), keyFile(n)];
        const { files, meta } = await readFiles(ctx.host, paths);
        const [site, legacy, , cert = "", key = ""] = files;
        // A file where an earlier release wrote it reads as changed (configFile in the fingerprint), and up moves it.
        const text = site ?? legacy;
        if (text === undefined) return null;
        const tls = cert + key;
        const owned = [0, 1, 3, 4];
        return {
            ...olds,
            ...parse(text, n),
            // An import: the certificate file is the certificate, then its chain (certText); the key as written.
            tls: olds ? olds.tls : tlsOf(cert, key),
            configFile: site === undefined ? legacyVhostFile(n) : vhostFile(n),
            includeDir: vhostIncludeDir(n),
            configSha256: sha256(text),
            tlsSha256: tls ? sha256(tls) : "",
            // Disabled (a2dissite removed the link, or it points elsewhere): the site serves nothing; up links it
            // again. a2ensite's relative link counts. A legacy file is read at server scope, so it is served.
            enabled: site === undefined || meta[2].link === vhostFile(n),
            fileModes: modesOf(
                owned.map((k) => paths[k]),
                owned.map((k) => meta[k]),
            ),
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
        await removeOwned(ctx.host, [vhostIncludeDir(olds.name)], "VirtualHost.name");
        await removeLegacyDir(ctx, olds.name);
    },
    // TLS material that writes the same files (PEM text with other whitespace: an import reads it trimmed).
    sameInput: (key, olds, news) =>
        key === "tls" &&
        !!olds.tls &&
        !!news.tls &&
        certText(olds.tls) === certText(news.tls) &&
        keyText(olds.tls) === keyText(news.tls),
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(render(news)) || olds.configFile !== vhostFile(news.name)
            ? ["configSha256"]
            : []),
        ...(olds.tlsSha256 !== tlsSha(news) ? ["tlsSha256"] : []),
        ...(olds.enabled === false ? ["enabled"] : []),
        // e.g. `chmod 644` on the key: Apache still starts, but the key is readable by every local user.
        ...(modesDiffer(olds.fileModes, wantModes(news)) ? ["fileModes"] : []),
    ],
});
