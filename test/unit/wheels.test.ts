// Local wheel directories: a file name is only ever a file operand of the local tar, never an option.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tarOf, wheelFiles } from "../../provider/wheels";

describe("tarOf", () => {
    const hostile = "--use-compress-program=touch pwned.whl";
    let dir: string;
    let cwd: string;
    const before = process.cwd();
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "wheels-"));
        // tar runs in a directory of its own here, so anything the hostile name ran would land in sight.
        cwd = fs.mkdtempSync(path.join(os.tmpdir(), "wheels-cwd-"));
        process.chdir(cwd);
        fs.writeFileSync(path.join(dir, hostile), "not a wheel\n");
        fs.writeFileSync(path.join(dir, "flask-3.1.2-py3-none-any.whl"), "a wheel\n");
    });
    afterEach(() => {
        process.chdir(before);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(cwd, { recursive: true, force: true });
        fs.rmSync(path.join(os.tmpdir(), "pwned.whl"), { force: true });
    });

    it("packs a wheel named like a tar option as a file, running nothing", () => {
        const files = wheelFiles(dir, "PythonEnv.wheels");
        expect(files.map((f) => path.basename(f))).toEqual([hostile, "flask-3.1.2-py3-none-any.whl"].sort());
        const tar = tarOf(files);
        const listing = execFileSync("tar", ["-tf", "-"], { input: tar }).toString().split("\n").filter(Boolean);
        expect(listing.sort()).toEqual([hostile, "flask-3.1.2-py3-none-any.whl"].sort());
        const members = execFileSync("tar", ["-xOf", "-", "--", hostile], { input: tar }).toString();
        expect(members).toBe("not a wheel\n");
        for (const d of [cwd, dir, os.tmpdir()]) {
            expect(fs.readdirSync(d).filter((f) => f.startsWith("pwned"))).toEqual([]);
        }
    });
});
