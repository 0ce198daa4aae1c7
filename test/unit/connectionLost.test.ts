// A connection lost while a command runs is neither an answer nor the end of the command: reads fail instead of
// parsing an empty result as "missing", and an operation's caller only hears of it once the operation has ended on
// the host (so it cannot remove a stage the operation still reads, or read the host half-way through it).
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { APPLY_LOG, STAGE_ROOT, TLS_DIR } from "../../provider/layout";
import { applyConfig } from "../../provider/remote/apply";
import {
    ConnectionLost,
    channelResult,
    type ExecOptions,
    type ExecResult,
    type RemoteHost,
} from "../../provider/remote/host";
import { runScript } from "../../provider/remote/scripts";
import { FakeHost } from "../fakeHost";

describe("a channel's close", () => {
    it("with an exit code or a signal is the command's result", () => {
        expect(channelResult("h", 0, undefined, "out", "")).toEqual({ code: 0, stdout: "out", stderr: "" });
        expect(channelResult("h", 3, undefined, "", "bad")).toEqual({ code: 3, stdout: "", stderr: "bad" });
        expect(channelResult("h", null, "KILL", "", "")).toEqual({ code: 128, stdout: "", stderr: "" });
    });

    it("with neither is a lost connection, never an exit code a read could parse", () => {
        for (const code of [null, undefined]) {
            const r = channelResult("web1", code, undefined, "half", "");
            expect(r).toBeInstanceOf(ConnectionLost);
            expect((r as Error).message).toMatch(/connection to web1 was lost while the command ran/);
        }
    });
});

/** The fake host, whose operation channels die after `dropMs` the way a cut connection ends them. */
class LosingHost implements RemoteHost {
    readonly name = "fake";
    constructor(
        readonly fake: FakeHost,
        readonly dropMs: number,
    ) {}

    async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
        if (!command.includes("MODWSGI_LOCK=")) return this.fake.exec(command, opts);
        this.fake.channelDropMs = this.dropMs;
        const r = this.fake.exec(command, { ...opts, nothrow: true });
        this.fake.channelDropMs = undefined;
        await r;
        throw new ConnectionLost(`${opts.step}: the SSH connection to fake was lost while the command ran`);
    }

    writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
        return this.fake.writeFile(path, data, mode);
    }
}

describe("an operation whose connection is lost", () => {
    it("fails only once it has ended on the host, saying so", { timeout: 30_000 }, async () => {
        const fake = new FakeHost({ concurrent: true });
        try {
            // apt-get runs 2 s; the channel dies after 0.5 s.
            fake.stub("dpkg-query", "#!/bin/sh\nexit 1\n");
            fake.stub("apt-get", '#!/bin/sh\nsleep 2\ntouch "$FAKE_ROOT/.apt-finished"\n');
            const started = Date.now();
            const err = await runScript(new LosingHost(fake, 500), "ensure-packages", ["apache2"]).catch((e) => e);
            expect(err).toBeInstanceOf(ConnectionLost);
            expect((err as Error).message).toMatch(
                /^ensure-packages on fake: the SSH connection was lost while it ran; it went on on the host, and has ended there/,
            );
            // When the caller hears of it, the operation has finished and let go of the lock.
            expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
            expect(fake.exists("/.apt-finished")).toBe(true);
            expect(fake.file(APPLY_LOG)).toMatch(/end ensure-packages rc=0/);
        } finally {
            fake.cleanup();
        }
    });
});

describe("a config transaction whose staging is cut short", () => {
    it("removes its stage (the files may be TLS keys), over a new connection", async () => {
        const fake = new FakeHost();
        try {
            // The first write goes through, then the connection dies before the manifest is written.
            const host: RemoteHost = {
                name: "fake",
                exec: (command, opts) => fake.exec(command, opts),
                async writeFile(path, data, mode) {
                    if (path.endsWith("/manifest")) throw new ConnectionLost("the SSH connection to fake was lost");
                    return fake.writeFile(path, data, mode);
                },
            };
            const key = { op: "put" as const, target: `${TLS_DIR}/site.key`, content: "KEY\n", mode: 0o600 };
            await expect(applyConfig(host, [key], "graceful")).rejects.toThrow(/was lost/);
            expect(fake.exists(`${TLS_DIR}/site.key`)).toBe(false);
            expect(fake.exists(STAGE_ROOT) ? fs.readdirSync(fake.local(STAGE_ROOT)) : []).toEqual([]);
        } finally {
            fake.cleanup();
        }
    });
});
