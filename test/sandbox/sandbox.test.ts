// The sandbox tool itself: hosts come up reachable and isolated, `up` is idempotent, `down` leaves
// nothing behind, and non-root users get a clear refusal.
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
        state: fs.existsSync("/run/modwsgi-sandbox"),
    };
}
const NOTHING = { netns: "", links: "", nft: "", processes: "", state: false };

describe("sandbox hosts", () => {
    it("down leaves no namespace, link, nft table, process or state behind", { timeout: STEP }, () => {
        sandbox("down");
        expect(leftovers()).toEqual(NOTHING);
    });

    it("up 2 starts two hosts, each its own hostname, PID 1 sshd, Apache, verified host key", { timeout: STEP }, () => {
        sandbox("up", "2");
        const hosts = JSON.parse(sandbox("status", "--json")) as { name: string; address: string; running: boolean }[];
        expect(hosts.map((h) => [h.name, h.running])).toEqual([
            ["h1", true],
            ["h2", true],
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

    it("a host reaches the package index through the sandbox's NAT (pip works inside)", { timeout: STEP }, () => {
        const out = sandbox(
            "ssh",
            "h2",
            "python3 -m venv /tmp/v && /tmp/v/bin/pip download -q --no-deps -d /tmp/d six==1.16.0 && ls /tmp/d",
        );
        expect(out).toMatch(/^six-1\.16\.0-py2\.py3-none-any\.whl$/m);
    });

    it("down again cleans up completely", { timeout: STEP }, () => {
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
