import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { createHash } from "node:crypto";
import { inputs } from "../../provider/resources/wsgiModule/schema";
import { renderConf, renderLoad, venvFor } from "../../provider/resources/wsgiModule/render";
import { wsgiModule } from "../../provider/resources/wsgiModule";
import { parseLoad } from "../../provider/facts";
import { checkInputs, diff, type Props } from "../../provider/resource";
import { sha256 } from "../../provider/apache";
import {
    DEBIAN_MODULE_LINKS,
    MODULE_CONF,
    MODULE_CONF_LINK,
    MODULE_LOAD,
    MODULE_LOAD_LINK,
    MODULE_SRC,
    STAGE_ROOT,
    moduleArchive,
    moduleBuiltRecord,
} from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { modWsgiSdist } from "../fixtures";

const mod = wsgiModule;
const SHA = "a42d11ba45d2050ab456a474d034e938605ca76386233ef404daa8b0388ca60e";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const SO =
    "/opt/modwsgi/module/mod_wsgi-6.1.1-python3/lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi-py311.cpython-311-x86_64-linux-gnu.so";

describe("WsgiModule render (golden files)", () => {
    it("loads the built .so under the id wsgi_module (module-load.conf)", () => {
        expect(renderLoad(SO, "6.1.1", "cpython-311-x86_64-linux-gnu")).toBe(golden("module-load.conf"));
    });

    it("loads Debian's package .so when source is distro (module-load-debian-package.conf)", () => {
        const text = renderLoad("/usr/lib/apache2/modules/mod_wsgi.so", "4.9.4", "cpython-311-x86_64-linux-gnu");
        expect(text).toBe(golden("module-load-debian-package.conf"));
        expect(parseLoad(text)).toEqual({
            version: "4.9.4",
            abi: "cpython-311-x86_64-linux-gnu",
            modulePath: "/usr/lib/apache2/modules/mod_wsgi.so",
        });
    });

    it("restricts embedded mode and includes the provider's directory (module-conf.conf)", () => {
        expect(renderConf()).toBe(golden("module-conf.conf"));
    });

    it("builds each version and Python in a venv of its own, so the running module is never touched", () => {
        expect(venvFor(inputs.parse({}))).toBe("/opt/modwsgi/module/mod_wsgi-6.1.1-python3");
        expect(venvFor(inputs.parse({ version: "6.0.5", python: "/usr/bin/python3.13" }))).toBe(
            "/opt/modwsgi/module/mod_wsgi-6.0.5-python3.13",
        );
        // An archive is named by its hash: another archive of the same version is another build.
        expect(venvFor(inputs.parse({ source: "url", url: "http://127.0.0.1/m.tar.gz", sha256: SHA }))).toBe(
            "/opt/modwsgi/module/mod_wsgi-6.1.1-python3-a42d11ba45d2",
        );
        expect(venvFor(inputs.parse({ source: "distro", allowDistroPackage: true }))).toBe("");
    });
});

