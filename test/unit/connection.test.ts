import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configSecrets, parseConfig } from "../../provider/config";
import {
    checkHostKey,
    expectedFingerprints,
    fingerprint,
    knownFingerprints,
    pinnedFingerprint,
    poolKey,
    type Hop,
} from "../../provider/remote/connection";

const blob = Buffer.from("example-key-blob");
const b64 = blob.toString("base64");
const fp = fingerprint(blob);
const hop = (over: Partial<Hop> = {}): Hop =>
    ({ host: "web1", port: 22, user: "root", agent: false, hostKeyPolicy: "verify", privateKey: "k", ...over }) as Hop;

describe("provider config", () => {
    it("requires a way to authenticate, naming the property", () => {
        const res = parseConfig({ host: "10.0.0.1", hostKey: "SHA256:x" });
        expect(res.success).toBe(false);
        expect(res.error!.issues[0]).toMatchObject({
            path: ["privateKey"],
            message: expect.stringMatching(/privateKey, password or agent/),
        });
        expect(parseConfig({ host: "h", password: "p" }).success).toBe(true);
        expect(parseConfig({ host: "h", agent: "true" }).success).toBe(true);
    });

    it("reads typed values from stack config strings (port, booleans, the jump chain as JSON)", () => {
        const res = parseConfig({
            host: "h",
            privateKey: "k",
            port: "2222",
            jumpHosts: '[{"host":"bastion","privateKey":"k2"}]',
        });
        expect(res.success).toBe(true);
        expect(res.data!.port).toBe(2222);
        expect(res.data!.jumpHosts).toEqual([
            expect.objectContaining({ host: "bastion", port: 22, user: "root", hostKeyPolicy: "verify" }),
        ]);
    });

    it("names the hop and property of a bad jump host", () => {
        const res = parseConfig({ host: "h", privateKey: "k", jumpHosts: [{ host: "bad host;", privateKey: "k" }] });
        expect(res.error!.issues[0].path).toEqual(["jumpHosts", 0, "host"]);
    });

    it("refuses an unknown host key policy", () => {
        expect(parseConfig({ host: "h", privateKey: "k", hostKeyPolicy: "yolo" }).success).toBe(false);
    });

    it("keeps credentials encrypted, and a jump chain too", () => {
        expect(configSecrets({ host: "h", privateKey: "k", password: "p" })).toEqual(["privateKey", "password"]);
        expect(configSecrets({ jumpHosts: '[{"host":"b","privateKey":"k"}]' })).toEqual(["jumpHosts"]);
        // Secret as a whole, whatever its hops carry: the SDKs encrypt it before it leaves the program anyway.
        expect(configSecrets({ jumpHosts: [{ host: "b", agent: true }] })).toEqual(["jumpHosts"]);
    });

    it("pools by the whole chain", () => {
        const c = parseConfig({
            host: "t",
            user: "deploy",
            privateKey: "k",
            jumpHosts: [{ host: "b", privateKey: "k" }],
        }).data!;
        expect(poolKey(c)).toBe("root@b:22 -> deploy@t:22");
    });
});

describe("host keys", () => {
    it("pins a key given as a .pub line, a known_hosts line or a fingerprint", () => {
        expect(pinnedFingerprint(`ssh-ed25519 ${b64} root@h1`)).toBe(fp);
        expect(pinnedFingerprint(`10.0.0.1 ssh-ed25519 ${b64}`)).toBe(fp);
        expect(pinnedFingerprint(fp)).toBe(fp);
        expect(expectedFingerprints(hop({ hostKey: `ssh-ed25519 ${b64}` }))).toEqual([fp]);
    });

    it("accepts any key only under the explicit acceptAny policy", () => {
        expect(expectedFingerprints(hop({ hostKeyPolicy: "acceptAny" }))).toBe("any");
        expect(expectedFingerprints(hop({ knownHostsFile: "/nonexistent" }))).toEqual([]);
    });

    it("reads known_hosts: plain names, [host]:port, wildcards, negation, comments and markers", () => {
        const other = fingerprint(Buffer.from("other"));
        const text = [
            "# comment",
            `web1,10.0.0.1 ssh-ed25519 ${b64}`,
            `[web1]:2222 ssh-ed25519 ${Buffer.from("other").toString("base64")}`,
            `@revoked web1 ssh-ed25519 ${Buffer.from("revoked").toString("base64")}`,
            `*.example.org,!bad.example.org ssh-ed25519 ${b64}`,
        ].join("\n");
        expect(knownFingerprints(text, hop())).toEqual([fp]);
        expect(knownFingerprints(text, hop({ port: 2222 }))).toEqual([other]);
        expect(knownFingerprints(text, hop({ host: "a.example.org" }))).toEqual([fp]);
        expect(knownFingerprints(text, hop({ host: "bad.example.org" }))).toEqual([]);
    });

    it("reads entries hashed by ssh-keygen -H", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-"));
        const file = path.join(dir, "known_hosts");
        fs.writeFileSync(file, `web1 ssh-ed25519 ${b64}\n[web1]:2222 ssh-ed25519 ${b64}\n`);
        execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
        const text = fs.readFileSync(file, "utf8");
        expect(text).not.toContain("web1");
        expect(knownFingerprints(text, hop())).toEqual([fp]);
        expect(knownFingerprints(text, hop({ port: 2222 }))).toEqual([fp]);
        expect(knownFingerprints(text, hop({ host: "web2" }))).toEqual([]);
    });

    it("refuses a key marked @revoked (for any host pattern), even when a plain line lists it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-"));
        const file = path.join(dir, "known_hosts");
        const good = Buffer.from("good-key-blob");
        fs.writeFileSync(
            file,
            [
                `web1 ssh-ed25519 ${b64}`,
                `web1 ssh-ed25519 ${good.toString("base64")}`,
                // Revoked under another name: OpenSSH refuses the key for every host.
                `@revoked old.example.org ssh-ed25519 ${b64}`,
                "",
            ].join("\n"),
        );
        const h = hop({ knownHostsFile: file });
        expect(expectedFingerprints(h)).toEqual([fingerprint(good)]);
        expect(checkHostKey(h, blob)).toContain(`host key ${fp} of web1:22 is revoked (@revoked in ${file})`);
        expect(checkHostKey(h, good)).toBeUndefined();
        // A hashed @revoked line counts the same.
        fs.writeFileSync(file, `web1 ssh-ed25519 ${b64}\n@revoked |1|c2FsdA==|aGFzaA== ssh-ed25519 ${b64}\n`);
        expect(checkHostKey(h, blob)).toMatch(/is revoked/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("says why a key is refused: unknown, or different from the listed ones", () => {
        const h = hop({ knownHostsFile: "/nonexistent" });
        expect(checkHostKey(h, blob)).toMatch(/^no known host key for web1:22 \(server offered SHA256:/);
        expect(checkHostKey(hop({ hostKey: fp }), Buffer.from("x"))).toMatch(/^host key mismatch for web1:22: /);
        expect(checkHostKey(hop({ hostKey: fp }), Buffer.from("x"))).toContain(`expected ${fp}, server offered`);
        expect(checkHostKey(hop({ hostKey: fp }), blob)).toBeUndefined();
        expect(checkHostKey(hop({ hostKeyPolicy: "acceptAny" }), blob)).toBeUndefined();
    });
});
