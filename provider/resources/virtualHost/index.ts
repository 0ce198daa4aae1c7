// VirtualHost: one <VirtualHost> in a provider-owned file, optionally with TLS (certificate files written
// root-only, mod_ssl enabled). Applications attach to it by name; their mounts live in its include dir.
// Daemon groups stay at server scope, so a TLS twin of a plain-HTTP vhost never defines a group twice.
import { z } from "zod";
import { applyConfig, withHostLock, type Change } from "../../remote/apply";
import { readFiles, run } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { HEADER, absPath, directive, name, sha256, word } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";

const hostname = () =>
    z.string().max(253).regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$|^[0-9.]+$/, "must be a host name (optionally *.domain) or an IPv4 address");

const pem = (kind: string) =>
    z.string().max(65536).regex(new RegExp(`^\\s*-----BEGIN ${kind}-----[\\s\\S]+-----END ${kind}-----\\s*$`), `must be a PEM ${kind.toLowerCase()}`);

export const tlsSchema = z
    .object({
        certificate: pem("CERTIFICATE").describe("Server certificate, PEM."),
        privateKey: z.string().max(65536).regex(/^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/, "must be a PEM private key")
            .describe("Its private key, PEM (secret; written root-only on the host)."),
        chain: z.string().max(262144).regex(/^\s*(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*)+$/, "must be PEM certificates").optional()
            .describe("Intermediate certificates, PEM, appended to the certificate file (Apache >= 2.4.8 reads the chain from there)."),
    })
    .strict()
    .meta({ id: "Tls", description: "TLS material for a VirtualHost." });

export const inputs = z
    .object({
        name: name().describe("Identifies the vhost's files on the host; Applications attach with `virtualHost: <name>`. Changing it replaces the vhost."),
        serverName: hostname().describe("ServerName."),
        serverAliases: z.array(hostname()).max(100).default([]).describe("ServerAlias names (`*.example.org` allowed)."),
        port: z.number().int().refine((p): boolean => p === 80 || p === 443, "must be 80 or 443 (the ports Debian's ports.conf listens on)").optional()
            .describe("Port. Default 443 with tls, else 80."),
        tls: tlsSchema.optional().describe("Serve HTTPS with this certificate (enables mod_ssl). Stored encrypted."),
        errorLog: absPath().optional().describe("ErrorLog. Default /var/log/apache2/<name>-error.log."),
        accessLog: absPath().optional().describe("CustomLog (combined format). Default /var/log/apache2/<name>-access.log."),
    })
    .strict()
    .refine((v) => (v.port ?? (v.tls ? 443 : 80)) !== 443 || v.tls, { message: "port 443 needs tls", path: ["port"] });

export type VirtualHostInputs = z.infer<typeof inputs>;
export type VirtualHostState = VirtualHostInputs & { configFile: string; includeDir: string; configSha256: string; tlsSha256: string };

export const configFile = (n: string) => `/etc/apache2/modwsgi.d/15-vhost-${n}.conf`;
export const includeDir = (n: string) => `/etc/apache2/modwsgi.d/vhost-${n}`;
const certFile = (n: string) => `/etc/modwsgi/tls/${n}.crt`;
const keyFile = (n: string) => `/etc/modwsgi/tls/${n}.key`;
const SSL_LINKS = ["ssl.load", "ssl.conf", "socache_shmcb.load"];

const portOf = (i: VirtualHostInputs) => i.port ?? (i.tls ? 443 : 80);
const certText = (t: NonNullable<VirtualHostInputs["tls"]>) => `${t.certificate.trim()}\n${t.chain ? `${t.chain.trim()}\n` : ""}`;
const tlsSha = (i: VirtualHostInputs) => (i.tls ? sha256(certText(i.tls) + i.tls.privateKey.trim() + "\n") : "");

/** The vhost file; `i` is normalized (port and log paths concrete). */
export function render(i: VirtualHostInputs): string {
    const lines = [
        `<VirtualHost *:${portOf(i)}>`,
        `    ServerName ${word(i.serverName)}`,
        ...(i.serverAliases.length ? [`    ServerAlias ${i.serverAliases.map(word).join(" ")}`] : []),
        `    ErrorLog ${word(i.errorLog!)}`,
        `    CustomLog ${word(i.accessLog!)} combined`,
        ...(i.tls ? ["    SSLEngine on", `    SSLCertificateFile ${word(certFile(i.name))}`, `    SSLCertificateKeyFile ${word(keyFile(i.name))}`] : []),
        `    IncludeOptional ${word(includeDir(i.name))}/*.conf`,
        "</VirtualHost>",
    ];
    return `${HEADER}${lines.join("\n")}\n`;
}

