// build-module.sh's use of pip's wheel cache. cached_wheel, against this machine's real python3 and pip: a mod_wsgi
// wheel in pip's cache counts only when this Python can install it. (A cp313 wheel taken for a 3.13t one skipped
// setuptools, and the build pip then had to make failed with "Cannot import 'setuptools.build_meta'".) pip_install,
// with a pip that stands in for pip's answers: a cached wheel pip does not take after all is compiled.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = fs.readFileSync(path.resolve(__dirname, "../../native/build-module.sh"), "utf8");
const LIB = path.resolve(__dirname, "../../native/lib.sh");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cached-wheel-"));
const venv = path.join(dir, "venv");
const cache = path.join(dir, "pip-cache");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A function as build-module.sh defines it (the script runs main when sourced). */
const fn = (name: string) => new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}\\n`, "m").exec(SCRIPT)![0];
const cachedWheel = fn("cached_wheel");
/** This Python's own tag, e.g. cp311-cp311-linux_x86_64. */
let ownTag = "";

function isCached(version: string): boolean {
    const r = spawnSync("/bin/sh", ["-c", `${cachedWheel}\nvenv=$1 version=$2; cached_wheel`, "sh", venv, version], {
        env: { ...process.env, PIP_CACHE_DIR: cache },
    });
    return r.status === 0;
}

function cacheWheel(name: string) {
    // pip's wheel cache keeps wheels under hashed directories; `pip cache list` finds them by name.
    const d = path.join(cache, "wheels", "ab", "cd", String(fs.readdirSync(dir).length));
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, name), "");
}

describe("cached_wheel (native/build-module.sh, real python3)", { timeout: 120_000 }, () => {
    beforeAll(() => {
        execFileSync("/usr/bin/python3", ["-m", "venv", venv]);
        const first = "from pip._vendor.packaging.tags import sys_tags; print(next(iter(sys_tags())))";
        ownTag = execFileSync(path.join(venv, "bin/python"), ["-c", first], { encoding: "utf8" }).trim();
    });

    it("no wheel of the version cached: not cached", () => {
        expect(isCached("6.1.1")).toBe(false);
    });

    it("a wheel of the version for another Python (cp313 beside a 3.13t, say): not cached", () => {
        const other = ownTag.startsWith("cp313-") ? "cp312-cp312-linux_x86_64" : "cp313-cp313t-linux_x86_64";
        cacheWheel(`mod_wsgi-6.1.1-${other}.whl`);
        expect(isCached("6.1.1")).toBe(false);
    });

    it("a wheel of the version this Python installs: cached; another version's: not", () => {
        cacheWheel(`mod_wsgi-6.1.1-${ownTag}.whl`);
        expect(isCached("6.1.1")).toBe(true);
        expect(isCached("6.1.0")).toBe(false);
    });
});

/**
 * A venv whose bin/pip logs its arguments and answers as pip would: installing setuptools works; installing
 * mod_wsgi works when `fromCache` (pip took its cached wheel) or once setuptools is in, else fails as pip's build
 * without setuptools does.
 */
function fakeVenv(fromCache: boolean): string {
    const v = fs.mkdtempSync(path.join(dir, "fake-venv-"));
    fs.mkdirSync(path.join(v, "bin"));
    const pip = [
        "#!/bin/sh",
        'v=$(dirname "$0")/..',
        'echo "$*" >>"$v/pip.log"',
        'case "$*" in *setuptools*) : >"$v/setuptools"; exit 0 ;; esac',
        fromCache
            ? "exit 0"
            : `[ -f "$v/setuptools" ] || { echo "Cannot import 'setuptools.build_meta'" >&2; exit 1; }`,
    ].join("\n");
    fs.writeFileSync(path.join(v, "bin/pip"), pip + "\n", { mode: 0o755 });
    return v;
}

/** pip_install for mod_wsgi 6.1.1 from PyPI with `built` as main sets it; its exit code, stderr and final `built`. */
function pipInstall(v: string, built: string) {
    const script = `. "$1"\n${fn("install_setuptools")}${fn("pip_build")}${fn("pip_install")}venv=$2 built=$3 version=6.1.1 apxs=/usr/bin/apxs hooks= archive=
pip_install --no-build-isolation --use-pep517 mod_wsgi==6.1.1
echo "built=$built"`;
    const r = spawnSync("/bin/sh", ["-c", script, "sh", LIB, v, built], { encoding: "utf8" });
    const log = fs.existsSync(path.join(v, "pip.log")) ? fs.readFileSync(path.join(v, "pip.log"), "utf8") : "";
    return {
        code: r.status,
        stderr: r.stderr,
        built: /built=(\S+)/.exec(r.stdout)?.[1],
        calls: log.trim().split("\n"),
    };
}

describe("pip_install (native/build-module.sh)", () => {
    it("a wheel pip takes from its cache: one install, no setuptools, still wheel-cache", () => {
        const r = pipInstall(fakeVenv(true), "wheel-cache");
        expect(r.code).toBe(0);
        expect(r.built).toBe("wheel-cache");
        expect(r.calls).toHaveLength(1);
    });

    it("a cached wheel pip does not take (built from another source): setuptools goes in and it compiles", () => {
        const r = pipInstall(fakeVenv(false), "wheel-cache");
        expect(r.code).toBe(0);
        expect(r.built).toBe("compiled");
        expect(r.calls).toEqual([
            expect.stringContaining("mod_wsgi==6.1.1"),
            expect.stringContaining("setuptools>=70.1"),
            expect.stringContaining("mod_wsgi==6.1.1"),
        ]);
        expect(r.stderr).toMatch(/did not take mod_wsgi 6\.1\.1 from its wheel cache/);
    });

    it("a compile that fails is not tried again: the venv is removed and the error names pip's build", () => {
        const v = fakeVenv(false);
        const r = pipInstall(v, "compiled");
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/pip could not build mod_wsgi 6\.1\.1/);
        expect(fs.existsSync(v)).toBe(false);
    });
});
