// How to reach a host: the provider's configuration, validated once, with the pool key derived from it.
import { z } from "zod";
import { createHash } from "node:crypto";

export const connectionSchema = z
    .object({
        host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:_-]+$/, "must be a host name or IP address").describe(
            "Address or name of the server to manage over SSH."),
        port: z.number().int().min(1).max(65535).default(22).describe("SSH port."),
        user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, "must be a POSIX user name").default("root").describe(
            "SSH user. The skeleton requires root; sudo support comes later."),
        privateKey: z.string().min(1).describe("PEM/OpenSSH private key (secret). Never stored in plain text."),
        hostKey: z.string().optional().describe(
            "Pinned host key: `ssh-ed25519 AAAA...` (as in known_hosts or .pub files) or `SHA256:...` fingerprint."),
        insecureSkipHostKeyCheck: z.boolean().default(false).describe(
            "Accept any host key. Off by default; only for throw-away hosts."),
    })
    .strict()
    .refine((c) => c.hostKey !== undefined || c.insecureSkipHostKeyCheck, {
        message: "hostKey is required: pin the server's key (ssh-keyscan -t ed25519 HOST) or set insecureSkipHostKeyCheck",
        path: ["hostKey"],
    });

export type Connection = z.infer<typeof connectionSchema>;

export const connectionSecrets = ["privateKey"] as const;

export function poolKey(c: Connection): string {
    return `${c.user}@${c.host}:${c.port}#${c.hostKey ?? "*"}`;
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
    const b64 = parts.length >= 2 ? parts[1] : parts[0];
    return fingerprint(Buffer.from(b64, "base64"));
}