describe("WsgiModule sources at check", () => {
    it.each([
        [{ source: "sdist", sha256: SHA }, "archive", /required with source "sdist"/],
        [
            { source: "url", url: "http://127.0.0.1/m.tar.gz" },
            "sha256",
            /required with source "url" \(the archive is checked/,
        ],
        [{ source: "url", url: "file:///etc/passwd", sha256: SHA }, "url", /http\(s\) URL/],
        [{ source: "url", url: "http://x/a b", sha256: SHA }, "url", /without spaces/],
        [{ archive: "/tmp/m.tar.gz" }, "archive", /only to source "sdist" \(source is "pypi"\)/],
        [{ sha256: SHA }, "sha256", /only to source "sdist" or "url"/],
        [{ source: "url", url: "http://127.0.0.1/m.tar.gz", sha256: "ABC" }, "sha256", /SHA-256 in hex/],
        [{ source: "distro" }, "source", /4\.9\.4 on Debian 12 and 5\.0\.2 on Debian 13.*allowDistroPackage: true/],
        [
            { source: "distro", allowDistroPackage: true, python: "/usr/bin/python3.13" },
            "python",
            /must be \/usr\/bin\/python3 with source "distro"/,
        ],
        [{ source: "git" }, "source", /pypi|sdist|url|distro/],
    ])("refuses %j naming %s", (value, property, message) => {
        expect(checkInputs(mod, value).failures).toContainEqual({ property, reason: expect.stringMatching(message) });
    });

    it("accepts Debian's package only with allowDistroPackage", () => {
        expect(checkInputs(mod, { source: "distro", allowDistroPackage: true }).failures).toEqual([]);
    });

    it("checks a local archive against sha256 at preview, and build wheels for setuptools", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdist-"));
        const file = path.join(dir, "mod_wsgi-6.1.1.tar.gz");
        fs.writeFileSync(file, "not really an archive");
        const real = createHash("sha256").update("not really an archive").digest("hex");
        expect(checkInputs(mod, { source: "sdist", archive: file, sha256: real }).failures).toEqual([]);
        expect(checkInputs(mod, { source: "sdist", archive: file, sha256: SHA }).failures).toEqual([
            { property: "sha256", reason: `WsgiModule.sha256: ${file} has SHA-256 ${real}, not ${SHA}` },
        ]);
        expect(
            checkInputs(mod, { source: "sdist", archive: path.join(dir, "nope.tar.gz"), sha256: SHA }).failures[0]
                .property,
        ).toBe("archive");
        fs.mkdirSync(path.join(dir, "wheels"));
        fs.writeFileSync(path.join(dir, "wheels", "wheel-0.45.1-py3-none-any.whl"), "w");
        expect(
            checkInputs(mod, { source: "sdist", archive: file, sha256: real, buildWheels: path.join(dir, "wheels") })
                .failures[0],
        ).toEqual({ property: "buildWheels", reason: expect.stringMatching(/holds no setuptools wheel/) });
        fs.writeFileSync(path.join(dir, "wheels", "setuptools-80.0.0-py3-none-any.whl"), "s");
        const ok = checkInputs(mod, {
            source: "sdist",
            archive: file,
            sha256: real,
            buildWheels: path.join(dir, "wheels"),
        });
        expect(ok.failures).toEqual([]);
        expect(ok.inputs.buildWheelsSha256).toMatch(/^[0-9a-f]{64}$/);
    });
});

/** Where the fake pip puts the .so inside a venv (as pip does for CPython 3.11). */
const SO_IN_VENV = "lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi-py311.cpython-311-x86_64-linux-gnu.so";

/**
 * A stand-in CPython 3.11 (shared libpython) answering what native/*.sh ask it; `-m venv DIR` makes a venv of
 * stubs: its python is this script, its pip "builds" mod_wsgi (from `mod_wsgi==X` or a source archive's PKG-INFO)
 * by writing a .so that names the version, and mod_wsgi-express prints where that .so is.
 */
const FAKE_PYTHON = `#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
case "$1" in
    -c)
        case "$2" in
            *python_version=*)
                echo python_version=3.11.2
                echo python_abi=cpython-311-x86_64-linux-gnu
                echo python_executable=/opt/modwsgi/fakepy/python3
                echo python_shared=1 ;;
            *"import venv, ensurepip"*) ;;
            *'get_path("include")'*) echo /opt/modwsgi/fakepy/include ;;
            *importlib.metadata*) cat "$here/../mod_wsgi.version" 2>/dev/null || exit 1 ;;
            # A download that fails, echoing its arguments (as Python's own errors quote the URL they got).
            *urllib.request*) echo "download error: $*" >&2; exit 1 ;;
            *) exit 1 ;;
        esac ;;
    -m)
        [ "$2" = venv ] && [ -n "$3" ] || exit 2
        mkdir -p "$3/bin"
        cp "$0" "$3/bin/python"
        cat >"$3/bin/pip" <<'PIP'
#!/bin/sh
venv=$(cd "$(dirname "$0")/.." && pwd)
case "$1" in
    cache) exit 0 ;;
    install)
        # Each install logged: its arguments, and whether the build sees a sitecustomize.py on PYTHONPATH.
        hook=no
        [ -f "\${PYTHONPATH:-/nonexistent}/sitecustomize.py" ] && grep -q ThreadPoolExecutor "$PYTHONPATH/sitecustomize.py" && hook=yes
        echo "$* (build hook: $hook)" >>"$venv/pip.log"
        case "$*" in *setuptools*) exit 0 ;; esac
        [ -n "$APXS" ] || { echo "pip: no APXS" >&2; exit 1; }
        v=
        for a; do
            case "$a" in
                mod_wsgi==*) v=\${a#mod_wsgi==} ;;
                *.tar.gz) v=$(tar -xzOf "$a" --wildcards '*/PKG-INFO' | sed -n 's/^Version: *//p') ;;
            esac
        done
        [ -n "$v" ] || exit 1
        so="$venv/${SO_IN_VENV}"
        mkdir -p "$(dirname "$so")"
        printf 'ELF mod_wsgi %s\\n' "$v" >"$so"
        echo "$v" >"$venv/mod_wsgi.version" ;;
    *) exit 1 ;;
esac
PIP
        cat >"$3/bin/mod_wsgi-express" <<'EXPRESS'
#!/bin/sh
venv=$(cd "$(dirname "$0")/.." && pwd)
[ "$1" = module-location ] && echo "$venv/${SO_IN_VENV}"
EXPRESS
        chmod 755 "$3/bin/pip" "$3/bin/mod_wsgi-express" ;;
    *) exit 1 ;;
esac
`;

