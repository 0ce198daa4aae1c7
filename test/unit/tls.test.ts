// VirtualHost.tls at preview: a certificate and a key that Apache's configtest accepts but that do not belong
// together would take Apache down at reload. They are parsed and paired before anything reaches a host.
import { describe, expect, it } from "vitest";
import { createPrivateKey } from "node:crypto";
import { checkInputs } from "../../provider/resource";
import { virtualHost } from "../../provider/resources/virtualHost";
import { throwawayTls } from "../tlsMaterial";

const pair = throwawayTls("example.org");
const other = throwawayTls("other.example.org");
const check = (tls: object) => checkInputs(virtualHost, { name: "s", serverName: "a.org", tls });
/** The base64 body of a PEM, on one line: no part of it may appear in an error. */
const body = (pem: string) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
const chunks = (pem: string) => (body(pem).length < 32 ? [body(pem)] : body(pem).match(/.{16}/g)!);

describe("VirtualHost.tls certificate and key", () => {
    it("accepts a certificate with its own key", () => {
        const { failures, inputs } = check(pair);
        expect(failures).toEqual([]);
        expect(inputs).toMatchObject({ port: 443, tls: pair });
    });

    it("refuses a key that is not the certificate's, naming tls and the reason, without the key", () => {
        const { failures } = check({ certificate: pair.certificate, privateKey: other.privateKey });
        expect(failures).toEqual([
            {
                property: "tls",
                reason: expect.stringMatching(/^VirtualHost\.tls: the private key does not match the certificate/),
            },
        ]);
        for (const key of [other.privateKey, pair.privateKey])
            for (const c of chunks(key)) expect(failures[0].reason).not.toContain(c);
    });

    it.each([
        [
            "a certificate that is not one",
            () => ({ certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }),
            /^VirtualHost\.tls: the certificate cannot be read/,
        ],
        [
            "a key that is not one",
            () => ({ privateKey: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n" }),
            /^VirtualHost\.tls: the private key cannot be read/,
        ],
        [
            "a key whose body is damaged",
            () => ({ privateKey: pair.privateKey.replace(/\n(.{8})/, "\n$1AAAA") }),
            /^VirtualHost\.tls: the private key cannot be read/,
        ],
        [
            "an encrypted key",
            () => ({
                privateKey: createPrivateKey(pair.privateKey)
                    .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "throwaway" })
                    .toString(),
            }),
            /^VirtualHost\.tls: the private key is encrypted; Apache needs it without a passphrase$/,
        ],
    ])("refuses %s, naming tls, without key bytes", (_what, change, reason) => {
        const tls = { ...pair, ...change() };
        const { failures } = check(tls);
        expect(failures).toEqual([{ property: "tls", reason: expect.stringMatching(reason) }]);
        for (const c of chunks(tls.privateKey)) expect(failures[0].reason).not.toContain(c);
    });
});
