// build-module.sh's cached_wheel against this machine's real python3 and pip: a mod_wsgi wheel in pip's cache counts
// only when this Python can install it. (A cp313 wheel taken for a 3.13t one skipped setuptools, and the build
// pip then had to make failed with "Cannot import 'setuptools.build_meta'".)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = fs.readFileSync(path.resolve(__dirname, "../../native/build-module.sh"), "utf8");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cached-wheel-"));
const venv = path.join(dir, "venv");
const cache = path.join(dir, "pip-cache");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The function as build-module.sh defines it (the script runs main when sourced). */
const cachedWheel = /^cached_wheel\(\) \{\n[\s\S]*?\n\}\n/m.exec(SCRIPT)![0];
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
