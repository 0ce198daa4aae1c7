// The SSH layer in-process against the sandbox hosts' real sshd: authentication methods, host key
// sources and policies, channel limits, reconnecting after a drop, and error texts without secrets.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAll, host, stats } from "../../provider/remote/ssh";
import { connectionSchema } from "../../provider/remote/connection";
import { acceptedLogins, hostFingerprint, sandboxHost, ssh, type SandboxHost } from "./harness";

let h2: SandboxHost;
let key: string;

const conn = (over: Record<string, unknown>) =>
    connectionSchema.parse({ host: h2.address, hostKey: h2.hostKey, privateKey: key, ...over });

beforeAll(() => {
    h2 = sandboxHost("h2");
    key = fs.readFileSync(h2.privateKeyFile, "utf8");
});

afterEach(() => closeAll());

describe("SSH pool against real sshd", () => {
    it("runs 24 commands in parallel on one connection, below sshd's MaxSessions", { timeout: 60_000 }, async () => {
        const h = host(conn({}));
        const before = { ...stats };
        const logins = acceptedLogins(h2);
        const out = await Promise.all(Array.from({ length: 24 }, (_, i) => h.exec(`echo ${i}`)));
        expect(out.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 24 }, (_, i) => String(i)));
        expect(stats.handshakes - before.handshakes).toBe(1);
        expect(acceptedLogins(h2) - logins).toBe(1);
    });

    it("reconnects by itself when the connection drops between commands", { timeout: 60_000 }, async () => {
        const h = host(conn({}));
        expect((await h.exec("true")).code).toBe(0);
        const before = { ...stats };
        // Kill every root session on the host but the one running this kill: our pooled connection dies.
        ssh(h2, 'for p in $(pgrep -f \'sshd: root@notty\'); do [ "$p" = "$PPID" ] || kill "$p"; done');
        await new Promise((r) => setTimeout(r, 500));
        expect((await h.exec("echo back")).stdout).toBe("back\n");
        expect(stats.handshakes - before.handshakes).toBe(1);
        expect(stats.reconnects - before.reconnects).toBe(1);
    });

    it("authenticates with a password", { timeout: 60_000 }, async () => {
        const password = fs.readFileSync(h2.deploy.sudoPasswordFile, "utf8").trim();
        const h = host(conn({ user: "deploy", privateKey: undefined, password, sudoPassword: password }));
        expect((await h.exec("id -un")).stdout).toBe("root\n"); // through sudo
    });

    it("authenticates through ssh-agent", { timeout: 60_000 }, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-"));
        const sock = path.join(dir, "sock");
        const agent = execFileSync("ssh-agent", ["-a", sock]).toString();
        const pid = /SSH_AGENT_PID=(\d+)/.exec(agent)![1];
        const saved = process.env.SSH_AUTH_SOCK;
        try {
            execFileSync("ssh-add", [h2.privateKeyFile], {
                env: { ...process.env, SSH_AUTH_SOCK: sock },
                stdio: "ignore",
            });
            process.env.SSH_AUTH_SOCK = sock;
            const h = host(conn({ privateKey: undefined, agent: true }));
            expect((await h.exec("hostname")).stdout).toBe("h2\n");
        } finally {
            process.env.SSH_AUTH_SOCK = saved;
            process.kill(Number(pid));
        }
    });

    it(
        "verifies against a hashed known_hosts file, and refuses a host missing from it",
        { timeout: 60_000 },
        async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kh-"));
            const file = path.join(dir, "known_hosts");
            fs.writeFileSync(file, `${h2.address} ${h2.hostKey}\n`);
            execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
            expect((await host(conn({ hostKey: undefined, knownHostsFile: file })).exec("hostname")).stdout).toBe(
                "h2\n",
            );
            closeAll();
            const logins = acceptedLogins(h2);
            fs.writeFileSync(file, "");
            await expect(host(conn({ hostKey: undefined, knownHostsFile: file })).exec("hostname")).rejects.toThrow(
                `no known host key for ${h2.address}:22 (server offered ${hostFingerprint(h2)}): pin it with hostKey`,
            );
            expect(acceptedLogins(h2)).toBe(logins);
        },
    );

    it("accepts an unknown key only under hostKeyPolicy acceptAny", { timeout: 60_000 }, async () => {
        const h = host(conn({ hostKey: undefined, knownHostsFile: "/nonexistent", hostKeyPolicy: "acceptAny" }));
        expect((await h.exec("hostname")).stdout).toBe("h2\n");
    });

    it(
        "says what failed without the secret: wrong sudo password, wrong key passphrase",
        { timeout: 60_000 },
        async () => {
            const wrong = "not-the-password-Zq81";
            const deployKey = fs.readFileSync(h2.deploy.privateKeyFile, "utf8");
            const passphrase = fs.readFileSync(h2.deploy.passphraseFile, "utf8").trim();
            const sudo = host(
                conn({ user: "deploy", privateKey: deployKey, privateKeyPassphrase: passphrase, sudoPassword: wrong }),
            );
            const e1 = await sudo.exec("true").catch((e: Error) => e);
            expect(String(e1)).toMatch(/sudo on .* refused deploy's sudoPassword/);
            expect(String(e1)).not.toContain(wrong);
            closeAll();
            const badPass = host(conn({ user: "deploy", privateKey: deployKey, privateKeyPassphrase: wrong }));
            const e2 = await badPass.exec("true").catch((e: Error) => e);
            expect(String(e2)).toMatch(/SSH login to deploy@.* failed/);
            expect(String(e2)).not.toContain(wrong);
        },
    );

    it("a non-root user without sudoPassword is told to set it", { timeout: 60_000 }, async () => {
        const deployKey = fs.readFileSync(h2.deploy.privateKeyFile, "utf8");
        const passphrase = fs.readFileSync(h2.deploy.passphraseFile, "utf8").trim();
        const h = host(conn({ user: "deploy", privateKey: deployKey, privateKeyPassphrase: passphrase }));
        await expect(h.exec("true")).rejects.toThrow(/asks deploy for a password: set the provider's sudoPassword/);
    });
});
