// Pure: VirtualHost inputs <-> the managed vhost file, and the TLS files' text.
import { HEADER, directive, sha256, word } from "../../apache";
import { certFile, keyFile, vhostIncludeDir } from "../../layout";
import { portOf, type VirtualHostInputs } from "./schema";

type Tls = NonNullable<VirtualHostInputs["tls"]>;

/** The certificate file: the certificate, then the chain (Apache >= 2.4.8 reads the chain from there). */
export const certText = (t: Tls) => `${t.certificate.trim()}\n${t.chain ? `${t.chain.trim()}\n` : ""}`;
/** The key file (written root-only). */
export const keyText = (t: Tls) => `${t.privateKey.trim()}\n`;
/** SHA-256 of the certificate and key files as they are written; empty without TLS. */
export const tlsSha = (i: VirtualHostInputs) => (i.tls ? sha256(certText(i.tls) + keyText(i.tls)) : "");

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
        `    IncludeOptional ${word(vhostIncludeDir(i.name))}/*.conf`,
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

/** Inputs as the live file states them (TLS material aside: it is read as file hashes). */
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
