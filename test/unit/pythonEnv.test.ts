import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkRequirementsFile, renderRequirements } from "../../provider/resources/pythonEnv/render";
import { inputs } from "../../provider/resources/pythonEnv/schema";
import { pythonEnv } from "../../provider/resources/pythonEnv";
import { checkInputs, diff } from "../../provider/resource";
import { envPath, MODULE_LOAD, STAGE_ROOT } from "../../provider/layout";
import { FakeHost } from "../fakeHost";

const mod = pythonEnv;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "env-"));

describe("PythonEnv render (golden files)", () => {
    it("stages the listed specifiers, then the requirements file (env-requirements.txt)", () => {
        const file = `# from requirements.txt\nwerkzeug==3.1.3 \\\n    --hash=sha256:${"b".repeat(64)}\n`;
        expect(renderRequirements(["flask==3.1.2", "gunicorn>=23"], checkRequirementsFile(file))).toBe(
            fs.readFileSync(path.join(__dirname, "golden", "env-requirements.txt"), "utf8"),
        );
        expect(renderRequirements(["flask==3.1.2"])).toBe("flask==3.1.2\n");
    });
});

describe("PythonEnv requirements file", () => {
    it("accepts specifiers, comments and --hash pins", () => {
        const text = `# pinned\nflask==3.1.2 \\\n    --hash=sha256:${"a".repeat(64)}\nwerkzeug>=3.0 ; python_version >= "3.10"  # why\n\n`;
        expect(() => checkRequirementsFile(text)).not.toThrow();
    });

    it.each([["--index-url http://x/simple"], ["-e git+https://x/y.git"], ["-r other.txt"], ["flask; $(id)"]])(
        "refuses %j naming the line",
        (line) => {
            expect(() => checkRequirementsFile(`flask==3.1.2\n${line}\n`)).toThrow(
                /requirementsFile: line 2 .* is not a requirement specifier/,
            );
        },
    );

    it("fails check naming requirementsFile, and hashes the file so an edit is a change", () => {
        const dir = tmp();
        const file = path.join(dir, "requirements.txt");
        fs.writeFileSync(file, "--extra-index-url http://x\n");
        expect(checkInputs(mod, { name: "e", requirementsFile: file }).failures[0].property).toBe("requirementsFile");
        fs.writeFileSync(file, "flask==3.1.2\n");
        const a = checkInputs(mod, { name: "e", requirementsFile: file }).inputs.requirementsSha256;
        fs.writeFileSync(file, "flask==3.1.1\n");
        const b = checkInputs(mod, { name: "e", requirementsFile: file }).inputs.requirementsSha256;
        expect(a).toMatch(/^[0-9a-f]{64}$/);
        expect(b).not.toBe(a);
    });

    it("refuses a wheels directory without wheels", () => {
        expect(checkInputs(mod, { name: "e", wheels: tmp() }).failures[0]).toEqual({
            property: "wheels",
            reason: expect.stringMatching(/no \.whl files/),
        });
    });
});

/**
 * A stub interpreter: answers python_info's `-c` code, and `-m venv DIR` makes DIR/bin/python (a copy of
 * itself) and DIR/bin/pip, which installs `-r FILE` into site-packages/installed.txt (a package's new line replaces
 * its old one, as pip does) and prints that file, sorted, for `freeze`. `-m venv --without-pip DIR` makes the
 * python only. (It answers no `-I -c`: lib.sh's make_venv then makes no seed and runs the plain `-m venv`.)
 */
const FAKE_PYTHON = `#!/bin/sh
case "$1" in
    -c) echo python_version=3.11.2
        echo python_abi=cpython-311-x86_64-linux-gnu
        echo "python_executable=$0"
        echo python_shared=1 ;;
    -m) [ "$2" = venv ] || exit 2
        if [ "$3" = --without-pip ]; then mkdir -p "$4/bin" && cp "$0" "$4/bin/python"; exit; fi
        mkdir -p "$3/bin"
        cp "$0" "$3/bin/python"
        cat >"$3/bin/pip" <<'PIP'
#!/bin/sh
venv=$(dirname "$(dirname "$0")")
db="$venv/lib/python3.11/site-packages/installed.txt"
mkdir -p "$(dirname "$db")"
[ -f "$db" ] || touch "$db"
echo "$1" >>"$venv/pip-calls"
case "$1" in
    freeze) sort "$db" ;;
    install)
        while [ $# -gt 0 ]; do
            if [ "$1" = -r ]; then
                grep -v '^[[:space:]]*#' "$2" | grep -v '^[[:space:]]*$' | while IFS= read -r line; do
                    pkg=$(printf '%s\\n' "$line" | sed 's/[=<>!~ ;[].*//')
                    grep -v "^$pkg[=<>!~ ;[]" "$db" >"$db.new" || true
                    printf '%s\\n' "$line" >>"$db.new"
                    mv "$db.new" "$db"
                done
                shift
            fi
            shift
        done ;;
    *) exit 2 ;;
esac
PIP
        chmod 755 "$3/bin/pip" ;;
    *) exit 2 ;;
esac
`;

