// Throwaway TLS material for unit tests: a fresh key (node:crypto) and a self-signed certificate for it
// (openssl, as test/e2e/harness.ts's selfSigned). Never used outside tests.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface TlsPair {
    certificate: string;
    privateKey: string;
}

/** A P-256 key (PKCS#8 PEM) and a certificate for `cn` signed by it, valid two days. */
export function throwawayTls(cn = "example.org"): TlsPair {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-unit-"));
    try {
        const keyPath = path.join(dir, "key.pem");
        fs.writeFileSync(keyPath, pem, { mode: 0o600 });
        const certificate = execFileSync(
            "openssl",
            ["req", "-x509", "-new", "-key", keyPath, "-days", "2", "-subj", `/CN=${cn}`],
            { stdio: ["ignore", "pipe", "ignore"] },
        ).toString();
        return { certificate, privateKey: pem };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
