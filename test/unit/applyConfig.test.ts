import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { GATHER_MS, applyConfig, hostOperation, unasked, type Change } from "../../provider/remote/apply";
import { STAGE_ROOT } from "../../provider/layout";
import { FakeHost } from "../fakeHost";

const FIRST = "/etc/apache2/conf-available/first.conf";
const CREATED = "/etc/apache2/conf-available/created.conf";
/** A regular file where the third change needs a directory: `mkdir -p` fails after two files were swapped in. */
const BLOCKER = "/etc/apache2/blocker";

describe("applyConfig transaction (fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
        host.put(FIRST, "# previous first\n");
        host.put(BLOCKER, "a regular file\n");
    });
    afterEach(() => host.cleanup());

    const stages = () => (fs.existsSync(host.local(STAGE_ROOT)) ? fs.readdirSync(host.local(STAGE_ROOT)) : []);
    const good: Change[] = [
        { op: "put", target: FIRST, content: "# new first\n" },
        { op: "put", target: CREATED, content: "# created\n" },
    ];
    /** apache2ctl that runs `prelude` (shell, sees "$@"), then behaves as the fake's own stub. */
    const wrapApache2ctl = (prelude: string) => {
        fs.renameSync(path.join(host.stubs, "apache2ctl"), path.join(host.stubs, "apache2ctl.real"));
        host.stub("apache2ctl", `#!/bin/sh\n${prelude}\nexec "$FAKE_ROOT/.stubs/apache2ctl.real" "$@"\n`);
    };
    const wrapConfigtest = (body: string) => wrapApache2ctl(`if [ "$*" = "-t" ]; then ${body}; fi`);

    it("applies, configtests and reloads; the stage directory is gone afterwards", async () => {
        await applyConfig(host, good, "graceful");
        expect(host.file(FIRST)).toBe("# new first\n");
        expect(host.file(CREATED)).toBe("# created\n");
        expect(host.apacheCalls()).toContain("-t");
        expect(stages()).toEqual([]);
    });

    it("a failure in the middle of the swap restores every file, names the step and file, removes the stage", async () => {
        const changes: Change[] = [...good, { op: "put", target: `${BLOCKER}/second.conf`, content: "# second\n" }];
        await expect(applyConfig(host, changes, "graceful")).rejects.toThrow(
            /could not create the directory \/etc\/apache2\/blocker for \/etc\/apache2\/blocker\/second\.conf; every file is back/,
        );
        expect(host.file(FIRST)).toBe("# previous first\n");
        expect(host.exists(CREATED)).toBe(false);
        expect(host.file(BLOCKER)).toBe("a regular file\n");
        // No leftovers of the half-done swap, no configtest or reload of a half-swapped tree.
        expect(fs.readdirSync(host.local("/etc/apache2/conf-available")).sort()).toEqual(["first.conf"]);
        expect(host.apacheCalls()).toEqual([]);
        expect(stages()).toEqual([]);
    });

    it("a new directory the failed swap made is removed again; existing ones stay", async () => {
        const changes: Change[] = [
            { op: "put", target: "/etc/apache2/modwsgi.d/vhost-x/a/10.conf", content: "# a\n" },
            { op: "put", target: `${BLOCKER}/second.conf`, content: "# second\n" },
        ];
        await expect(applyConfig(host, changes, "graceful")).rejects.toThrow(/blocker/);
        expect(host.exists("/etc/apache2/modwsgi.d")).toBe(false);
        expect(host.exists("/etc/apache2/conf-available")).toBe(true);
    });

    it("a configtest failure rolls every file back and removes the stage", async () => {
        host.put("/.configtest-fail", "AH00526: Syntax error on line 1 of first.conf\n");
        await expect(applyConfig(host, good, "graceful")).rejects.toThrow(/AH00526: Syntax error/);
        expect(host.file(FIRST)).toBe("# previous first\n");
        expect(host.exists(CREATED)).toBe(false);
        expect(host.apacheCalls()).toEqual(["-t"]);
        expect(stages()).toEqual([]);
    });

    it("a failed reload rolls back, reloads the previous config and removes the stage", async () => {
        host.put("/var/run/apache2/apache2.pid", `${process.pid}\n`);
        // Apache runs; the first graceful fails (the second, with the previous config, works).
        wrapApache2ctl(
            `if [ "$1" = graceful ] && [ ! -f "$FAKE_ROOT/.failed-once" ]; then touch "$FAKE_ROOT/.failed-once"; ` +
                `echo "apache2ctl graceful" >>"$FAKE_ROOT/.apache.log"; echo "AH00016: Configuration Failed" >&2; ` +
                `exit 1; fi`,
        );
        await expect(applyConfig(host, good, "graceful")).rejects.toThrow(/failed to reload gracefully/);
        expect(host.file(FIRST)).toBe("# previous first\n");
        expect(host.exists(CREATED)).toBe(false);
        expect(host.apacheCalls()).toEqual(["-t", "-t -D DUMP_RUN_CFG", "graceful", "-t -D DUMP_RUN_CFG", "graceful"]);
        expect(stages()).toEqual([]);
    });

    it("SIGTERM between the swap and the configtest leaves the previous files in place", async () => {
        wrapConfigtest("kill -TERM $PPID; sleep 1");
        await expect(applyConfig(host, good, "graceful")).rejects.toThrow(
            /interrupted \(signal 15\) during the configtest; every file is back as it was/,
        );
        expect(host.file(FIRST)).toBe("# previous first\n");
        expect(host.exists(CREATED)).toBe(false);
        expect(host.apacheCalls()).not.toContain("graceful");
        expect(stages()).toEqual([]);
    });

    it("a closed output (SIGPIPE, SIGHUP) does not stop the transaction half-way", async () => {
        // The SSH channel goes away while Apache checks the config: the transaction still ends consistently.
        wrapConfigtest("kill -PIPE $PPID; kill -HUP $PPID");
        await applyConfig(host, good, "graceful");
        expect(host.file(FIRST)).toBe("# new first\n");
        expect(host.apacheCalls().filter((c) => c === "-t")).toHaveLength(1);
        expect(stages()).toEqual([]);
    });

    it("stage directories are root-only (mode 700) while a transaction runs", async () => {
        wrapConfigtest(`stat -c '%a' "$FAKE_ROOT${STAGE_ROOT}" "$FAKE_ROOT${STAGE_ROOT}"/* >"$FAKE_ROOT/.stage-modes"`);
        await applyConfig(host, good, "none");
        // The stage root, this transaction's stage and the operation's own directory (it runs detached).
        const modes = host.file("/.stage-modes")!.trim().split("\n");
        expect(modes.length).toBeGreaterThanOrEqual(2);
        expect(modes.every((m) => m === "700")).toBe(true);
    });

    it("sweeps stage directories older than 60 minutes, keeps younger ones of other operations", async () => {
        const old = `${STAGE_ROOT}/app-old-0123456789ab`;
        const fresh = `${STAGE_ROOT}/env-busy-ba9876543210`;
        host.put(`${old}/env.json`, '{"SECRET_KEY": "s3cret"}\n', 0o600);
        host.put(`${fresh}/requirements.txt`, "flask\n", 0o600);
        const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
        fs.utimesSync(host.local(old), twoHoursAgo, twoHoursAgo);
        const thirtyMinutesAgo = new Date(Date.now() - 30 * 60_000);
        fs.utimesSync(host.local(fresh), thirtyMinutesAgo, thirtyMinutesAgo);
        await applyConfig(host, good, "graceful");
        expect(host.exists(old)).toBe(false);
        expect(host.file(`${fresh}/requirements.txt`)).toBe("flask\n");
        expect(stages()).toEqual([path.basename(fresh)]);
    });
    it("operations running on the host share one transaction even when one asks after the window", async () => {
        // Under load the engine's parallel steps reach the host at different moments: the first waits for the other.
        const late: Change[] = [{ op: "put", target: "/etc/apache2/conf-available/late.conf", content: "# late\n" }];
        const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
        await Promise.all([
            hostOperation(host, () => applyConfig(host, good, "graceful")),
            hostOperation(host, async () => {
                await pause(GATHER_MS * 4);
                await applyConfig(host, late, "graceful");
            }),
        ]);
        expect(host.file("/etc/apache2/conf-available/late.conf")).toBe("# late\n");
        // One transaction: one configtest (Apache is not running in the fake: it is started once).
        expect(host.apacheCalls().filter((c) => c === "-t")).toHaveLength(1);
    });

    it("counts the operations on a host that have not asked yet: asking or ending takes one off", async () => {
        // What a transaction waits for (bounded by GATHER_MAX_MS): timing-free, unlike the machine it runs on.
        const other = new FakeHost();
        let release = () => {};
        const blocked = new Promise<void>((r) => (release = r));
        const idle = hostOperation(host, () => blocked);
        const elsewhere = hostOperation(other, () => blocked);
        expect(unasked(host)).toBe(1);
        let askedMeanwhile = -1;
        const deploying = hostOperation(host, async () => {
            await applyConfig(host, good, "none");
            askedMeanwhile = unasked(host); // asked already: only `idle` is left
        });
        await new Promise((r) => setTimeout(r, 10));
        expect(unasked(host)).toBe(1);
        release();
        await Promise.all([idle, elsewhere, deploying]);
        expect(askedMeanwhile).toBeLessThanOrEqual(1);
        expect(unasked(host)).toBe(0);
        expect(unasked(other)).toBe(0);
        other.cleanup();
    });
});
