// native/lib.sh's make_venv against this machine's real python3 (Debian's, with ensurepip): the first venv of an
// interpreter makes its seed; the next is a copy of the seed's packages that must be what `python3 -m venv` makes.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const PY = "/usr/bin/python3";
const LIB = path.resolve(__dirname, "../../native/lib.sh");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "venv-seed-"));
const seeds = path.join(dir, "seeds");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** make_venv PY DEST with the seeds in the test's directory; returns its exit code. */
function makeVenv(dest: string, python = PY): number {
    const script = `. "$1"; VENV_SEEDS=$2; make_venv "$3" "$4"`;
    try {
        execFileSync("/bin/sh", ["-c", script, "sh", LIB, seeds, python, dest], {
            stdio: ["ignore", "ignore", "pipe"],
        });
        return 0;
    } catch (e) {
        return (e as { status: number }).status;
    }
}

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });
const seedDirs = () => fs.readdirSync(seeds).filter((n) => !n.startsWith("."));
/** Every path in a venv but compiled files and the two that name the venv (pyvenv.cfg, activate scripts). */
const tree = (venv: string): string[] =>
    (fs.readdirSync(venv, { recursive: true }) as string[])
        .filter((p) => !p.includes("__pycache__") && p !== "pyvenv.cfg")
        .sort();
const pipInit = (venv: string) => {
    const lib = path.join(venv, "lib");
    return path.join(
        lib,
        fs.readdirSync(lib).find((n) => n.startsWith("python"))!,
        "site-packages/pip/__init__.py",
    );
};

// A venv of pip's own takes 4-7 s of this machine: more than the suite's 30 s default on a busy one.
describe("make_venv (native/lib.sh, real python3)", { timeout: 120_000 }, () => {
    const first = path.join(dir, "first");
    const second = path.join(dir, "second");

    it("the first venv makes the interpreter's seed (root-only), the second copies it: the same venv as -m venv", () => {
        expect(makeVenv(first)).toBe(0);
        expect(fs.statSync(seeds).mode & 0o777).toBe(0o700);
        expect(seedDirs()).toHaveLength(1);
        const seed = path.join(seeds, seedDirs()[0]);
        expect(fs.existsSync(path.join(seed, ".complete"))).toBe(true);

        expect(makeVenv(second)).toBe(0);
        // The seed is a venv made by `python3 -m venv` itself: the copy has every one of its files.
        expect(tree(second)).toEqual(tree(seed).filter((p) => p !== ".complete"));
        expect(run(path.join(second, "bin/pip"), "freeze", "--all")).toBe(
            run(path.join(seed, "bin/pip"), "freeze", "--all"),
        );
        // pip's scripts run the new venv's python, and pip runs from the new venv (not the seed).
        for (const s of fs.readdirSync(path.join(second, "bin")).filter((n) => n.startsWith("pip"))) {
            expect(fs.readFileSync(path.join(second, "bin", s), "utf8").split("\n")[0]).toBe(`#!${second}/bin/python3`);
        }
        expect(run(path.join(second, "bin/pip"), "--version")).toContain(`from ${second}/lib/`);
        // Copied, not installed again: pip's files keep the seed's times.
        expect(fs.statSync(pipInit(second)).mtimeMs).toBe(fs.statSync(pipInit(seed)).mtimeMs);
        // Compiled files name the seed's sources; Python points them at the copy as it loads them.
        const where = run(
            path.join(second, "bin/python"),
            "-c",
            "import pip._internal.cli.main as m; print(m.main.__code__.co_filename)",
        );
        expect(where.trim()).toBe(path.join(path.dirname(pipInit(second)), "_internal/cli/main.py"));
    });

    it("a seed a stopped run left without its mark is made again", () => {
        const seed = path.join(seeds, seedDirs()[0]);
        fs.rmSync(path.join(seed, ".complete"));
        fs.writeFileSync(path.join(seed, "left-over"), "");
        expect(makeVenv(path.join(dir, "third"))).toBe(0);
        expect(seedDirs()).toEqual([path.basename(seed)]);
        expect(fs.existsSync(path.join(seed, "left-over"))).toBe(false);
        expect(fs.existsSync(path.join(seed, ".complete"))).toBe(true);
    });

    it("a seed with a file cut short (a crash, a cache cleaner) is removed and the venv made the plain way", () => {
        const seed = path.join(seeds, seedDirs()[0]);
        const seedPip = fs.statSync(pipInit(seed)).mtimeMs;
        fs.writeFileSync(path.join(path.dirname(pipInit(seed)), "_internal/cli/main.py"), "");
        const fourth = path.join(dir, "fourth");
        expect(makeVenv(fourth)).toBe(0);
        expect(seedDirs()).toEqual([]);
        expect(fs.statSync(pipInit(fourth)).mtimeMs).not.toBe(seedPip);
        expect(run(path.join(fourth, "bin/pip"), "--version")).toContain(`from ${fourth}/lib/`);
    });

    it("a seeds directory that others can write is not used (a seed runs as root)", () => {
        fs.chmodSync(seeds, 0o770);
        const r = spawnSync("/bin/sh", ["-c", `. "$1"; VENV_SEEDS=$2; venv_seed "$3"`, "sh", LIB, seeds, PY]);
        expect(r.status).not.toBe(0);
        expect(seedDirs()).toEqual([]);
        fs.chmodSync(seeds, 0o700);
    });

    it("making a seed removes the seeds of interpreters no longer there, and only those", () => {
        const plant = (name: string, target: string) => {
            fs.mkdirSync(path.join(seeds, name, "bin"), { recursive: true });
            fs.symlinkSync(target, path.join(seeds, name, "bin/python"));
            fs.writeFileSync(path.join(seeds, name, ".complete"), "");
        };
        plant("0000000000000000-gone", path.join(dir, "uninstalled/python3.9"));
        plant("1111111111111111-here", PY);
        expect(makeVenv(path.join(dir, "fifth"))).toBe(0);
        const left = seedDirs();
        expect(left).not.toContain("0000000000000000-gone");
        expect(left).toContain("1111111111111111-here");
        expect(left).toHaveLength(2); // and the new seed of python3
    });

    it("an interpreter that cannot make venvs fails make_venv and leaves no venv", () => {
        const broken = path.join(dir, "broken-python");
        fs.writeFileSync(broken, "#!/bin/sh\necho 'No module named venv' >&2\nexit 1\n", { mode: 0o755 });
        const dest = path.join(dir, "never");
        expect(makeVenv(dest, broken)).not.toBe(0);
        expect(fs.existsSync(dest)).toBe(false);
    });
});
