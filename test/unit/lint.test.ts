// Shell code runs on hosts we cannot debug interactively: every script must pass shellcheck.
// native/ is POSIX sh (dash on Debian), checked as such; the local tooling is bash.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");
const native = fs
    .readdirSync(path.join(REPO, "native"))
    .filter((f) => f.endsWith(".sh"))
    .map((f) => `native/${f}`);
const local = [
    "scripts/env.sh",
    "scripts/test.sh",
    "scripts/demo.sh",
    "scripts/pulumi-cli.sh",
    "test/sandbox/sandbox.sh",
    "test/sandbox/cpython-ft.sh",
    "scripts/sdkgen.sh",
    "scripts/sdkgen/check-python.sh",
    "scripts/package.sh",
    "bench/run.sh",
    ".ci/run",
    "bin/pulumi-resource-modwsgi",
    "bin/modwsgi-adopt",
];

describe("shellcheck", () => {
    it.each(native)("%s is clean POSIX sh", (file) => {
        const r = spawnSync("shellcheck", ["-s", "sh", file], { cwd: REPO, encoding: "utf8" });
        expect(r.error).toBeUndefined();
        expect(r.stdout).toBe("");
        expect(r.status).toBe(0);
    });

    it.each(local)("%s is clean", (file) => {
        const r = spawnSync("shellcheck", ["-x", file], { cwd: REPO, encoding: "utf8" });
        expect(r.error).toBeUndefined();
        expect(r.stdout).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("format and lint", () => {
    // Prettier owns layout (print width 120); typescript-eslint's recommended rules find the rest.
    it("prettier --check finds nothing to reformat", { timeout: 60_000 }, () => {
        const r = spawnSync(path.join(REPO, "node_modules/.bin/prettier"), ["--check", "."], {
            cwd: REPO,
            encoding: "utf8",
        });
        expect(r.stdout.split("\n").filter((l) => l.startsWith("[warn]"))).toEqual([]);
        expect(r.status).toBe(0);
    });

    it("eslint (typescript-eslint) reports no problem", { timeout: 120_000 }, () => {
        const r = spawnSync(path.join(REPO, "node_modules/.bin/eslint"), ["--max-warnings=0", "."], {
            cwd: REPO,
            encoding: "utf8",
        });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("types", () => {
    // vitest strips types without checking them: the tests themselves are type-checked here (strict).
    it("the tests type-check (tsconfig.test.json)", { timeout: 60_000 }, () => {
        const r = spawnSync(path.join(REPO, "node_modules/.bin/tsc"), ["-p", "tsconfig.test.json"], {
            cwd: REPO,
            encoding: "utf8",
        });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});
