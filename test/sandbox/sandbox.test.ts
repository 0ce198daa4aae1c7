// The sandbox tool itself: hosts come up reachable and isolated, `up` is idempotent, a host boots systemd as
// its PID 1 on request, `down` leaves nothing behind, and non-root users get a clear refusal.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const SANDBOX = path.resolve(__dirname, "sandbox.sh");
const STEP = 10 * 60_000;

function sandbox(...args: string[]) {
    const r = spawnSync(SANDBOX, args, { encoding: "utf8", timeout: STEP });
    if (r.status !== 0) throw new Error(`sandbox.sh ${args.join(" ")}: exit ${r.status}\n${r.stderr}`);
    return r.stdout;
}

const sh = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" }).stdout.trim();

/** Everything `up` creates on this machine, as one comparable snapshot. */
function leftovers() {
    return {
        netns: sh("ip netns list | grep -o '^mws-h[0-9]*' || true"),
        links: sh("ip -o link show | grep -oE 'veth-h[0-9]+|mwsbr0' || true"),
        nft: sh("nft list tables 2>/dev/null | grep modwsgi_sandbox || true"),
        // The bracket keeps this sh's own command line from matching.
        processes: sh("pgrep -f '/run/modwsgi-sandbo[x]' || true"),
        // systemd hosts: their cgroups (in the cgroup v2 tree); any namespace still holding a mount under the state.
        cgroups: sh(
            "ls -d $(awk '$3 == \"cgroup2\" { print $2; exit }' /proc/self/mounts)/modwsgi-sandbox-* 2>/dev/null || true",
        ),
        mounts: sh("grep -c /run/modwsgi-sandbox/ /proc/*/mounts 2>/dev/null | grep -v ':0$' || true"),
        state: fs.existsSync("/run/modwsgi-sandbox"),
    };
}
const NOTHING = { netns: "", links: "", nft: "", processes: "", cgroups: "", mounts: "", state: false };

interface Host {
    name: string;
    address: string;
    hostKey: string;
    running: boolean;
    init: string;
}
const status = () => JSON.parse(sandbox("status", "--json")) as Host[];

describe("sandbox hosts", () => {
    it("down leaves no namespace, link, nft table, process or state behind", { timeout: STEP }, () => {
        sandbox("down");
        expect(leftovers()).toEqual(NOTHING);
    });

    it("up 2 starts two hosts, each its own hostname, PID 1 sshd, Apache, verified host key", { timeout: STEP }, () => {
        sandbox("up", "2");
        const hosts = status();
        expect(hosts.map((h) => [h.name, h.running, h.init])).toEqual([
            ["h1", true, "sshd"],
            ["h2", true, "sshd"],
        ]);
        expect(new Set(hosts.map((h) => h.address)).size).toBe(2);
        for (const h of hosts) {
            const out = sandbox(
                "ssh",
                h.name,
                "hostname; readlink /proc/1/exe; curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/",
            );
            const [hostname, pid1, http] = out.trim().split("\n");
            expect(hostname).toBe(h.name);
            expect(pid1).toBe("/usr/sbin/sshd");
            expect(http).toBe("200");
        }
    });

    it("up again is idempotent: the same sshd keeps running", { timeout: STEP }, () => {
        const before = fs.readFileSync("/run/modwsgi-sandbox/h1/pid", "utf8");
        sandbox("up", "2");
        expect(fs.readFileSync("/run/modwsgi-sandbox/h1/pid", "utf8")).toBe(before);
    });

    it("a host made fresh right after SSH traffic keeps its MAC and answers again at once", { timeout: STEP }, () => {
        const mac = () => sh("ip -n mws-h1 -o link show eth0 | grep -o 'link/ether [0-9a-f:]*'");
        expect(mac()).toBe("link/ether 02:6d:77:00:00:01");
        // This machine's ARP entry for h1 is now "reachable" for 15-45 s. With a new random MAC, a host made fresh
        // after such traffic could not be reached in the bench for ~30 s, while the entry named the old MAC; this
        // short sequence did not always show that wait, so the MAC is what is checked (the time is a bound).
        sandbox("ssh", "h1", "true");
        sandbox("down-one", "1");
        const t0 = Date.now();
        sandbox("up-one", "1");
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(mac()).toBe("link/ether 02:6d:77:00:00:01");
        expect(sandbox("ssh", "h1", "hostname").trim()).toBe("h1");
    });

    it("a host reaches the package index through the sandbox's NAT (pip works inside)", { timeout: STEP }, () => {
        const out = sandbox(
            "ssh",
            "h2",
            "python3 -m venv /tmp/v && /tmp/v/bin/pip download -q --no-deps -d /tmp/d six==1.16.0 && ls /tmp/d",
        );
        expect(out).toMatch(/^six-1\.16\.0-py2\.py3-none-any\.whl$/m);
    });

    it(
        "up-systemd 10 boots systemd as PID 1: apache2.service and ssh.service active, the pinned host key",
        { timeout: STEP },
        () => {
            sandbox("up-systemd", "10");
            const h = status().find((x) => x.name === "h10");
            expect(h && [h.address, h.running, h.init]).toEqual(["10.219.73.20", true, "systemd"]);
            // sshd offers exactly the key status pins (sandbox.sh ssh then logs in with StrictHostKeyChecking).
            const offered = sh(`ssh-keyscan -T 5 -t ed25519 ${h!.address} 2>/dev/null | cut -d' ' -f2,3`);
            expect(offered).toBe(h!.hostKey);
            const out = sandbox(
                "ssh",
                "h10",
                [
                    "hostname",
                    "readlink /proc/1/exe",
                    "systemd-detect-virt",
                    "systemctl is-system-running",
                    "systemctl is-active apache2 ssh | paste -sd ' '",
                    "test -d /run/systemd/system && echo has-systemd",
                    "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/",
                ].join("; "),
            );
            const [hostname, pid1, virt, state, units, marker, http] = out.trim().split("\n");
            expect([hostname, pid1, virt]).toEqual(["h10", "/usr/lib/systemd/systemd", "container-other"]);
            expect(state).toMatch(/^(running|degraded)$/);
            expect([units, marker, http]).toEqual(["active active", "has-systemd", "200"]);
            // Its processes live in its own cgroup, which down must remove.
            expect(leftovers().cgroups).toMatch(/modwsgi-sandbox-h10$/);
            // Idempotent like up: the same PID 1 keeps running.
            const before = fs.readFileSync("/run/modwsgi-sandbox/h10/pid", "utf8");
            sandbox("up-systemd", "10");
            expect(fs.readFileSync("/run/modwsgi-sandbox/h10/pid", "utf8")).toBe(before);
        },
    );

    it("down again cleans up completely (the systemd host too)", { timeout: STEP }, () => {
        sandbox("down");
        expect(leftovers()).toEqual(NOTHING);
    });

    it("refuses to run as a non-root user, saying why", () => {
        const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", SANDBOX, "up", "1"], {
            encoding: "utf8",
        });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/must run as root/);
        expect(execFileSync("id", ["-u"]).toString().trim()).toBe("0");
    });
});
