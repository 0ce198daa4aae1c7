// How to reach a host: the provider's configuration (target, jump chain, credentials, host key policy),
// validated once, with the pool key derived from it and the host-key checks that use it.
import { z } from "zod";
import { declaredSecrets, secret } from "../zodwalk";
import { createHash, createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const hopFields = {
    host: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[A-Za-z0-9.:_-]+$/, "must be a host name or IP address")
        .describe("Address or name of the server."),
    port: z.number().int().min(1).max(65535).default(22).describe("SSH port."),
    user: z
        .string()
        .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, "must be a POSIX user name")
        .default("root")
        .describe("SSH user. A user other than root runs every command through sudo."),
    privateKey: secret(z.string().min(1)).optional().describe("Private key, PEM or OpenSSH format (secret)."),
    privateKeyPassphrase: secret(z.string().min(1))
        .optional()
        .describe("Passphrase of an encrypted privateKey (secret)."),
    password: secret(z.string().min(1)).optional().describe("Password authentication (secret)."),
    agent: z
        .boolean()
        .default(false)
        .describe("Authenticate with the ssh-agent at $SSH_AUTH_SOCK of the process running Pulumi."),
    hostKey: z
        .string()
        .min(1)
        .optional()
        .describe("Pinned host key: `ssh-ed25519 AAAA...` (a known_hosts or .pub line) or a `SHA256:...` fingerprint."),
    knownHostsFile: z
        .string()
        .min(1)
        .optional()
        .describe("known_hosts file to verify the host key with, when hostKey is not set. Default ~/.ssh/known_hosts."),
    hostKeyPolicy: z
        .enum(["verify", "acceptAny"])
        .default("verify")
        .describe(
            "`verify`: the host key must match hostKey or the known_hosts file. " +
                "`acceptAny`: accept any key (throw-away hosts only).",
        ),
};

const authRequired = (h: { privateKey?: string; password?: string; agent: boolean }) =>
    h.privateKey !== undefined || h.password !== undefined || h.agent;
const AUTH_MESSAGE = "set privateKey, password or agent: true (no way to authenticate)";

export const hopSchema = z
    .object(hopFields)
    .strict()
    .refine(authRequired, { message: AUTH_MESSAGE, path: ["privateKey"] })
    .meta({ id: "Hop", description: "One SSH hop: address, login and host key of a server." });

export const connectionSchema = z
    .object({
        ...hopFields,
        // Secret as a whole: a hop carries its key or password, and the SDKs encrypt only top-level secrets.
        jumpHosts: secret(z.array(hopSchema).max(8))
            .default([])
            .describe(
                "Bastions to go through, in order: the first is dialled directly, " +
                    "each next one (and finally `host`) through the previous (secret: hops carry keys).",
            ),
        sudoPassword: secret(z.string().min(1))
            .optional()
            .describe(
                "Password for sudo when user is not root (secret; fed on stdin, never on a command line). " +
                    "Unset: sudo must not ask (NOPASSWD).",
            ),
    })
    .strict()
    .refine(authRequired, { message: AUTH_MESSAGE, path: ["privateKey"] });

export type Hop = z.infer<typeof hopSchema>;
export type Connection = z.infer<typeof connectionSchema>;

/** Config properties declared secret (the credentials): always stored encrypted. */
export const connectionSecrets = declaredSecrets(connectionSchema);

/** Every hop from the first one dialled to the target. */
export function hops(c: Connection): Hop[] {
    return [...c.jumpHosts, c];
}

export const hopName = (h: Hop) => `${h.user}@${h.host}:${h.port}`;

export function poolKey(c: Connection): string {
    return hops(c).map(hopName).join(" -> ");
}