export function parse(text: string, n: string): Partial<VirtualHostInputs> {
    const port = /<VirtualHost \*:(\d+)>/.exec(text)?.[1];
    return {
        name: n,
        serverName: directive(text, "ServerName")?.[0],
        serverAliases: directive(text, "ServerAlias") ?? [],
        port: port === undefined ? undefined : Number(port),
        errorLog: directive(text, "ErrorLog")?.[0],
        accessLog: directive(text, "CustomLog")?.[0],
    };
}

/** Defaults that depend on other inputs, made concrete at check so the diff compares like with like. */
export function normalize(i: VirtualHostInputs): VirtualHostInputs {
    return {
        ...i,
        port: portOf(i),
        errorLog: i.errorLog ?? `/var/log/apache2/${i.name}-error.log`,
        accessLog: i.accessLog ?? `/var/log/apache2/${i.name}-access.log`,
    };
}

async function apply(ctx: Ctx, i: VirtualHostInputs, old?: VirtualHostState): Promise<VirtualHostState> {
    const text = render(i);
    const changes: Change[] = [{ op: "put", target: configFile(i.name), content: text }];
    if (i.tls) {
        changes.push({ op: "put", target: certFile(i.name), content: certText(i.tls), mode: 0o644 });
        changes.push({ op: "put", target: keyFile(i.name), content: `${i.tls.privateKey.trim()}\n`, mode: 0o600 });
        // mod_ssl stays enabled after the vhost goes: other sites may have come to rely on it.
        for (const f of SSL_LINKS) changes.push({ op: "link", target: `/etc/apache2/mods-available/${f}`, link: `/etc/apache2/mods-enabled/${f}` });
    } else if (old?.tls) {
        changes.push({ op: "del", target: certFile(i.name) }, { op: "del", target: keyFile(i.name) });
    }
    await withHostLock(ctx.host, async () => {
        ctx.log.status(`writing ${configFile(i.name)}${i.tls ? " and its TLS files" : ""}, configtest, graceful reload`);
        await applyConfig(ctx.host, changes, "graceful");
    });
    return { ...i, configFile: configFile(i.name), includeDir: includeDir(i.name), configSha256: sha256(text), tlsSha256: tlsSha(i) };
}

export const virtualHost: ResourceModule<VirtualHostInputs, VirtualHostState> = {
    token: "modwsgi:index:VirtualHost",
    description: "An Apache <VirtualHost> (HTTP, or HTTPS with its certificate) that Applications mount into.",
    inputs,
    outputs: {
        configFile: { type: "string", description: "The managed vhost file on the host." },
        includeDir: { type: "string", description: "Directory of the mounts attached to this vhost." },
        configSha256: { type: "string", description: "SHA-256 of the vhost file (live after refresh)." },
        tlsSha256: { type: "string", description: "SHA-256 of the certificate and key files (live after refresh; empty without TLS)." },
    },
    secrets: ["tls"],
    normalize,
    replaceOn: ["name"],
    claims: (i) => [
        { key: `vhost:${i.name}`, property: "name", what: `virtual host "${i.name}"` },
        { key: `servername:${portOf(i)}:${i.serverName}`, property: "serverName", what: `ServerName ${i.serverName} on port ${portOf(i)}` },
    ],
    id: (i) => i.name,
    create: (ctx, i) => apply(ctx, i),
    update: (ctx, olds, news) => apply(ctx, news, olds),
    async read(ctx, id, olds) {
        const n = olds?.name ?? id;
        const [text, cert = "", key = ""] = (await readFiles(ctx.host, [configFile(n), certFile(n), keyFile(n)])).files;
        if (text === undefined) return null;
        const tls = cert + key;
        return {
            ...olds,
            ...parse(text, n),
            tls: olds?.tls,
            configFile: configFile(n),
            includeDir: includeDir(n),
            configSha256: sha256(text),
            tlsSha256: tls ? sha256(tls) : "",
        } as VirtualHostState;
    },
    async delete(ctx, olds) {
        const changes: Change[] = [{ op: "del", target: configFile(olds.name) }];
        if (olds.tls) changes.push({ op: "del", target: certFile(olds.name) }, { op: "del", target: keyFile(olds.name) });
        await withHostLock(ctx.host, () => applyConfig(ctx.host, changes, "graceful"));
        await run(ctx.host, sh`rm -rf ${includeDir(olds.name)}`);
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(render(news)) ? ["configSha256"] : []),
        ...(olds.tlsSha256 !== tlsSha(news) ? ["tlsSha256"] : []),
    ],
};
