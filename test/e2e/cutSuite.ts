// Never lose a site (R4): the SSH connection cut at twelve points of an apply (and of a destroy). A watcher on
// this machine looks into the host's PID namespace and, the moment the operation under test shows up, kills
// sshd's session process there (or drops port 22 in the host's network namespace). Every cut must have fired
// (a missed cut counts as a failure, not as a point); the `up` fails; the host serves its last good config (or
// the new one where the detached operation finished by itself, as named per point); the host-side operation
// ends by itself; the next `up` converges, `preview --expect-no-changes` passes, and no operation directory,
// stage directory, held lock, half-written file or unmatched apply-log line remains, and Apache's config passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, httpsGet, sandboxHost, selfSigned, ssh, type SandboxHost } from "./harness";
import {
    APPLY_LOG,
    ENV_ROOT,
    HOST_LOCK,
    MODULE_ROOT,
    OPS_DIR,
    STAGE_ROOT,
    TLS_DIR,
    daemonFile,
} from "../../provider/layout";

/** The sandbox host under test (cutSuite sets it; each test file runs in a module of its own). */
let HOST = "";
const POINT = 6 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NFT_TABLE = "modwsgi_cut";

let h: SandboxHost;
let stack: Stack;
let src: string;
let url: string;
let tls: { dir: string; ca: string };
const SERVER_NAME = "cut.example.org";

/** A shell condition the watcher polls, true once a process matching the regex runs in the host. */
const running = (regex: string) => `running '${regex}'`;

interface Watcher {
    /** Resolves when the watcher has cut. */
    fired: Promise<void>;
    /** Ends the watcher; resolves true when it cut the connection, false when the operation never showed. */
    stop(): Promise<boolean>;
}

/**
 * Watches the host from this machine (its PID namespace and filesystem through /proc) until `cond` holds, then
 * cuts: `kill` kills every sshd session process in the host (the provider's pooled connection dies at once);
 * `drop` drops port 22 in the host's network namespace (only the provider's keepalive notices).
 */