/** The build toolchain build-module.sh checks for: the fake Python, its headers, apxs, a C compiler, a threaded APR. */
function fakeToolchain(host: FakeHost): void {
    host.put("/opt/modwsgi/fakepy/python3", FAKE_PYTHON, 0o755);
    host.put("/opt/modwsgi/fakepy/include/Python.h", "/* Python.h */\n");
    host.put("/opt/modwsgi/fakepy/apr/apr.h", "#define APR_HAS_THREADS 1\n");
    host.stub(
        "apxs",
        `#!/bin/sh
case "$*" in
    "-q CC") echo "fakecc -pthread" ;;
    "-q APR_CONFIG") echo apr-1-config ;;
    *) exit 1 ;;
esac
`,
    );
    host.stub("fakecc", "#!/bin/sh\nexit 0\n");
    host.stub("apr-1-config", '#!/bin/sh\n[ "$1" = --includedir ] && echo "$FAKE_ROOT/opt/modwsgi/fakepy/apr"\n');
}

/**
 * The stub's start leaves a dead pid (Apache then looks stopped); a live one makes it look running. A full
 * restart waits until no apache2 process is left: pgrep must not see this machine's own.
 */
function apacheRunning(host: FakeHost): void {
    host.put("/var/run/apache2/apache2.pid", `${process.pid}\n`);
    host.stub("pgrep", "#!/bin/sh\nexit 1\n");
}

