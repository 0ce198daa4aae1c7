// VirtualHost: one <VirtualHost> in a provider-owned file, optionally with TLS (certificate files written
// root-only, mod_ssl enabled). Applications attach to it by name; their mounts live in its include dir.
// Daemon groups stay at server scope, so a TLS twin of a plain-HTTP vhost never defines a group twice.
// With redirectHttp, the same file holds a second, port-80 vhost that only redirects to the HTTPS one.
import { z } from "zod";
import { applyConfig, type Change } from "../../remote/apply";
import { readFiles, run } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { HEADER, absPath, directive, name, sha256, word, words } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";

const hostname = () =>
    z
        .string()
        .max(253)
        .regex(
            /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$|^[0-9.]+$/,
            "must be a host name (optionally *.domain) or an IPv4 address",
        );

const pem = (kind: string) =>
    z
        .string()
        .max(65536)
        .regex(
            new RegExp(`^\\s*-----BEGIN ${kind}-----[\\s\\S]+-----END ${kind}-----\\s*$`),
            `must be a PEM ${kind.toLowerCase()}`,
        );

export const tlsSchema = z
    .object({
        certificate: pem("CERTIFICATE").describe("Server certificate, PEM."),
        privateKey: z
            .string()
            .max(65536)
            .regex(
                /^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/,
                "must be a PEM private key",
            )
            .describe("Its private key, PEM (secret; written root-only on the host)."),
        chain: z
            .string()
            .max(262144)
            .regex(
                /^\s*(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*)+$/,
                "must be PEM certificates",
            )
            .optional()
            .describe(
                "Intermediate certificates, PEM, appended to the certificate file (Apache >= 2.4.8 reads the chain from there).",
            ),
    })
    .strict()
    .meta({ id: "Tls", description: "TLS material for a VirtualHost." });

export const inputs = z
    .object({
        name: name().describe(
            "Identifies the vhost's files on the host; Applications attach with `virtualHost: <name>`. Changing it replaces the vhost.",
        ),
        serverName: hostname().describe("ServerName."),
        serverAliases: z
            .array(hostname())
            .max(100)
            .default([])
            .describe("ServerAlias names (`*.example.org` allowed)."),
        port: z
            .number()
            .int("must be a whole number")
            .min(1, "must be a TCP port (1-65535)")
            .max(65535, "must be a TCP port (1-65535)")
            .optional()
            .describe(
                "Port (1-65535). Default 443 with tls, else 80. Any other port must be one Apache listens on (`ApacheHost.listenPorts`): checked at apply.",
            ),
        tls: tlsSchema.optional().describe("Serve HTTPS with this certificate (enables mod_ssl). Stored encrypted."),
        redirectHttp: z
            .boolean()
            .default(false)
            .describe(
                "Also answer plain HTTP on port 80 for serverName and serverAliases with a permanent redirect to `https://<serverName>/` (`:<port>` added unless the port is 443). Needs tls.",
            ),
        errorLog: absPath().optional().describe("ErrorLog. Default /var/log/apache2/<name>-error.log."),
        accessLog: absPath()
            .optional()
            .describe("CustomLog (combined format). Default /var/log/apache2/<name>-access.log."),
    })
    .strict()
    .refine((v) => (v.port ?? (v.tls ? 443 : 80)) !== 443 || v.tls, { message: "port 443 needs tls", path: ["port"] })
    .refine((v) => !v.redirectHttp || v.tls, {
        message: "needs tls (it redirects plain HTTP to this vhost's HTTPS)",
        path: ["redirectHttp"],
    })
    // The redirect vhost takes port 80 for serverName: the TLS vhost itself cannot be there too.
    .refine((v) => !v.redirectHttp || !v.tls || v.port !== 80, {
        message: "needs the TLS vhost on a port other than 80 (the redirect takes 80)",
        path: ["redirectHttp"],
    })
    // A wildcard ServerName gives no host to redirect to.
    .refine((v) => !v.redirectHttp || !v.serverName.startsWith("*."), {
        message: "needs a serverName without a wildcard (the redirect target)",
        path: ["redirectHttp"],
    });

export type VirtualHostInputs = z.infer<typeof inputs>;
export type VirtualHostState = VirtualHostInputs & {
    configFile: string;
    includeDir: string;
    configSha256: string;
    tlsSha256: string;
};

