// The SSH layer against real sshd: one handshake per host however many resources, host keys verified
// before anything runs, a two-hop jump chain, a non-root sudo user, and secrets that never leak.
// Its own hosts (h29-h31, and h5 behind h29, h6 behind h5): it counts logins, so no other file may use them.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, Stack, acceptedLogins, destroyStacks, get, hostFingerprint, sandboxHost, ssh } from "./harness";

const STEP = 15 * 60_000;
const QUICKSTART = path.join(REPO, "examples/flask-hello");

function hostRun(h: ReturnType<typeof sandboxHost>, command: string): string {
    const r = ssh(h, command);
    if (r.code !== 0) throw new Error(`ssh ${h.name} ${command}: exit ${r.code}\n${r.stderr}`);
    return r.stdout;
}

afterAll(destroyStacks);

describe("SSH: pooled, verified, chained, sudo, secret-safe", () => {
    it(
        "3 hosts x 10 resources: exactly one SSH handshake per host for up, and again for preview --refresh",
        { timeout: STEP },
        async () => {
            const hosts = ["h29", "h30", "h31"].map(sandboxHost);
            const s = new Stack("fleet", path.join(REPO, "examples/fleet"), { refresh: false });
            s.config(
                "hosts",
                JSON.stringify(hosts.map((h) => ({ name: h.name, address: h.address, hostKey: h.hostKey }))),
            );
            s.config("privateKeyFile", hosts[0].privateKeyFile);

            let before = hosts.map(acceptedLogins);
            const out = s.up();
            expect(out).toMatch(/\+ 34 created/); // stack + 3 providers + 30 resources
            expect(hosts.map(acceptedLogins).map((n, i) => n - before[i])).toEqual([1, 1, 1]);

            before = hosts.map(acceptedLogins);
            s.run(["preview", "--refresh", "--expect-no-changes"]);
            expect(hosts.map(acceptedLogins).map((n, i) => n - before[i])).toEqual([1, 1, 1]);

            const urls = JSON.parse(s.run(["stack", "output", "urls", "--json"])) as string[][];
            for (const u of urls.flat()) expect((await get(u)).status, u).toBe(200);
            // The fleet owns each host's module: gone now, so the next stacks on these hosts may declare theirs.
            s.run(["destroy", "--yes", "--skip-preview"]);
        },
    );

    it("a wrong pinned host key fails before any command runs, naming both fingerprints", { timeout: STEP }, () => {
        const [h1, h2] = [sandboxHost("h29"), sandboxHost("h30")];
        const s = new Stack("wrongkey", QUICKSTART);
        s.config("host", h2.address);
        s.config("hostKey", h1.hostKey);
        const before = acceptedLogins(h2);
        const out = s.run(["up", "--yes", "--skip-preview"], "fail");
        expect(out).toContain(
            `host key mismatch for ${h2.address}:22: expected ${hostFingerprint(h1)}, server offered ${hostFingerprint(h2)}`,
        );
        expect(acceptedLogins(h2)).toBe(before);
    });

    it("deploys through a 2-hop jump chain to a host only the last bastion can reach", { timeout: STEP }, () => {
        const [h1, h5, h6] = ["h29", "h5", "h6"].map(sandboxHost);
        expect([h5.via, h6.via]).toEqual(["h29", "h5"]);
        // This machine has no route of its own into h6's subnet (checked without sending a packet).
        expect(execFileSync("ip", ["route", "get", h6.address]).toString()).not.toMatch(/mwsbr0|veth-h/);
        const s = new Stack("jump", QUICKSTART);
        s.config("host", h6.address);
        s.config("hostKey", h6.hostKey);
        s.config(
            "jumpHosts",
            JSON.stringify(
                [h1, h5].map((h) => ({ host: h.address, hostKey: h.hostKey, privateKeyFile: h.privateKeyFile })),
            ),
        );
        const before = [h1, h5, h6].map(acceptedLogins);
        s.up();
        expect([h1, h5, h6].map(acceptedLogins).map((n, i) => n - before[i])).toEqual([1, 1, 1]);
        expect(hostRun(h6, "curl -s http://127.0.0.1/hello/")).toMatch(
            /^Hello from Flask, served by mod_wsgi\/6\.1\.1/,
        );
        s.run(["destroy", "--yes", "--skip-preview"]);
        expect(ssh(h6, "test -e /etc/apache2/modwsgi.d/28-app-hello.conf").code).not.toBe(0);
    });

    it(
        "a sudo user with a passphrase key deploys; managed files are root-owned; no secret leaks to state, -v=9 logs or ps",
        { timeout: STEP },
        async () => {
            const h3 = sandboxHost("h31");
            const passphrase = fs.readFileSync(h3.deploy.passphraseFile, "utf8").trim();
            const sudoPassword = fs.readFileSync(h3.deploy.sudoPasswordFile, "utf8").trim();
            const greeting = `Greeting-${randomBytes(12).toString("hex")}`;
            const secrets = { passphrase, sudoPassword, greeting };

            const s = new Stack("sudo", QUICKSTART);
            s.config("host", h3.address);
            s.config("hostKey", h3.hostKey);
            s.config("sshUser", h3.deploy.user);
            s.config("privateKeyFile", h3.deploy.privateKeyFile);
            s.configSecret("privateKeyPassphrase", passphrase);
            s.configSecret("sudoPassword", sudoPassword);
            s.configSecret("greeting", greeting);

            // Every process on this machine (the sandbox hosts' included: their PID namespaces are children of ours).
            const seen = new Set<string>();
            let sampling = true;
            const sampler = (async () => {
                while (sampling) {
                    for (const line of execFileSync("ps", ["-eo", "args"]).toString().split("\n")) seen.add(line);
                    await new Promise((r) => setTimeout(r, 50));
                }
            })();
            const logs: string[] = [];
            try {
                for (const args of [
                    ["up", "--yes", "--skip-preview"],
                    ["preview", "--refresh", "--expect-no-changes"],
                ]) {
                    const r = await s.runAsync([...args, "-v=9", "--logtostderr", "--logflow"]);
                    logs.push(r.out);
                    expect(r.code, r.out.slice(-3000)).toBe(0);
                }
            } finally {
                sampling = false;
                await sampler;
            }

            // The secret environment value reached the app (and only through env.json).
            expect((await get(s.output("url"))).body).toMatch(
                new RegExp(`^${greeting} from Flask, served by mod_wsgi/6\\.1\\.1`),
            );
            const owners = hostRun(
                h3,
                [
                    "stat -c '%U:%G %a %n' /etc/apache2/modwsgi.d/10-daemon-hello.conf /etc/apache2/modwsgi.d/28-app-hello.conf",
                    "/etc/apache2/mods-available/modwsgi.load /etc/apache2/mods-available/modwsgi.conf",
                    "/srv/modwsgi/hello /srv/modwsgi/hello/wsgi.py /srv/modwsgi/hello/env.json /srv/modwsgi/hello/current/",
                    "/opt/modwsgi/envs/hello",
                ].join(" "),
            )
                .trim()
                .split("\n");
            expect(owners).toEqual([
                "root:root 644 /etc/apache2/modwsgi.d/10-daemon-hello.conf",
                "root:root 644 /etc/apache2/modwsgi.d/28-app-hello.conf",
                "root:root 644 /etc/apache2/mods-available/modwsgi.load",
                "root:root 644 /etc/apache2/mods-available/modwsgi.conf",
                "root:root 755 /srv/modwsgi/hello",
                "root:root 644 /srv/modwsgi/hello/wsgi.py",
                "www-data:root 400 /srv/modwsgi/hello/env.json",
                expect.stringMatching(/^root:root 755 \/srv\/modwsgi\/hello\/current\/$/),
                "root:root 755 /opt/modwsgi/envs/hello",
            ]);
            // The deploy user logged in; nothing it owns was left among the managed files.
            expect(hostRun(h3, "find /etc/apache2 /srv/modwsgi /opt/modwsgi -user deploy | wc -l").trim()).toBe("0");

            logs.push(s.run(["destroy", "--yes", "--skip-preview", "-v=9", "--logtostderr", "--logflow"]));
            const state = s.run(["stack", "export"]);
            for (const [name, value] of Object.entries(secrets)) {
                expect(state.includes(value), `${name} in the exported state`).toBe(false);
                expect(
                    logs.some((l) => l.includes(value)),
                    `${name} in the CLI output with -v=9 logs`,
                ).toBe(false);
                expect(
                    [...seen].some((l) => l.includes(value)),
                    `${name} in a ps snapshot`,
                ).toBe(false);
            }
            expect(seen.size).toBeGreaterThan(50); // the sampler really ran
            expect(logs.join("").length).toBeGreaterThan(100_000); // and -v=9 really logged,
            expect(logs.join("")).toContain("[secret]"); // with the secrets in its RPC traces redacted
        },
    );
});