describe("WsgiModule lifecycle (fake host)", () => {
    const PY = "/opt/modwsgi/fakepy/python3";
    const ABI = "cpython-311-x86_64-linux-gnu";
    const pypi = inputs.parse({ python: PY });
    const venv = "/opt/modwsgi/module/mod_wsgi-6.1.1-python3";
    const so = `${venv}/${SO_IN_VENV}`;
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
        fakeToolchain(host);
    });
    afterEach(() => host.cleanup());

    it("create builds the module in its venv, writes and enables both files, and starts Apache fully", async () => {
        const state = await wsgiModule.create(host.ctx(), pypi);
        expect(venvFor(pypi)).toBe(venv);
        expect(host.file(so)).toBe("ELF mod_wsgi 6.1.1\n");
        expect(host.file(MODULE_LOAD)).toBe(renderLoad(so, "6.1.1", ABI));
        expect(host.file(MODULE_LOAD)).toMatch(/^# mod_wsgi 6\.1\.1 for cpython-311-x86_64-linux-gnu$/m);
        expect(host.file(MODULE_CONF)).toBe(renderConf());
        for (const [link, target] of [
            [MODULE_LOAD_LINK, MODULE_LOAD],
            [MODULE_CONF_LINK, MODULE_CONF],
        ]) {
            expect(fs.lstatSync(host.local(link)).isSymbolicLink()).toBe(true);
            expect(fs.readlinkSync(host.local(link))).toBe(host.local(target));
        }
        expect(state).toEqual({
            ...pypi,
            venv,
            moduleVersion: "6.1.1",
            modulePath: so,
            moduleSha256: sha256("ELF mod_wsgi 6.1.1\n"),
            builtSha256: sha256("ELF mod_wsgi 6.1.1\n"),
            pythonVersion: "3.11.2",
            pythonAbi: ABI,
            configSha256: sha256(renderLoad(so, "6.1.1", ABI) + renderConf()),
            moduleEnabled: true,
            apacheRunning: true,
            conflictingLoads: [],
        });
        // setuptools goes into the venv first, so the build runs without pip's isolation and sees the hook
        // that compiles on every core; the hook is gone afterwards.
        expect((host.file(`${venv}/pip.log`) ?? "").trim().split("\n")).toEqual([
            "install --disable-pip-version-check -q setuptools>=70.1 (build hook: no)",
            "install --disable-pip-version-check -q --no-build-isolation --use-pep517 mod_wsgi==6.1.1 (build hook: yes)",
        ]);
        expect(fs.existsSync(host.local(`${venv}/build-hooks`))).toBe(false);
        // The hash is recorded in the venv at build time, where a refresh (or an import) finds it again.
        expect(host.file(moduleBuiltRecord(venv))).toBe(`${sha256("ELF mod_wsgi 6.1.1\n")}  ${so}\n`);
        // Apache was not running: started (a full start, never a graceful reload, for a new module).
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
    });

    it("read reports what was applied (no drift); without a prior state it finds the Python from the venv", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        apacheRunning(host);
        const live = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(live).toEqual(state);
        expect(diff(mod, live!, pypi)).toEqual({ changed: [], replaces: [] });
        const imported = await wsgiModule.read(ctx, "mod_wsgi", undefined);
        expect(imported).toMatchObject({ source: "pypi", version: "6.1.1", python: PY, venv, pythonAbi: ABI });
    });

    it("a .so replaced by other bytes shows as a new moduleSha256; a removed one as missing (drift)", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        host.put(so, "other bytes");
        const live = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(live!.moduleSha256).toBe(sha256("other bytes"));
        expect(live!.moduleSha256).not.toBe(state.moduleSha256);
        fs.rmSync(host.local(so));
        const gone = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(gone).toMatchObject({ moduleSha256: "missing", moduleVersion: "unknown", pythonAbi: "unknown" });
        expect(wsgiModule.drift!({ ...state, ...gone! }, pypi)).toContain("moduleSha256");
    });

    it("a hand-edited LoadModule file shows as configSha256; update puts it back with a graceful reload", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        apacheRunning(host);
        host.put(MODULE_LOAD, host.file(MODULE_LOAD) + "# tuned by hand\n");
        const edited = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(edited!.configSha256).not.toBe(state.configSha256);
        // Edited in place: still enabled (the link leads to the edited file), only the fingerprint differs.
        expect(edited!.moduleEnabled).toBe(true);
        expect(diff(mod, edited!, pypi).changed).toEqual(["configSha256"]);
        const before = host.apacheCalls().length;
        await wsgiModule.update(ctx, { ...state, ...edited! }, pypi);
        expect(host.file(MODULE_LOAD)).toBe(renderLoad(so, "6.1.1", ABI));
        // The same .so: no restart needed.
        expect(host.apacheCalls().slice(before)).toContain("graceful");
        expect(host.apacheCalls().slice(before)).not.toContain("stop");
        const live = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(diff(mod, live!, pypi).changed).toEqual([]);
    });

    it("a new version builds in a venv of its own, restarts Apache fully, then removes the old venv", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        const next = inputs.parse({ python: PY, version: "6.1.2" });
        apacheRunning(host);
        const before = host.apacheCalls().length;
        expect(host.exists(venv)).toBe(true);
        const updated = await wsgiModule.update(ctx, state, next);
        expect(updated.venv).toBe("/opt/modwsgi/module/mod_wsgi-6.1.2-python3");
        expect(updated.moduleVersion).toBe("6.1.2");
        expect(host.file(MODULE_LOAD)).toBe(renderLoad(`${updated.venv}/${SO_IN_VENV}`, "6.1.2", ABI));
        expect(host.apacheCalls().slice(before)).toEqual(["-t", "stop", "start"]);
        expect(host.exists(venv)).toBe(false);
    });

    it("a configuration Apache rejects fails the step and leaves the old files (and the old venv)", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 3: Cannot load mod_wsgi.so: undefined symbol\n");
        await expect(wsgiModule.update(ctx, state, inputs.parse({ python: PY, version: "6.1.2" }))).rejects.toThrow(
            /undefined symbol/,
        );
        expect(host.file(MODULE_LOAD)).toBe(renderLoad(so, "6.1.1", ABI));
        expect(host.file(MODULE_CONF)).toBe(renderConf());
        expect(host.file(so)).toBe("ELF mod_wsgi 6.1.1\n");
    });

    it("refuses to build while Debian's own module is enabled (it would load instead)", async () => {
        host.put(DEBIAN_MODULE_LINKS[0], "LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n");
        await expect(wsgiModule.create(host.ctx(), pypi)).rejects.toThrow(
            /another LoadModule wsgi_module is enabled in \/etc\/apache2\/mods-enabled\/wsgi\.load \(disable it: a2dismod wsgi\)/,
        );
        expect(host.exists(MODULE_LOAD)).toBe(false);
        // Refused before anything was built.
        expect(host.exists(venv)).toBe(false);
    });

    it("sdist: uploads the archive once, builds from it, and delete removes the files, the venv and the archive", async () => {
        const { archive, sha256: sum } = modWsgiSdist("6.1.1");
        const sdist = inputs.parse({ source: "sdist", archive, sha256: sum, python: PY });
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, sdist);
        expect(state.venv).toBe(`${venv}-${sum.slice(0, 12)}`);
        expect(host.exists(moduleArchive(sum))).toBe(true);
        await wsgiModule.update(ctx, state, sdist);
        expect(host.writes.filter((w) => w === moduleArchive(sum))).toHaveLength(1);
        expect(host.exists(venvFor(sdist))).toBe(true);
        await wsgiModule.delete(ctx, state);
        expect(host.exists(venvFor(sdist))).toBe(false);
        expect(host.exists(MODULE_SRC)).toBe(false);
        fs.rmSync(path.dirname(archive), { recursive: true, force: true });
    });

    it("delete removes both files, both links and the venv, with a full restart; read then says gone", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        expect(host.exists(venv)).toBe(true);
        apacheRunning(host);
        const before = host.apacheCalls().length;
        await wsgiModule.delete(ctx, state);
        for (const p of [MODULE_LOAD, MODULE_CONF, MODULE_LOAD_LINK, MODULE_CONF_LINK])
            expect(host.exists(p)).toBe(false);
        expect(host.exists(venv)).toBe(false);
        expect(host.apacheCalls().slice(before)).toEqual(["-t", "stop", "start"]);
        expect(await wsgiModule.read(ctx, "mod_wsgi", state)).toBeNull();
    });

    it("a LoadModule hand-edited to point elsewhere is drift (modulePath): up and destroy never remove its tree", async () => {
        // What happened on a sandbox host with /usr/local: here a directory in a mapped root stands in for it.
        const sentinel = "/opt/modwsgi/usrlocal-sentinel";
        const foreign = `${sentinel}/lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi.so`;
        const handEdit = () => host.put(MODULE_LOAD, renderLoad(foreign, "6.1.1", ABI));
        host.put(`${sentinel}/bin/keep`, "keep\n");
        host.put(foreign, "ELF someone else's mod_wsgi\n");
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        apacheRunning(host);

        // Refresh, then up with the same program: the LoadModule file is put back, nothing of the sentinel goes.
        handEdit();
        const live = await wsgiModule.read(ctx, "mod_wsgi", state);
        expect(live).toMatchObject({ venv, modulePath: foreign, moduleVersion: "6.1.1", version: "6.1.1" });
        expect(diff(mod, { ...state, ...live! }, pypi).changed).toEqual(["modulePath"]);
        const fixed = await wsgiModule.update(ctx, { ...state, ...live! }, pypi);
        expect(fixed).toMatchObject({ venv, modulePath: so });
        expect(host.file(MODULE_LOAD)).toBe(renderLoad(so, "6.1.1", ABI));
        expect(host.exists(`${sentinel}/bin/keep`)).toBe(true);
        expect(host.exists(so)).toBe(true);

        // Refresh, then up with a new version: the old venv the program built goes, the sentinel stays.
        handEdit();
        const next = inputs.parse({ python: PY, version: "6.1.2" });
        const live2 = await wsgiModule.read(ctx, "mod_wsgi", fixed);
        const updated = await wsgiModule.update(ctx, { ...fixed, ...live2! }, next);
        expect(updated.venv).toBe(venvFor(next));
        expect(host.exists(venv)).toBe(false);
        expect(host.exists(`${sentinel}/bin/keep`)).toBe(true);

        // Refresh, then destroy.
        handEdit();
        const live3 = await wsgiModule.read(ctx, "mod_wsgi", updated);
        expect(live3!.venv).toBe(venvFor(next));
        await wsgiModule.delete(ctx, { ...updated, ...live3! });
        expect(host.exists(venvFor(next))).toBe(false);
        expect(host.exists(`${sentinel}/bin/keep`)).toBe(true);
        expect(host.exists(foreign)).toBe(true);
        for (const c of host.commands) expect(c.command).not.toMatch(/rm -rf[^;|&]*usrlocal-sentinel/);
    });

    it("a state whose venv was taken from the host (earlier releases) is not what delete removes", async () => {
        const sentinel = "/opt/modwsgi/usrlocal-sentinel";
        host.put(`${sentinel}/bin/keep`, "keep\n");
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        await wsgiModule.delete(ctx, { ...state, venv: sentinel });
        expect(host.exists(venv)).toBe(false);
        expect(host.exists(`${sentinel}/bin/keep`)).toBe(true);
    });

    it("url: credentials in the url never reach a command line, a log or an error", async () => {
        const SECRET = "s3cr3t-Pa55";
        const { archive, sha256: sum } = modWsgiSdist("6.1.1", "url-");
        fs.mkdirSync(path.dirname(host.local(moduleArchive(sum))), { recursive: true });
        fs.copyFileSync(archive, host.local(moduleArchive(sum)));
        fs.rmSync(path.dirname(archive), { recursive: true, force: true });
        const url = `https://deploy:${SECRET}@mirror.example.org/mod_wsgi-6.1.1.tar.gz`;
        const ctx = host.ctx();

        // The archive is there already (same hash): built without a download, through a whole lifecycle.
        const withUrl = inputs.parse({ source: "url", url, sha256: sum, python: PY });
        const state = await wsgiModule.create(ctx, withUrl);
        expect(state.moduleVersion).toBe("6.1.1");
        await wsgiModule.update(ctx, { ...state, ...(await wsgiModule.read(ctx, "mod_wsgi", state))! }, withUrl);
        await wsgiModule.delete(ctx, state);

        // Another archive: the host downloads it, and the download fails.
        for (const [bad, shown] of [
            [url, "https://deploy:***@mirror.example.org/mod_wsgi-6.1.1.tar.gz"],
            [`https://${SECRET}@mirror.example.org/m.tar.gz`, "https://***@mirror.example.org/m.tar.gz"],
        ]) {
            const failing = inputs.parse({ source: "url", url: bad, sha256: SHA, python: PY });
            const err = await wsgiModule.create(ctx, failing).then(
                () => new Error("created"),
                (e: Error) => e,
            );
            expect(err.message).toContain(`could not download ${shown}`);
            expect(err.message).not.toContain(SECRET);
        }
        expect(host.commands.length).toBeGreaterThan(0);
        for (const c of host.commands) expect(c.command).not.toContain(SECRET);
        expect(ctx.messages.join("\n")).not.toContain(SECRET);
        // Nothing staged for the download is left behind.
        expect(fs.readdirSync(host.local(STAGE_ROOT))).toEqual([]);
    });

    // source "distro" needs apt and dpkg's database: covered end to end (test/e2e), not on the fake.
});

