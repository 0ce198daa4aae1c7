// A full disk is named: which filesystem, where it is mounted, what it has left; and nothing is half-written.
import { afterAll, describe, expect, it } from "vitest";
import { writeFailure } from "../../provider/remote/ssh";
import { scriptSource } from "../../provider/remote/scripts";
import { FakeHost } from "../fakeHost";

describe("full disks", () => {
    it.each([
        [
            "cat: write error: No space left on device\n/var/lib/modwsgi/stage 12\n",
            "/var/lib/modwsgi/stage/app-x/source.tgz",
            "cat: write error: No space left on device " +
                "(the filesystem of /var/lib/modwsgi/stage/app-x, mounted on /var/lib/modwsgi/stage, has 12 KiB free)",
        ],
        [
            "sh: 1: cannot create /x/y: Permission denied\n/ 123456\n",
            "/x/y",
            "sh: 1: cannot create /x/y: Permission denied",
        ],
        ["mv: cannot move\n", "/a/b", "mv: cannot move"],
    ])("writeFailure(%j)", (stderr, path, want) => {
        expect(writeFailure(stderr, path)).toBe(want);
    });

    const host = new FakeHost();
    afterAll(() => host.cleanup());

    it("need_space names the filesystem, its mount point and what is free, and fails", async () => {
        const lib = scriptSource("probe").split("\n# shellcheck shell=sh\n# probe")[0];
        const run = (mib: number) =>
            host.exec(`sh -s`, { stdin: `${lib}\nneed_space /opt/modwsgi/envs/new ${mib} "the venv"`, nothrow: true });
        const short = await run(1024 * 1024 * 1024);
        expect(short.code).toBe(1);
        expect(short.stderr).toMatch(
            /^error: not enough disk space for the venv: the filesystem of \/opt\/modwsgi\/envs\/new \(mounted on \/\S*\) has \d+ MiB free, 1073741824 MiB needed$/m,
        );
        expect((await run(1)).code).toBe(0);
    });
});