/** OpenSSH-style SHA256 fingerprint of a raw public key blob. */
export function fingerprint(blob: Buffer): string {
    return "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

/** The fingerprint a `hostKey` setting pins, whether given as a key line or a fingerprint. */
export function pinnedFingerprint(hostKey: string): string {
    const trimmed = hostKey.trim();
    if (trimmed.startsWith("SHA256:")) return trimmed.replace(/=+$/, "");
    const parts = trimmed.split(/\s+/);
    // `[host]:port ssh-ed25519 AAAA`, `ssh-ed25519 AAAA comment` or a bare base64 blob.
    const i = parts.findIndex((p) => /^(ssh-|ecdsa-|sk-)/.test(p));
    const b64 = i >= 0 ? parts[i + 1] : parts[0];
    return fingerprint(Buffer.from(b64 ?? "", "base64"));
}

/** The names a host is listed under in known_hosts: `host`, or `[host]:port` off port 22. */
function knownHostsNames(h: Hop): string[] {
    return h.port === 22 ? [h.host] : [`[${h.host}]:${h.port}`];
}

function matchesName(field: string, names: string[]): boolean {
    if (field.startsWith("|1|")) {
        // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
        const [, , salt, hash] = field.split("|");
        return names.some(
            (n) =>
                createHmac("sha1", Buffer.from(salt ?? "", "base64"))
                    .update(n)
                    .digest("base64") === hash,
        );
    }
    let hit = false;
    for (const p of field.split(",")) {
        const negated = p.startsWith("!");
        const glob = new RegExp(
            "^" +
                (negated ? p.slice(1) : p)
                    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                    .replace(/\*/g, ".*")
                    .replace(/\?/g, ".") +
                "$",
        );
        if (names.some((n) => glob.test(n))) {
            if (negated) return false;
            hit = true;
        }
    }
    return hit;
}

/**
 * Fingerprints known_hosts lists for this hop (hashed and plain entries), less the revoked ones;
 * @cert-authority lines are skipped.
 */
export function knownFingerprints(text: string, h: Hop): string[] {
    const names = knownHostsNames(h);
    const revoked = revokedFingerprints(text);
    const out: string[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith("@")) continue;
        const [hostsField, , key] = line.split(/\s+/);
        if (!hostsField || !key || !matchesName(hostsField, names)) continue;
        const fp = fingerprint(Buffer.from(key, "base64"));
        if (!revoked.includes(fp)) out.push(fp);
    }
    return out;
}

/** Fingerprints of the keys known_hosts marks `@revoked`, whatever their host pattern (as OpenSSH: never accepted). */
export function revokedFingerprints(text: string): string[] {
    const out: string[] = [];
    for (const raw of text.split("\n")) {
        const [marker, , , key] = raw.trim().split(/\s+/);
        if (marker === "@revoked" && key) out.push(fingerprint(Buffer.from(key, "base64")));
    }
    return out;
}

export function defaultKnownHosts(): string {
    return path.join(os.homedir(), ".ssh", "known_hosts");
}

/** What the host key of this hop must be, or "any" under the acceptAny policy. */
export function expectedFingerprints(h: Hop): string[] | "any" {
    if (h.hostKeyPolicy === "acceptAny") return "any";
    if (h.hostKey) return [pinnedFingerprint(h.hostKey)];
    return knownFingerprints(knownHostsText(h), h);
}

function knownHostsText(h: Hop): string {
    const file = h.knownHostsFile ?? defaultKnownHosts();
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** Why the host key `key` (a raw public key blob) offered by this hop is refused, or undefined when it is accepted. */
export function checkHostKey(h: Hop, key: Buffer): string | undefined {
    const expected = expectedFingerprints(h);
    if (expected === "any") return undefined;
    const actual = fingerprint(key);
    if (expected.includes(actual)) return undefined;
    const file = h.knownHostsFile ?? defaultKnownHosts();
    if (!h.hostKey && revokedFingerprints(knownHostsText(h)).includes(actual))
        return `host key ${actual} of ${h.host}:${h.port} is revoked (@revoked in ${file}); refusing it`;
    return expected.length === 0
        ? `no known host key for ${h.host}:${h.port} (server offered ${actual}): pin it with hostKey ` +
              `(ssh-keyscan -p ${h.port} ${h.host}) or add it to ${file}`
        : `host key mismatch for ${h.host}:${h.port}: expected ${expected.join(" or ")}, server offered ${actual}`;
}