/**
 * Apache's stub, but a start leaves a live pid (this test process's) the way a real start does, so a read after
 * `up` sees Apache running; a stop removes it as before.
 */
function apacheStartsForReal(host: FakeHost): void {
    fs.renameSync(path.join(host.stubs, "apache2ctl"), path.join(host.stubs, "apache2ctl.stub"));
    host.stub(
        "apache2ctl",
        `#!/bin/sh\n"$0.stub" "$@" || exit\n[ "$1" != start ] || echo ${process.pid} >"$FAKE_ROOT/var/run/apache2/apache2.pid"\n`,
    );
    host.stub("pgrep", "#!/bin/sh\nexit 1\n");
}

describe("WsgiModule drift that matters (issue 12: classes 4, 5, 13, 14)", () => {
    const PY = "/opt/modwsgi/fakepy/python3";
    const pypi = inputs.parse({ python: PY });
    const venv = "/opt/modwsgi/module/mod_wsgi-6.1.1-python3";
    const so = `${venv}/${SO_IN_VENV}`;
    const BUILT = "ELF mod_wsgi 6.1.1\n";
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
        fakeToolchain(host);
        apacheStartsForReal(host);
    });
    afterEach(() => host.cleanup());

    /** Refresh (read with the state as olds) then the engine's diff; the state the update gets. */
    async function refresh(state: Props): Promise<{ live: Props; changed: string[] }> {
        const live = { ...state, ...(await wsgiModule.read(host.ctx(), "mod_wsgi", state))! };
        return { live, changed: diff(mod, live, pypi).changed };
    }

    it("class 4: a .so replaced by other bytes is moduleSha256 drift across refreshes and imports; up rebuilds it with a full restart", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        expect((await refresh(state)).changed).toEqual([]);
        host.put(so, "other bytes");
        const first = await refresh(state);
        expect(first.live).toMatchObject({ moduleSha256: sha256("other bytes"), builtSha256: sha256(BUILT) });
        expect(first.changed).toEqual(["moduleSha256"]);
        // A second refresh starts from the first one's state: the expected hash comes from the host, not the state.
        expect((await refresh(first.live)).changed).toEqual(["moduleSha256"]);
        const imported = (await wsgiModule.read(ctx, "mod_wsgi", undefined))!;
        expect(imported.builtSha256).toBe(sha256(BUILT));
        expect(wsgiModule.drift!(imported, pypi)).toEqual(["moduleSha256"]);

        const before = host.apacheCalls().length;
        const fixed = await wsgiModule.update(ctx, first.live, pypi);
        expect(host.file(so)).toBe(BUILT);
        expect(fixed).toMatchObject({ moduleSha256: sha256(BUILT), builtSha256: sha256(BUILT) });
        // Other bytes were loaded or could be: a new .so is a full stop and start, never a graceful reload.
        expect(host.apacheCalls().slice(before)).toEqual(["-t", "stop", "start"]);
        expect((await refresh(fixed)).changed).toEqual([]);
    });

    it("class 4: a removed .so is rebuilt by up (the venv's metadata alone does not count as built)", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        fs.rmSync(host.local(so));
        const { live, changed } = await refresh(state);
        // With the .so gone nothing of the build is known (version "unknown"), which the diff names first.
        expect(live).toMatchObject({ moduleSha256: "missing", version: "unknown" });
        expect(changed).toEqual(["version"]);
        await wsgiModule.update(ctx, live, pypi);
        expect(host.file(so)).toBe(BUILT);
        expect((await refresh(state)).changed).toEqual([]);
    });

    it("class 4: a build of an earlier release (no record in its venv) is taken as built, and recorded by the next up", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        fs.rmSync(host.local(moduleBuiltRecord(venv)));
        const { live, changed } = await refresh(state);
        expect(changed).toEqual([]);
        expect(live.builtSha256).toBe(sha256(BUILT));
        await wsgiModule.update(ctx, live, pypi);
        expect(host.file(moduleBuiltRecord(venv))).toBe(`${sha256(BUILT)}  ${so}\n`);
    });

    it("class 5: a2dismod (both links removed) is moduleEnabled drift; up links both again with a full restart", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        fs.rmSync(host.local(MODULE_LOAD_LINK));
        fs.rmSync(host.local(MODULE_CONF_LINK));
        const { live, changed } = await refresh(state);
        expect(live.moduleEnabled).toBe(false);
        expect(changed).toEqual(["moduleEnabled"]);
        const before = host.apacheCalls().length;
        await wsgiModule.update(ctx, live, pypi);
        expect(fs.readlinkSync(host.local(MODULE_LOAD_LINK))).toBe(host.local(MODULE_LOAD));
        expect(fs.readlinkSync(host.local(MODULE_CONF_LINK))).toBe(host.local(MODULE_CONF));
        expect(host.apacheCalls().slice(before)).toEqual(["-t", "stop", "start"]);
        expect((await refresh(state)).changed).toEqual([]);
    });

    it("class 5: a mods-enabled link that leads to another file is not enabled; up points it at ours again", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        fs.rmSync(host.local(MODULE_LOAD_LINK));
        host.put(MODULE_LOAD_LINK, "# nothing loaded here\n");
        const { live, changed } = await refresh(state);
        expect(changed).toEqual(["moduleEnabled"]);
        await wsgiModule.update(ctx, live, pypi);
        expect(fs.readlinkSync(host.local(MODULE_LOAD_LINK))).toBe(host.local(MODULE_LOAD));
        expect((await refresh(state)).changed).toEqual([]);
    });

    it("class 13: Apache stopped is apacheRunning drift; up starts it after a configtest", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        expect((await refresh(state)).live.apacheRunning).toBe(true);
        await host.exec("apache2ctl stop");
        const { live, changed } = await refresh(state);
        expect(live.apacheRunning).toBe(false);
        expect(changed).toEqual(["apacheRunning"]);
        const before = host.apacheCalls().length;
        await wsgiModule.update(ctx, live, pypi);
        expect(host.apacheCalls().slice(before)).toEqual(["-t", "start"]);
        expect((await refresh(state)).changed).toEqual([]);
    });

    it("class 13: a config Apache rejects keeps it stopped and fails up with Apache's message", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        await host.exec("apache2ctl stop");
        const { live } = await refresh(state);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 1 of /etc/apache2/conf-enabled/broken.conf\n");
        const before = host.apacheCalls().length;
        await expect(wsgiModule.update(ctx, live, pypi)).rejects.toThrow(/broken\.conf/);
        expect(host.apacheCalls().slice(before)).toEqual(["-t"]);
        expect((await refresh(state)).live.apacheRunning).toBe(false);
    });

    it.each([
        [
            "Debian's package enabled (a2enmod wsgi)",
            "/etc/apache2/mods-enabled/wsgi.load",
            "LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so\n",
            "a2dismod wsgi",
        ],
        [
            "a hand-written conf, other case and indentation",
            "/etc/apache2/conf-enabled/legacy.conf",
            "<IfModule !wsgi_module>\n  loadmodule WSGI_MODULE /usr/local/lib/mod_wsgi.so\n</IfModule>\n",
            "a2disconf legacy",
        ],
        [
            "a site",
            "/etc/apache2/sites-enabled/old.conf",
            "LoadModule wsgi_module /opt/old/mod_wsgi.so\n<VirtualHost *:80>\n</VirtualHost>\n",
            "a2dissite old",
        ],
        [
            "a file in the provider's include directory",
            "/etc/apache2/modwsgi.d/99-extra.conf",
            "\tLoadModule wsgi_module /opt/old/mod_wsgi.so\n",
            "remove its LoadModule wsgi_module line",
        ],
    ])(
        "class 14: %s is reported as conflictingLoads; up fails naming it and the fix, and keeps it",
        async (_, file, text, fix) => {
            const ctx = host.ctx();
            const state = await wsgiModule.create(ctx, pypi);
            host.put(file, text);
            const { live, changed } = await refresh(state);
            expect(live.conflictingLoads).toEqual([file]);
            expect(changed).toEqual(["conflictingLoads"]);
            const before = host.commands.length;
            const err = await wsgiModule.update(ctx, live, pypi).then(
                () => new Error("updated"),
                (e: Error) => e,
            );
            expect(err.message).toContain(`another LoadModule wsgi_module is enabled in ${file} (disable it: ${fix})`);
            expect(err.message).toMatch(/does not remove files it does not own/);
            // Nothing ran that changes the host: no build, no transaction; the file is as it was.
            expect(host.commands.slice(before).some((c) => /build-module|apply-config/.test(c.stdin ?? ""))).toBe(
                false,
            );
            expect(host.file(file)).toBe(text);
            // Disabled by hand as the message says: nothing left to report.
            fs.rmSync(host.local(file));
            expect((await refresh(state)).changed).toEqual([]);
        },
    );

    it("class 14: no false positives (comments, files not enabled, links to our own file, other modules)", async () => {
        const ctx = host.ctx();
        const state = await wsgiModule.create(ctx, pypi);
        host.put("/etc/apache2/conf-enabled/notes.conf", "# LoadModule wsgi_module /old/mod_wsgi.so\n");
        host.put("/etc/apache2/mods-available/wsgi.load", "LoadModule wsgi_module /usr/lib/mod_wsgi.so\n");
        host.put("/etc/apache2/conf-available/old.conf", "LoadModule wsgi_module /old/mod_wsgi.so\n");
        host.put("/etc/apache2/mods-enabled/wsgi_extra.load", "LoadModule wsgi_extra_module /x.so\n");
        fs.symlinkSync(host.local(MODULE_LOAD), host.local("/etc/apache2/mods-enabled/zz-modwsgi.load"));
        const { live, changed } = await refresh(state);
        expect(live.conflictingLoads).toEqual([]);
        expect(changed).toEqual([]);
    });
});