// In sites-available/-enabled, read after Debian's 000-default: the host's default site stays the default
// for requests naming no known host, instead of the first vhost this provider writes.
export const configFile = (n: string) => `/etc/apache2/sites-available/modwsgi-${n}.conf`;
const siteLink = (n: string) => `/etc/apache2/sites-enabled/modwsgi-${n}.conf`;
/** Where earlier releases of this provider wrote the vhost: moved on the next update. */
const legacyFile = (n: string) => `/etc/apache2/modwsgi.d/15-vhost-${n}.conf`;
export const includeDir = (n: string) => `/etc/apache2/modwsgi.d/vhost-${n}`;
const certFile = (n: string) => `/etc/modwsgi/tls/${n}.crt`;
const keyFile = (n: string) => `/etc/modwsgi/tls/${n}.key`;
const SSL_LINKS = ["ssl.load", "ssl.conf", "socache_shmcb.load"];

const portOf = (i: VirtualHostInputs) => i.port ?? (i.tls ? 443 : 80);
const certText = (t: NonNullable<VirtualHostInputs["tls"]>) =>
    `${t.certificate.trim()}\n${t.chain ? `${t.chain.trim()}\n` : ""}`;
const tlsSha = (i: VirtualHostInputs) => (i.tls ? sha256(certText(i.tls) + i.tls.privateKey.trim() + "\n") : "");

/** Where the port-80 redirect sends clients: the TLS vhost's name and port. */
export const redirectTarget = (i: VirtualHostInputs) =>
    `https://${i.serverName}${portOf(i) === 443 ? "" : `:${portOf(i)}`}/`;

/** The vhost file; `i` is normalized (port and log paths concrete). */
export function render(i: VirtualHostInputs): string {
    const names = [
        `    ServerName ${word(i.serverName)}`,
        ...(i.serverAliases.length ? [`    ServerAlias ${i.serverAliases.map(word).join(" ")}`] : []),
        `    ErrorLog ${word(i.errorLog!)}`,
        `    CustomLog ${word(i.accessLog!)} combined`,
    ];
    const lines = [
        `<VirtualHost *:${portOf(i)}>`,
        ...names,
        ...(i.tls
            ? [
                  "    SSLEngine on",
                  `    SSLCertificateFile ${word(certFile(i.name))}`,
                  `    SSLCertificateKeyFile ${word(keyFile(i.name))}`,
              ]
            : []),
        `    IncludeOptional ${word(includeDir(i.name))}/*.conf`,
        "</VirtualHost>",
        ...(i.redirectHttp
            ? ["<VirtualHost *:80>", ...names, `    Redirect permanent / ${word(redirectTarget(i))}`, "</VirtualHost>"]
            : []),
    ];
    return `${HEADER}${lines.join("\n")}\n`;
}

/** The <VirtualHost *:N> blocks of a file, in order. Rendered values hold no newline, so no value can end a block. */
function blocks(text: string): { port: number; body: string }[] {
    return [...text.matchAll(/^<VirtualHost \*:(\d+)>\n([\s\S]*?)^<\/VirtualHost>/gm)].map((m) => ({
        port: Number(m[1]),
        body: m[2],
    }));
}

export function parse(text: string, n: string): Partial<VirtualHostInputs> {
    const [main, ...rest] = blocks(text);
    const body = main?.body ?? text;
    return {
        name: n,
        serverName: directive(body, "ServerName")?.[0],
        serverAliases: directive(body, "ServerAlias") ?? [],
        port: main?.port,
        // Refresh sees a hand-removed redirect block as redirectHttp: false.
        redirectHttp: rest.some((b) => b.port === 80 && directive(b.body, "Redirect") !== undefined),
        errorLog: directive(body, "ErrorLog")?.[0],
        accessLog: directive(body, "CustomLog")?.[0],
    };
}

/**
 * The ports in Listen directives (`Listen 8080`, `Listen 0.0.0.0:8080`, `Listen [::]:8081 http`), from config
 * text. Commented lines are skipped; lines inside <IfModule> count, as Debian's `Listen 443` sits in
 * <IfModule ssl_module> and a TLS vhost enables mod_ssl.
 */
export function parseListenPorts(text: string): number[] {
    const ports = new Set<number>();
    for (const line of text.split("\n")) {
        const [d, addr] = words(line.trim());
        if (d?.toLowerCase() !== "listen" || addr === undefined) continue;
        const m = /^(?:\[[0-9A-Fa-f:.]+\]:|[^:[\]]+:)?(\d{1,5})$/.exec(addr);
        if (m) ports.add(Number(m[1]));
    }
    return [...ports].sort((a, b) => a - b);
}

