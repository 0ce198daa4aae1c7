// Free-threaded CPython (PEP 703): its ABI carries a `t` (cpython-313t-x86_64-linux-gnu). Everything that parses
// or compares ABIs keeps it: the LoadModule file's record, ApacheHost.freeThreading's check, the Python version
// read from the ABI, and the venv check of native/sync-venv.sh (a GIL venv never loads into a 3.13t module).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apacheHost } from "../../provider/resources/apacheHost";
import { inputs } from "../../provider/resources/apacheHost/schema";
import { inputs as envInputs } from "../../provider/resources/pythonEnv/schema";
import { pythonEnv } from "../../provider/resources/pythonEnv";
import { renderLoad, venvFor } from "../../provider/resources/wsgiModule/render";
import { inputs as moduleInputs } from "../../provider/resources/wsgiModule/schema";
import { parseLoad, parsePythonInfo } from "../../provider/facts";
import { envPath, MODULE_LOAD, SERVER_FILE } from "../../provider/layout";
import { FakeHost } from "../fakeHost";

const FT = "cpython-313t-x86_64-linux-gnu";
const GIL = "cpython-313-x86_64-linux-gnu";
const SO = `/opt/modwsgi/module/mod_wsgi-6.1.1-python3.13t/lib/python3.13t/site-packages/mod_wsgi/server/mod_wsgi-py313t.${FT}.so`;

describe("the t ABI in the module's records", () => {
    it("the LoadModule file keeps it, and reads it back whole", () => {
        expect(parseLoad(renderLoad(SO, "6.1.1", FT))).toEqual({ version: "6.1.1", abi: FT, modulePath: SO });
    });

    it("python_info's facts keep it", () => {
        const f = { python_version: "3.13.5", python_abi: FT, python_executable: "/opt/python3.13t/bin/python3.13t" };
        expect(parsePythonInfo({ ...f, python_shared: "1" })).toEqual({
            version: "3.13.5",
            abi: FT,
            executable: "/opt/python3.13t/bin/python3.13t",
            shared: true,
        });
    });

    it("a module for python3.13t builds in a venv of its own, apart from one for python3", () => {
        const ft = venvFor(moduleInputs.parse({ python: "/opt/python3.13t/bin/python3.13t" }));
        expect(ft).toBe("/opt/modwsgi/module/mod_wsgi-6.1.1-python3.13t");
        expect(ft).not.toBe(venvFor(moduleInputs.parse({})));
    });
});

describe("ApacheHost.freeThreading against the loaded module's ABI (fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());
    const loaded = (abi: string) =>
        host.put(MODULE_LOAD, `# mod_wsgi 6.1.1 for ${abi}\nLoadModule wsgi_module /x.so\n`);
    const desired = inputs.parse({ freeThreading: true });

    it.each([FT, "cpython-314t-x86_64-linux-gnu", "cpython-313t-aarch64-linux-gnu"])(
        "is written for a module built for %s",
        async (abi) => {
            loaded(abi);
            const state = await apacheHost.create(host.ctx(), desired);
            expect(host.file(SERVER_FILE)).toMatch(/^WSGIFreeThreading On$/m);
            expect(state.freeThreading).toBe(true);
        },
    );

    it.each([
        [GIL, /built for cpython-313-x86_64-linux-gnu/],
        ["cpython-311-x86_64-linux-gnu", /built for cpython-311-x86_64-linux-gnu/],
        // A name with a t elsewhere is not the free-threaded ABI.
        ["cpython-313-x86_64-linux-gnut", /built for cpython-313-x86_64-linux-gnut/],
        ["unknown", /built for unknown/],
    ])("is refused, before anything is written, for a module built for %s", async (abi, why) => {
        loaded(abi);
        await expect(apacheHost.create(host.ctx(), desired)).rejects.toThrow(
            new RegExp(`ApacheHost\\.freeThreading needs mod_wsgi built for a free-threaded Python.*${why.source}`),
        );
        expect(host.exists(SERVER_FILE)).toBe(false);
    });

    it("is refused with no module loaded yet, naming the order to fix it", async () => {
        await expect(apacheHost.create(host.ctx(), desired)).rejects.toThrow(/create the WsgiModule first/);
    });

    it("off is written on any build (mod_wsgi then forces the GIL on, also on 3.13t)", async () => {
        for (const abi of [GIL, FT]) {
            loaded(abi);
            await apacheHost.create(host.ctx(), inputs.parse({ freeThreading: false }));
            expect(host.file(SERVER_FILE)).toMatch(/^WSGIFreeThreading Off$/m);
        }
    });
});

/** python_info's answers for a stub interpreter of `abi`; `-m venv DIR` copies it, with a pip that does nothing. */
const stubPython = (abi: string) => `#!/bin/sh
case "$1" in
    -c) echo python_version=3.13.5
        echo python_abi=${abi}
        echo "python_executable=$0"
        echo python_shared=1 ;;
    -m) [ "$3" != --without-pip ] || { mkdir -p "$4/bin" && cp "$0" "$4/bin/python"; exit; }
        mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
        printf '#!/bin/sh\\n[ "$1" != freeze ] || echo wsgiref==0.1\\n' >"$3/bin/pip" && chmod 755 "$3/bin/pip" ;;
    *) exit 2 ;;
esac
`;

describe("PythonEnv against a 3.13t module (native/sync-venv.sh's ABI check, fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());
    // Under a directory the fake host maps (it stands for /opt/python3.13t/bin/python3.13t).
    const PY = "/opt/modwsgi/fakepy/python3.13t";
    const env = envInputs.parse({ name: "ft", python: PY });

    it("a venv of the free-threaded Python is made for a module built for it", async () => {
        host.put(PY, stubPython(FT), 0o755);
        host.put(MODULE_LOAD, `# mod_wsgi 6.1.1 for ${FT}\nLoadModule wsgi_module ${SO}\n`);
        const state = await pythonEnv.create(host.ctx(), env);
        expect(state).toMatchObject({ path: envPath("ft"), pythonVersion: "3.13.5" });
    });

    it.each([
        [GIL, FT],
        [FT, GIL],
    ])("a %s venv is refused for a module built for %s (its daemons could not start)", async (venvAbi, modAbi) => {
        host.put(PY, stubPython(venvAbi), 0o755);
        host.put(MODULE_LOAD, `# mod_wsgi 6.1.1 for ${modAbi}\nLoadModule wsgi_module /x.so\n`);
        await expect(pythonEnv.create(host.ctx(), env)).rejects.toThrow(
            new RegExp(`\\(${venvAbi}\\) does not match the loaded mod_wsgi \\(${modAbi}\\)`),
        );
        expect(host.exists(envPath("ft"))).toBe(false);
    });
});
