// Host operations run detached from the SSH channel: when the channel dies mid-way (a dropped link, Cancel, a
// timeout), the operation still finishes on the host, releases the lock and leaves nothing behind.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { APPLY_LOG, OPS_DIR, STAGE_ROOT } from "../../provider/layout";
import { runScript } from "../../provider/remote/scripts";
import { FakeHost } from "../fakeHost";

/** Bounded wait for a condition on the host. */
async function until(cond: () => boolean, ms = 15_000): Promise<boolean> {
    for (const end = Date.now() + ms; Date.now() < end;) {
        if (cond()) return true;
        await new Promise((r) => setTimeout(r, 100));
    }
    return cond();
}

describe("detached host operations", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());

    /** A staged one-file config transaction whose configtest takes `seconds`. */
    function slowTransaction(seconds: number): string[] {
        const stage = `${STAGE_ROOT}/slow-0123456789ab`;
        host.put(`${stage}/f0`, "# new\n", 0o600);
        host.put(`${stage}/manifest`, "put f0 /etc/apache2/modwsgi.d/10-daemon-slow.conf 644\n", 0o600);
        host.put("/etc/apache2/modwsgi.d/10-daemon-slow.conf", "# old\n");
        host.stub(
            "apache2ctl",
            `#!/bin/sh\necho "apache2ctl $*" >>"$FAKE_ROOT/.apache.log"\n[ "$1" = -t ] && sleep ${seconds}\nexit 0\n`,
        );
        return [stage, "none", STAGE_ROOT];
    }

    it("a dropped channel does not stop an apt install that writes progress: it finishes and releases the lock", async () => {
        const drop = new FakeHost({ concurrent: true });
        try {
            // dpkg says nothing is installed; apt-get prints progress for 2 s, then records that it finished.
            drop.stub("dpkg-query", "#!/bin/sh\nexit 1\n");
            drop.stub(
                "apt-get",
                '#!/bin/sh\ni=0\nwhile [ $i -lt 20 ]; do echo "Unpacking $i" >&2; sleep 0.1; i=$((i+1)); done\n' +
                    'touch "$FAKE_ROOT/.apt-finished"\n',
            );
            drop.channelDropMs = 500;
            await expect(runScript(drop, "ensure-packages", ["apache2"])).rejects.toThrow(/channel dropped/);
            drop.channelDropMs = undefined;
            expect(drop.exists("/.apt-finished")).toBe(false);
            expect(await until(() => drop.exists("/.apt-finished"))).toBe(true);
            expect(await until(() => /end ensure-packages rc=0/.test(drop.file(APPLY_LOG) ?? ""))).toBe(true);
            // The operation's directory is gone and the next operation gets the lock at once.
            expect(await until(() => stages(drop).length === 0)).toBe(true);
            process.env.MODWSGI_LOCK_WAIT = "0";
            const next = runScript(drop, "ensure-packages", ["apache2"]);
            delete process.env.MODWSGI_LOCK_WAIT;
            await next;
        } finally {
            drop.cleanup();
        }
    });

    it("refuses a lock wait the stage sweep could overtake (an hour), or one that is not a number", async () => {
        for (const bad of ["3601", "abc", "-1"]) {
            process.env.MODWSGI_LOCK_WAIT = bad;
            try {
                await expect(runScript(host, "ensure-packages", [])).rejects.toThrow(/MODWSGI_LOCK_WAIT/);
            } finally {
                delete process.env.MODWSGI_LOCK_WAIT;
            }
        }
    });

    it("an operation still running past its limit is stopped on the host, and its transaction rolled back", async () => {
        const args = slowTransaction(30);
        const started = Date.now();
        // The host-side limit is the operation's time plus the lock wait: no wait here.
        process.env.MODWSGI_LOCK_WAIT = "0";
        const run = runScript(host, "apply-config", args, { timeoutMs: 1_000 });
        delete process.env.MODWSGI_LOCK_WAIT;
        await expect(run).rejects.toThrow(/exit 124|timed out/);
        expect(Date.now() - started).toBeLessThan(25_000);
        expect(await until(() => /end apply-config rc=/.test(host.file(APPLY_LOG) ?? ""))).toBe(true);
        expect(host.file("/etc/apache2/modwsgi.d/10-daemon-slow.conf")).toBe("# old\n");
    });
});

function stages(host: FakeHost): string[] {
    const out: string[] = [];
    try {
        for (const dir of [STAGE_ROOT, OPS_DIR])
            if (fs.existsSync(host.local(dir))) for (const e of fs.readdirSync(host.local(dir))) out.push(e);
    } catch {
        /* no stage root yet */
    }
    return out;
}