function watch(cond: string, how: "kill" | "drop"): Watcher {
    const script = `set -u
ns=$(pgrep -P "$(cat /run/modwsgi-sandbox/$H/pid)" | head -n 1)
[ -n "$ns" ] || { echo "no sshd of $H" >&2; exit 2; }
root=/proc/$ns/root
running() { pgrep --ns "$ns" --nslist pid -f "$1" >/dev/null; }
until eval "$COND"; do sleep 0.02; done
# The cut first, then the slowed link lifted: lifted first, the queued rest of an upload would land before the cut.
if [ "$HOW" = kill ]; then
    pkill --ns "$ns" --nslist pid -KILL -f '^sshd: [a-z_][a-z0-9_-]*@notty' || { echo "no session to kill" >&2; exit 3; }
else
    ip netns exec "mws-$H" nft -f - <<NFT || exit 3
table inet ${NFT_TABLE} {
    chain in { type filter hook input priority -10; policy accept; tcp dport 22 drop; }
    chain out { type filter hook output priority -10; policy accept; tcp sport 22 drop; }
}
NFT
fi
tc qdisc del dev "veth-$H" root 2>/dev/null || true
echo fired`;
    const child = spawn("timeout", ["600", "sh", "-c", script], {
        env: { ...process.env, H: HOST, COND: cond, HOW: how },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const done = new Promise<void>((r) => child.on("close", () => r()));
    const fired = new Promise<void>((r) => child.stdout.on("data", () => out.includes("fired") && r()));
    return {
        fired,
        async stop() {
            // A cut ends the up within a second or two; the watcher has printed by then if it fired.
            await Promise.race([done, sleep(3000)]);
            if (child.exitCode === null) child.kill("SIGTERM");
            await done;
            if (out.trim() !== "fired") console.log(`watcher: ${out.trim() || "did not fire"}`);
            return out.trim() === "fired";
        },
    };
}

/** Slows traffic to the host (the watcher lifts it when it cuts): an upload, a staging, takes seconds. */
function throttle(on: boolean, rate = "128kbit") {
    const args = on
        ? ["qdisc", "replace", "dev", `veth-${HOST}`, "root", "tbf", "rate", rate, "burst", "1600", "latency", "10s"]
        : ["qdisc", "del", "dev", `veth-${HOST}`, "root"];
    const r = spawnSync("tc", args, { encoding: "utf8" });
    if (on && r.status !== 0) throw new Error(`tc ${args.join(" ")}: ${r.stderr}`);
}

/**
 * A slow apache2ctl on the host (first in lib.sh's PATH): the real one answers in ~20 ms, too quick to cut in. The
 * probe's -V, the configtest and the start after a stop wait 1.5 s first; a graceful restart waits 1.5 s after
 * signalling Apache, while it re-reads its config.
 */
const SLOW_APACHE = `#!/bin/sh
case "$*" in -V | -t | start) sleep 1.5 ;; esac
/usr/sbin/apache2ctl "$@"
rc=$?
[ "$1" != graceful ] || sleep 1.5
exit $rc
`;

function slowApache(on: boolean) {
    const cmd = on
        ? `cat >/usr/local/sbin/apache2ctl <<'EOF'\n${SLOW_APACHE}EOF\nchmod 755 /usr/local/sbin/apache2ctl`
        : "rm -f /usr/local/sbin/apache2ctl";
    expect(ssh(h, cmd).code).toBe(0);
}

function undrop() {
    spawnSync("ip", ["netns", "exec", `mws-${HOST}`, "nft", "delete", "table", "inet", NFT_TABLE], {
        encoding: "utf8",
    });
}

/** Module builds besides the loaded one (a cut build waits for the next up to load it, or to be removed). */
const MODULES = `[ "$(ls -d ${MODULE_ROOT}/mod_wsgi-* 2>/dev/null | wc -l)" -le 1 ] || ls -d ${MODULE_ROOT}/mod_wsgi-* | sed 's/^/module build besides the loaded one: /'`;

/** Everything a cut could leave behind, one line each; "" when the host is clean. */
function debris(converged: boolean): string {
    const r = ssh(
        h,
        `ls -A ${OPS_DIR} 2>/dev/null | sed 's/^/ops dir: /'
ls -A ${STAGE_ROOT} 2>/dev/null | sed 's/^/stage dir: /'
flock -n ${HOST_LOCK} true || echo "lock: held"
[ ! -s ${HOST_LOCK} ] || echo "lock record: $(cat ${HOST_LOCK})"
pgrep -af '[/]run/modwsgi/ops/' | sed 's/^/operation still running: /'
find /etc/apache2 /etc/modwsgi /srv/modwsgi ${MODULE_ROOT} ${ENV_ROOT} \\( -name '*.modwsgi-*' -o -name '*.tmp' -o -name '*.new' -o -name '*.part' \\) 2>/dev/null | sed 's/^/half-written: /'
${converged ? MODULES : ""}
b=$(grep -c ' begin ' ${APPLY_LOG}) e=$(grep -c ' end ' ${APPLY_LOG}); [ "$b" = "$e" ] || echo "apply log: $b begin, $e end lines"
apache2ctl -t >/dev/null 2>&1 || echo "configtest: $(apache2ctl -t 2>&1 | tail -n 2)"`,
    );
    return (r.stdout + r.stderr).trim();
}

/** Waits (bounded) until the operation the cut left running has ended on the host: no op dir, lock free. */
async function hostOpsEnded(limitS = 300) {
    for (let i = 0; i < limitS; i++) {
        const r = ssh(h, `[ -z "$(ls -A ${OPS_DIR} 2>/dev/null)" ] && flock -n ${HOST_LOCK} true`);
        if (r.code === 0) return;
        await sleep(1000);
    }
    throw new Error(`the host-side operation did not end within ${limitS} s: ${debris(false)}`);
}

/** What the app answers: "<release> mod_wsgi/<version>", or the status when not 200 (tries a bounded while). */
async function answer(want = 200): Promise<string> {
    const r = await get(url, want, 40);
    return r.status === 200 ? r.body.trim() : `HTTP ${r.status}`;
}

function release(name: string, blobBytes = 0) {
    fs.writeFileSync(path.join(src, "release.txt"), `${name}\n`);
    fs.rmSync(path.join(src, "blob.bin"), { force: true });
    if (blobBytes) fs.writeFileSync(path.join(src, "blob.bin"), randomBytes(blobBytes));
}

interface Point {
    /** The change that starts the operation under test. */
    change: () => void;
    /** The watcher's condition (shell, may use `running REGEX` and `$root`, the host's filesystem). */
    cond: string;
    how?: "kill" | "drop";
    /** Slow the link to this rate, so an upload or a staging takes seconds (lifted at the cut). */
    slow?: string;
    /** Apache's control script slowed down on the host for this up (SLOW_APACHE). */
    slowApache?: boolean;
    /** The CLI command cut (default up). */
    command?: string[];
    /** What the host may serve after the cut (the last good config, or the new one where named). */
    servesAfterCut: string[];
    /** What it must serve once the next up converged. */
    servesAfter: string;
    /** Extra checks right after the cut, and after convergence. */
    afterCut?: () => void | Promise<void>;
    afterConverge?: () => void | Promise<void>;
    /** Runs two seconds after the cut fired, and again once the cut command has exited (so it must be idempotent). */
    afterFired?: () => void;
}

async function cutAt(p: Point): Promise<void> {
    p.change();
    if (p.slowApache) slowApache(true);
    const w = watch(p.cond, p.how ?? "kill");
    if (p.slow) throttle(true, p.slow);
    // A dropped link: lifted once the provider's keepalive (4 x 15 s) has given up on it, so it can reconnect.
    if (p.how === "drop") void w.fired.then(() => sleep(90_000)).then(undrop);
    if (p.afterFired) void w.fired.then(() => sleep(2000)).then(p.afterFired);
    const started = Date.now();
    let res: { code: number; out: string };
    try {
        res = await stack.runAsync(p.command ?? ["up", "--yes", "--skip-preview"]);
    } finally {
        if (p.slow) throttle(false);
    }
    const fired = await w.stop();
    p.afterFired?.();
    if (p.how === "drop") undrop();
    if (p.slowApache) slowApache(false);
    console.log(
        `cut ${fired ? "fired" : "MISSED"}; ${p.command?.[0] ?? "up"} exited ${res.code} after ${Date.now() - started} ms`,
    );
    expect(fired, `the cut must happen during the operation\n${res.out}`).toBe(true);
    expect(res.code, `the cut ${p.command?.[0] ?? "up"} must fail\n${res.out}`).not.toBe(0);
    expect(res.out, "it fails because of the cut").toMatch(/SSH connection (to \S+ )?was lost/);

    // Still serving: the previous config, or the new one when the detached operation finished it.
    expect(p.servesAfterCut).toContain(await answer(p.servesAfterCut[0].startsWith("HTTP") ? 404 : 200));
    await hostOpsEnded();
    // A module the cut build finished may wait for the next up to load it: only after that up is one too many.
    expect(debris(false), "nothing left behind by the cut operation").toBe("");
    await p.afterCut?.();

    stack.up();
    expect(await answer()).toBe(p.servesAfter);
    stack.run(["preview", "--expect-no-changes"]);
    expect(debris(true), "nothing left behind after the next up").toBe("");
    await p.afterConverge?.();
}

/** `n` distinct small certificates (EC P-256, made in milliseconds each), PEM, concatenated. */
function distinctCertificates(n: number): string {
    const pem: string[] = [];
    for (let i = 0; i < n; i++)
        pem.push(
            execFileSync(
                "openssl",
                [
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    `/CN=chain-${i}.example.org`,
                    "-keyout",
                    "/dev/null",
                ],
                { stdio: ["ignore", "pipe", "ignore"] },
            ).toString(),
        );
    return pem.join("");
}

/** Point 9's lock holder ends when this file appears on the host. */
const LOCK_RELEASE = "/run/modwsgi-cut-release-lock";

const threadsIn = () => ssh(h, `sed -n 's/.* threads=\\([0-9]*\\).*/\\1/p' ${daemonFile("cut")}`).stdout.trim();
const six = () => ssh(h, `${ENV_ROOT}/cut/bin/pip freeze 2>/dev/null | grep -i '^six=='`).stdout.trim();

/**
 * The cut points numbered in `points` (1-12, in order: each starts from where the one before left the site), on
 * `hostName`, from a first deploy of `start` (the release and the daemon's threads the earlier points would have
 * left). The twelve are split over two hosts (cut.test.ts, cut-2.test.ts) so they run side by side.
 */
export function cutSuite(hostName: string, points: number[], start: { release: string; threads?: string }) {
    HOST = hostName;
    beforeAll(async () => {
        h = sandboxHost(HOST);
        undrop();
        throttle(false);
        src = fs.mkdtempSync(path.join(os.tmpdir(), "cut-app-"));
        fs.cpSync(path.join(REPO, "test/e2e/programs/cut/app"), src, { recursive: true });
        release(start.release);
        tls = selfSigned(SERVER_NAME);
        stack = new Stack(`cut-${HOST}`, path.join(REPO, "test/e2e/programs/cut"));
        stack.configHost(h);
        stack.config("source", src);
        stack.configSite(SERVER_NAME, tls.dir);
        if (start.threads) stack.config("threads", start.threads);
        // Earlier runs' operations on this host: none may be running, and the apply log starts matched.
        await hostOpsEnded();
        stack.up();
        url = `http://${h.address}/cut/`;
        expect(await answer()).toBe(`${start.release} mod_wsgi/6.1.1`);
        expect(debris(true)).toBe("");
    }, POINT);

    afterAll(() => {
        undrop();
        throttle(false);
        ssh(h, "rm -f /usr/local/sbin/apache2ctl");
        destroyStacks();
    });

    /** Registers a point's test when its number (the title's) is one of this file's. */
    const point = (title: string, opts: { timeout: number }, fn: () => Promise<void>) => {
        if (points.includes(parseInt(title, 10))) it(title, opts, fn);
    };

    describe("the SSH connection cut mid-apply: the site survives, the next up converges, nothing is left", () => {
        point(
            "1. during the refresh's host probe (before anything changes): the old config stays exactly",
            { timeout: POINT },
            () =>
                cutAt({
                    change: () => stack.config("threads", "3"),
                    cond: running("apache2ctl -V$"),
                    slowApache: true,
                    servesAfterCut: ["r1 mod_wsgi/6.1.1"],
                    servesAfter: "r1 mod_wsgi/6.1.1",
                    afterCut: () => expect(threadsIn()).toBe("2"),
                    afterConverge: () => expect(threadsIn()).toBe("3"),
                }),
        );

        point("2. mid pip install into the PythonEnv's venv", { timeout: POINT }, () =>
            cutAt({
                change: () => stack.config("requirement", "six==1.17.0"),
                cond: running(`pip install .*-r ${STAGE_ROOT}/env-cut-`),
                servesAfterCut: ["r1 mod_wsgi/6.1.1"],
                servesAfter: "r1 mod_wsgi/6.1.1",
                // The install runs detached: it finishes on the host, so either version may be there now.
                afterCut: () => expect(["six==1.16.0", "six==1.17.0"]).toContain(six()),
                afterConverge: () => expect(six()).toBe("six==1.17.0"),
            }),
        );

        point("3. mid source upload (nothing deployed yet): the old release stays", { timeout: POINT }, () =>
            cutAt({
                change: () => release("r2", 96 * 1024),
                cond: running(`cat >.?${STAGE_ROOT}/app-cut-[0-9a-f]*/source[.]tgz[.]modwsgi-tmp`),
                slow: "128kbit",
                servesAfterCut: ["r1 mod_wsgi/6.1.1"],
                servesAfter: "r2 mod_wsgi/6.1.1",
            }),
        );

        point("4. mid deploy-app (the release unpacked and switched detached)", { timeout: POINT }, () =>
            cutAt({
                change: () => release("r3", 8 * 1024 * 1024),
                cond: running(`${OPS_DIR}/deploy-app-`),
                servesAfterCut: ["r2 mod_wsgi/6.1.1", "r3 mod_wsgi/6.1.1"],
                servesAfter: "r3 mod_wsgi/6.1.1",
            }),
        );

        point("5. between the config swap and the configtest", { timeout: POINT }, () =>
            cutAt({
                change: () => stack.config("threads", "4"),
                cond: running("apache2ctl -t$"),
                slowApache: true,
                // The transaction runs detached: it commits (or rolls back) by itself.
                servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                servesAfter: "r3 mod_wsgi/6.1.1",
                afterCut: () => expect(["3", "4"]).toContain(threadsIn()),
                afterConverge: () => expect(threadsIn()).toBe("4"),
            }),
        );

        point(
            "6. mid graceful reload, port 22 dropped (the provider's keepalive has to notice)",
            { timeout: POINT },
            () =>
                cutAt({
                    change: () => stack.config("threads", "5"),
                    cond: running("apache2ctl graceful$"),
                    slowApache: true,
                    how: "drop",
                    servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                    servesAfter: "r3 mod_wsgi/6.1.1",
                    afterCut: () => expect(["4", "5"]).toContain(threadsIn()),
                    afterConverge: () => expect(threadsIn()).toBe("5"),
                }),
        );

        point("7. mid module build: Apache keeps the module it loaded", { timeout: POINT }, () =>
            cutAt({
                change: () => stack.config("moduleVersion", "6.1.0"),
                cond: running("pip install .*mod_wsgi==6[.]1[.]0"),
                // The build finishes detached, but only the provider switches the LoadModule file: still 6.1.1.
                servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                servesAfter: "r3 mod_wsgi/6.1.0",
            }),
        );

        point("8. mid full restart (another module version)", { timeout: POINT }, () =>
            cutAt({
                change: () => stack.config("moduleVersion", "6.1.1"),
                // Apache stopped, not started again yet.
                cond: running("apache2ctl start$"),
                slowApache: true,
                // The restart finishes detached, or its transaction rolls back: either module answers.
                servesAfterCut: ["r3 mod_wsgi/6.1.0", "r3 mod_wsgi/6.1.1"],
                servesAfter: "r3 mod_wsgi/6.1.1",
            }),
        );

        point("9. while waiting for the host lock another process holds", { timeout: POINT }, () =>
            cutAt({
                change: () => {
                    // Held by hand from its own session on the host (the cut does not end it) until the cut has
                    // fired (afterFired), so the up finds it held however long its refresh takes; 120 s at most.
                    // Held on until the up exits, it costs those 120 s: the provider follows the detached
                    // transaction, which waits for the lock, before it reports the lost connection.
                    const holder =
                        `rm -f ${LOCK_RELEASE}; exec flock ${HOST_LOCK} timeout 120 ` +
                        `sh -c 'until [ -e ${LOCK_RELEASE} ]; do sleep 0.1; done'`;
                    expect(ssh(h, `setsid sh -c "${holder}" </dev/null >/dev/null 2>&1 &`).code).toBe(0);
                    stack.config("threads", "6");
                },
                cond: running("flock -w [0-9]+ 9"),
                afterFired: () => expect(ssh(h, `touch ${LOCK_RELEASE}`).code).toBe(0),
                servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                servesAfter: "r3 mod_wsgi/6.1.1",
                // The waiting transaction gets the lock after the holder and commits by itself.
                afterCut: () => expect(["5", "6"]).toContain(threadsIn()),
                afterConverge: () => expect(threadsIn()).toBe("6"),
            }),
        );

        point(
            "10. mid TLS VirtualHost transaction (mod_ssl enabled, certificate and key swapped in)",
            { timeout: POINT },
            () =>
                cutAt({
                    change: () => stack.config("tls", "true"),
                    cond: `grep -qs ${TLS_DIR}/ $root${STAGE_ROOT}/*/manifest`,
                    // The configtest and reload slowed: on a fast host the whole transaction could end between the
                    // manifest's appearance and the kill, and the next command reconnects (the up then succeeds).
                    slowApache: true,
                    servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                    servesAfter: "r3 mod_wsgi/6.1.1",
                    afterConverge: async () => {
                        const r = await httpsGet(h.address, "/cut/", tls.ca, SERVER_NAME);
                        expect(`${r.status} ${r.body}`).toBe("200 r3 mod_wsgi/6.1.1");
                    },
                }),
        );

        point(
            "11. mid staging of a transaction (a new certificate, chain and key being uploaded): the stage goes, the old key stays",
            {
                timeout: POINT,
            },
            async () => {
                const old = tls;
                const keyBefore = ssh(h, `sha256sum ${TLS_DIR}/cutsite.key`).stdout;
                tls = selfSigned(SERVER_NAME);
                // A long chain (~100 KB of distinct certificates, ~35 KB compressed: SSH compresses a repeated one to
                // nothing; some 9 s at 32 kbit) keeps the transaction's upload running long enough for
                // the watcher to see it even on a loaded machine: a cut after the last byte is survived by a reconnect.
                // The cut lands in the certificate file (staged before the key): the key file never reaches the stage.
                const chain = path.join(tls.dir, "chain.pem");
                fs.writeFileSync(chain, distinctCertificates(160));
                await cutAt({
                    change: () => {
                        stack.configSite(SERVER_NAME, tls.dir);
                        stack.config("chainFile", chain);
                    },
                    // The chain half uploaded: a file of the transaction being written, past 4 KiB (only the
                    // chain is that long). A cut between two uploads, or at the end of a small one (the watcher
                    // polls), is survived by a reconnect: seen once when any staged file triggered it.
                    cond:
                        running(`cat >.?${STAGE_ROOT}/[0-9]+-[0-9a-f]+/f[0-9]+[.]modwsgi-tmp`) +
                        ` && find $root${STAGE_ROOT} -name 'f*.modwsgi-tmp' -size +4k 2>/dev/null | grep -q .`,
                    slow: "32kbit",
                    servesAfterCut: ["r3 mod_wsgi/6.1.1"],
                    servesAfter: "r3 mod_wsgi/6.1.1",
                    afterCut: async () => {
                        expect(ssh(h, `sha256sum ${TLS_DIR}/cutsite.key`).stdout).toBe(keyBefore);
                        const r = await httpsGet(h.address, "/cut/", old.ca, SERVER_NAME);
                        expect(r.status).toBe(200);
                    },
                    afterConverge: async () => {
                        const r = await httpsGet(h.address, "/cut/", tls.ca, SERVER_NAME);
                        expect(`${r.status} ${r.body}`).toBe("200 r3 mod_wsgi/6.1.1");
                    },
                });
            },
        );

        point("12. mid destroy (the mount's removal): the next up puts everything back", { timeout: POINT }, () =>
            cutAt({
                change: () => undefined,
                command: ["destroy", "--yes", "--skip-preview"],
                cond: running(`${OPS_DIR}/apply-config-`),
                // The first removal transaction runs detached: the mount is still there, or gone (404).
                servesAfterCut: ["r3 mod_wsgi/6.1.1", "HTTP 404"],
                servesAfter: "r3 mod_wsgi/6.1.1",
            }),
        );
    });
}