/** A vhost on a port Apache does not listen on passes configtest and never answers: refuse it instead. */
async function checkListening(ctx: Ctx, port: number): Promise<void> {
    if (port === 80 || port === 443) return; // Debian's ports.conf
    const res = await run(
        ctx.host,
        sh`grep -hsi '^[[:space:]]*listen[[:space:]]' /etc/apache2/ports.conf /etc/apache2/conf-enabled/*.conf`,
    );
    // grep: 1 is no match; 2 is a missing file (e.g. an empty conf-enabled), fatal only when nothing was read.
    if (res.code > 2 || (res.code === 2 && !res.stdout))
        throw new Error(`VirtualHost.port: reading Listen directives on ${ctx.host.name} failed: ${res.stderr.trim()}`);
    const ports = parseListenPorts(res.stdout);
    if (!ports.includes(port)) {
        throw new Error(
            `VirtualHost.port: Apache on ${ctx.host.name} does not listen on ${port}; add it to ApacheHost.listenPorts (it listens on ${ports.join(", ") || "no port"})`,
        );
    }
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
    const changes: Change[] = [
        { op: "put", target: configFile(i.name), content: text },
        { op: "link", target: configFile(i.name), link: siteLink(i.name) },
        { op: "del", target: legacyFile(i.name) },
    ];
    if (i.tls) {
        changes.push({ op: "put", target: certFile(i.name), content: certText(i.tls), mode: 0o644 });
        changes.push({ op: "put", target: keyFile(i.name), content: `${i.tls.privateKey.trim()}\n`, mode: 0o600 });
        // mod_ssl stays enabled after the vhost goes: other sites may have come to rely on it.
        for (const f of SSL_LINKS)
            changes.push({
                op: "link",
                target: `/etc/apache2/mods-available/${f}`,
                link: `/etc/apache2/mods-enabled/${f}`,
            });
    } else if (old?.tls) {
        changes.push({ op: "del", target: certFile(i.name) }, { op: "del", target: keyFile(i.name) });
    }
    await checkListening(ctx, portOf(i));
    ctx.log.status(`writing ${configFile(i.name)}${i.tls ? " and its TLS files" : ""}, configtest, graceful reload`);
    await applyConfig(ctx.host, changes, "graceful");
    return {
        ...i,
        configFile: configFile(i.name),
        includeDir: includeDir(i.name),
        configSha256: sha256(text),
        tlsSha256: tlsSha(i),
    };
}

export const virtualHost: ResourceModule<VirtualHostInputs, VirtualHostState> = {
    token: "modwsgi:index:VirtualHost",
    description: "An Apache <VirtualHost> (HTTP, or HTTPS with its certificate) that Applications mount into.",
    inputs,
    outputs: {
        configFile: { type: "string", description: "The managed vhost file on the host." },
        includeDir: { type: "string", description: "Directory of the mounts attached to this vhost." },
        configSha256: { type: "string", description: "SHA-256 of the vhost file (live after refresh)." },
        tlsSha256: {
            type: "string",
            description: "SHA-256 of the certificate and key files (live after refresh; empty without TLS).",
        },
    },
    secrets: ["tls"],
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
            await readFiles(ctx.host, [configFile(n), legacyFile(n), siteLink(n), certFile(n), keyFile(n)])
        ).files;
        // A disabled site (link removed by hand) serves nothing: it reads as changed, and up links it again.
        const text = site === undefined ? legacy : link === undefined ? "" : site;
        if (text === undefined) return null;
        const tls = cert + key;
        return {
            ...olds,
            ...parse(text, n),
            tls: olds?.tls,
            configFile: site === undefined ? legacyFile(n) : configFile(n),
            includeDir: includeDir(n),
            configSha256: sha256(text),
            tlsSha256: tls ? sha256(tls) : "",
        } as VirtualHostState;
    },
    async delete(ctx, olds) {
        const changes: Change[] = [
            { op: "del", target: siteLink(olds.name) },
            { op: "del", target: configFile(olds.name) },
            { op: "del", target: legacyFile(olds.name) },
        ];
        if (olds.tls)
            changes.push({ op: "del", target: certFile(olds.name) }, { op: "del", target: keyFile(olds.name) });
        await applyConfig(ctx.host, changes, "graceful");
        await run(ctx.host, sh`rm -rf ${includeDir(olds.name)}`);
    },
    drift: (olds, news) => [
        ...(olds.configSha256 !== sha256(render(news)) || olds.configFile !== configFile(news.name)
            ? ["configSha256"]
            : []),
        ...(olds.tlsSha256 !== tlsSha(news) ? ["tlsSha256"] : []),
    ],
};
