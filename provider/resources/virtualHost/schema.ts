// VirtualHost inputs: one <VirtualHost> (optionally TLS, optionally with a port-80 redirect), and its outputs.
// The TLS material is stored encrypted as a whole, and its private key is a secret of its own.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { z } from "zod";
import { absPath, fileModes, name } from "../../apache";
import { vhostAccessLog, vhostErrorLog } from "../../layout";
import { secret } from "../../zodwalk";

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
        privateKey: secret(
            z
                .string()
                .max(65536)
                .regex(
                    /^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/,
                    "must be a PEM private key",
                )
                .describe("Its private key, PEM (secret; written root-only on the host)."),
        ),
        chain: z
            .string()
            .max(262144)
            .regex(
                /^\s*(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*)+$/,
                "must be PEM certificates",
            )
            .optional()
            .describe(
                "Intermediate certificates, PEM, appended to the certificate file " +
                    "(Apache >= 2.4.8 reads the chain from there).",
            ),
    })
    .strict()
    .meta({ id: "Tls", description: "TLS material for a VirtualHost." });

export const inputs = z
    .object({
        name: name().describe(
            "Identifies the vhost's files on the host; Applications attach with `virtualHost: <name>`. " +
                "Changing it replaces the vhost.",
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
                "Port (1-65535). Default 443 with tls, else 80. Any other port must be one Apache listens on " +
                    "(`ApacheHost.listenPorts`): checked at apply.",
            ),
        tls: secret(
            tlsSchema.optional().describe("Serve HTTPS with this certificate (enables mod_ssl). Stored encrypted."),
        ),
        redirectHttp: z
            .boolean()
            .default(false)
            .describe(
                "Also answer plain HTTP on port 80 for serverName and serverAliases with a permanent redirect to " +
                    "`https://<serverName>/` (`:<port>` added unless the port is 443). Needs tls.",
            ),
        errorLog: absPath()
            .optional()
            .describe(`ErrorLog. Default ${vhostErrorLog("<name>")}.`),
        accessLog: absPath()
            .optional()
            .describe(`CustomLog (combined format). Default ${vhostAccessLog("<name>")}.`),
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

export const outputs = z.object({
    configFile: z.string().describe("The managed vhost file on the host."),
    includeDir: z.string().describe("Directory of the mounts attached to this vhost."),
    configSha256: z.string().describe("SHA-256 of the vhost file (live after refresh)."),
    tlsSha256: z.string().describe("SHA-256 of the certificate and key files (live after refresh; empty without TLS)."),
    fileModes: fileModes(),
    enabled: z
        .boolean()
        .optional()
        .describe(
            "Whether sites-enabled links the vhost's file (live after refresh: false after `a2dissite` or a link " +
                "pointing elsewhere, which is drift that up repairs by linking it again).",
        ),
});

export type VirtualHostInputs = z.infer<typeof inputs>;
export type VirtualHostState = VirtualHostInputs & z.infer<typeof outputs>;

/** The port the vhost answers on: 443 with TLS, else 80, unless set. */
export const portOf = (i: VirtualHostInputs) => i.port ?? (i.tls ? 443 : 80);

/**
 * Refuses TLS material Apache's configtest would pass but its reload would die on: a certificate or key
 * OpenSSL cannot read, or a key that is not the certificate's. Errors never quote the key.
 */
export function checkTls(t: NonNullable<VirtualHostInputs["tls"]>): void {
    // OpenSSL's reasons are library text; anything base64-like is cut out all the same.
    const why = (e: unknown) => ((e as Error).message || "unknown error").replace(/[A-Za-z0-9+/=]{16,}/g, "…");
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(t.certificate);
    } catch (e) {
        throw new Error(`VirtualHost.tls: the certificate cannot be read (${why(e)})`, { cause: e });
    }
    // An encrypted key would make Apache ask for a passphrase at every start.
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4,ENCRYPTED/.test(t.privateKey))
        throw new Error("VirtualHost.tls: the private key is encrypted; Apache needs it without a passphrase");
    let key: ReturnType<typeof createPrivateKey>;
    try {
        key = createPrivateKey({ key: t.privateKey, format: "pem" });
    } catch (e) {
        // No cause: nothing of the key's parsing travels with the error (it is logged).
        // eslint-disable-next-line preserve-caught-error
        throw new Error(`VirtualHost.tls: the private key cannot be read (${why(e)})`);
    }
    if (!cert.checkPrivateKey(key)) {
        const subject = cert.subject.replace(/\n/g, ", ");
        throw new Error(
            `VirtualHost.tls: the private key does not match the certificate (subject ${subject}, ` +
                `${cert.publicKey.asymmetricKeyType} public key; the private key is another ` +
                `${key.asymmetricKeyType} key): Apache would fail at reload`,
        );
    }
}

/** Defaults that depend on other inputs, made concrete at check so the diff compares like with like. */
export function normalize(i: VirtualHostInputs): VirtualHostInputs {
    if (i.tls) checkTls(i.tls);
    return {
        ...i,
        port: portOf(i),
        errorLog: i.errorLog ?? vhostErrorLog(i.name),
        accessLog: i.accessLog ?? vhostAccessLog(i.name),
    };
}