describe("PythonEnv lifecycle (fake host)", () => {
    const PY = "/opt/modwsgi/fakepy/python3";
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
        host.put(PY, FAKE_PYTHON, 0o755);
    });
    afterEach(() => host.cleanup());

    const api = inputs.parse({ name: "api", python: PY, requirements: ["flask==3.1.2", "gunicorn==23.0.0"] });
    const installed = () => host.file(`${envPath("api")}/lib/python3.11/site-packages/installed.txt`);
    const stages = () => fs.readdirSync(host.local(STAGE_ROOT));

    it("create makes the venv with the given python and installs the requirements, then the file's", async () => {
        const dir = tmp();
        const file = path.join(dir, "requirements.txt");
        fs.writeFileSync(file, "# pinned\nwerkzeug==3.1.3\n");
        host.put(MODULE_LOAD, "# mod_wsgi 5.0.2 for cpython-311-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        const state = await pythonEnv.create(host.ctx(), { ...api, requirementsFile: file });
        expect(host.file(`${envPath("api")}/bin/python`)).toBe(FAKE_PYTHON);
        expect(installed()).toBe("flask==3.1.2\ngunicorn==23.0.0\nwerkzeug==3.1.3\n");
        expect(state).toMatchObject({ path: envPath("api"), pythonVersion: "3.11.2" });
        expect(state.freezeSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(state.appliedFreezeSha256).toBe(state.freezeSha256);
        expect(stages()).toEqual([]);
    });

    it("read reports no drift; a package changed by hand shows as freezeSha256; update repairs it", async () => {
        const ctx = host.ctx();
        const state = await pythonEnv.create(ctx, api);
        const live = await pythonEnv.read(ctx, "api", state);
        expect(live).toMatchObject({ pythonVersion: "3.11.2", freezeSha256: state.freezeSha256 });
        expect(diff(pythonEnv, live!, api)).toEqual({ changed: [], replaces: [] });

        host.put(`${envPath("api")}/lib/python3.11/site-packages/installed.txt`, "flask==3.0.0\ngunicorn==23.0.0\n");
        const edited = await pythonEnv.read(ctx, "api", state);
        expect(edited!.freezeSha256).not.toBe(state.freezeSha256);
        expect(edited!.appliedFreezeSha256).toBe(state.appliedFreezeSha256);
        expect(diff(pythonEnv, edited!, api)).toEqual({ changed: ["freezeSha256"], replaces: [] });

        const repaired = await pythonEnv.update(ctx, state, api);
        expect(installed()).toBe("flask==3.1.2\ngunicorn==23.0.0\n");
        expect(repaired.freezeSha256).toBe(state.freezeSha256);
        const after = await pythonEnv.read(ctx, "api", repaired);
        expect(diff(pythonEnv, after!, api).changed).toEqual([]);
    });

    it("read runs pip freeze again only when site-packages changed (its hash is kept beside a stamp)", async () => {
        const ctx = host.ctx();
        const state = await pythonEnv.create(ctx, api);
        const freezes = () =>
            (host.file(`${envPath("api")}/pip-calls`) ?? "").split("\n").filter((c) => c === "freeze").length;
        expect(freezes()).toBe(1);
        for (let i = 0; i < 3; i++)
            expect((await pythonEnv.read(ctx, "api", state))!.freezeSha256).toBe(state.freezeSha256);
        expect(freezes()).toBe(1);
        // Same size, new contents: the entry's time changes the stamp.
        host.put(`${envPath("api")}/lib/python3.11/site-packages/installed.txt`, "flask==3.1.3\ngunicorn==23.0.0\n");
        expect((await pythonEnv.read(ctx, "api", state))!.freezeSha256).not.toBe(state.freezeSha256);
        expect(freezes()).toBe(2);
        // A stamp file edited by hand is no shortcut: it no longer matches, so pip is asked.
        host.put(`${envPath("api")}/modwsgi-freeze.stamp`, `x ${state.freezeSha256}\n`);
        expect((await pythonEnv.read(ctx, "api", state))!.freezeSha256).not.toBe(state.freezeSha256);
        expect(freezes()).toBe(3);
        // Nor is a line cut short (a write interrupted): the right stamp with half a hash.
        const stamp = host.file(`${envPath("api")}/modwsgi-freeze.stamp`)!.split(" ")[0];
        host.put(`${envPath("api")}/modwsgi-freeze.stamp`, `${stamp} ${String(state.freezeSha256).slice(0, 20)}`);
        expect((await pythonEnv.read(ctx, "api", state))!.freezeSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(freezes()).toBe(4);
    });

    it("a python of another ABI than the loaded mod_wsgi fails create before any venv is made", async () => {
        host.put(MODULE_LOAD, "# mod_wsgi 5.0.2 for cpython-313-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        await expect(pythonEnv.create(host.ctx(), api)).rejects.toThrow(
            /cpython-311-x86_64-linux-gnu\) does not match the loaded mod_wsgi \(cpython-313/,
        );
        expect(host.exists(envPath("api"))).toBe(false);
        expect(stages()).toEqual([]);
    });

    it("delete removes the venv; read after it says gone", async () => {
        const ctx = host.ctx();
        const state = await pythonEnv.create(ctx, api);
        await pythonEnv.delete(ctx, state);
        expect(host.exists(envPath("api"))).toBe(false);
        expect(await pythonEnv.read(ctx, "api", state)).toBeNull();
    });
});
