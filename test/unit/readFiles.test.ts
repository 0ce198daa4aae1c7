import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readFiles } from "../../provider/remote/scripts";
import type { RemoteHost } from "../../provider/remote/ssh";

/** The same command line the SSH layer would run, run by a local /bin/sh. */
const local = {
    name: "local",
    exec: async (command: string) => {
        try {
            return { code: 0, stdout: execFileSync("/bin/sh", ["-c", command]).toString(), stderr: "" };
        } catch (e) {
            const err = e as { status: number; stdout: Buffer; stderr: Buffer };
            return { code: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
        }
    },
} as unknown as RemoteHost;

describe("readFiles", () => {
    it("returns each file's exact bytes, undefined for missing ones, and the extra command's output", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-"));
        fs.writeFileSync(path.join(dir, "a"), "line\n@@\n@@modwsgi-0000 1\n");
        fs.writeFileSync(path.join(dir, "b"), "no trailing newline");
        fs.writeFileSync(path.join(dir, "e"), "");
        const r = await readFiles(
            local,
            [path.join(dir, "a"), path.join(dir, "missing"), path.join(dir, "b"), path.join(dir, "e")],
            "echo extra",
        );
        expect(r.files).toEqual(["line\n@@\n@@modwsgi-0000 1\n", undefined, "no trailing newline", ""]);
        expect(r.extra).toBe("extra\n");
    });
});
