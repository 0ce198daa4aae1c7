// Facts: each parser, table-tested on the outputs the host commands really give; and gatherAll's framing.
import { afterAll, describe, expect, it } from "vitest";
import {
    gather,
    gatherAll,
    loadedModule,
    parseDaemonUser,
    parseOwner,
    ownedBy,
    parseLoad,
    parseModuleBuild,
    parsePythonInfo,
    parseWsgiLoads,
    parseVenv,
    otherWsgiLoads,
    daemonGroupFile,
    type Fact,
} from "../../provider/facts";
import { parseFacts } from "../../provider/remote/scripts";
import { daemonFile, MODULE_LOAD } from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const INFO =
    "python_version=3.11.2\npython_abi=cpython-311-x86_64-linux-gnu\npython_executable=/usr/bin/python3.11\npython_shared=1\n";

describe("fact parsers", () => {
    it.each([
        [
            "our LoadModule file",
            "# Managed\n# mod_wsgi 6.1.1 for cpython-313-x86_64-linux-gnu\nLoadModule wsgi_module /opt/m/mod.so\n",
            { version: "6.1.1", abi: "cpython-313-x86_64-linux-gnu", modulePath: "/opt/m/mod.so" },
        ],
        [
            "a quoted module path",
            '# mod_wsgi 4.9.4 for cpython-311-x86_64-linux-gnu\nLoadModule wsgi_module "/usr/lib/apache2/modules/mod_wsgi.so"\n',
            {
                version: "4.9.4",
                abi: "cpython-311-x86_64-linux-gnu",
                modulePath: "/usr/lib/apache2/modules/mod_wsgi.so",
            },
        ],
        [
            "a hand-written file without our header",
            "LoadModule wsgi_module /x.so\n",
            { version: "unknown", abi: "unknown", modulePath: "/x.so" },
        ],
        ["an empty file", "", { version: "unknown", abi: "unknown", modulePath: "" }],
    ])("parseLoad: %s", (_, text, want) => {
        expect(parseLoad(text)).toEqual(want);
    });

    it.each([
        [
            INFO,
            { version: "3.11.2", abi: "cpython-311-x86_64-linux-gnu", executable: "/usr/bin/python3.11", shared: true },
        ],
        [
            "python_version=3.13.5\npython_abi=cpython-313t-x86_64-linux-gnu\npython_shared=0\n",
            { version: "3.13.5", abi: "cpython-313t-x86_64-linux-gnu", executable: "", shared: false },
        ],
        ["", undefined],
        ["error: no such file\n", undefined],
    ])("parsePythonInfo(%j)", (out, want) => {
        expect(parsePythonInfo(parseFacts(out))).toEqual(want);
    });

    it.each([
        [
            `${INFO}freeze_sha256=abc\n`,
            {
                python: {
                    version: "3.11.2",
                    abi: "cpython-311-x86_64-linux-gnu",
                    executable: "/usr/bin/python3.11",
                    shared: true,
                },
                freezeSha256: "abc",
            },
        ],
        [INFO, undefined],
        ["freeze_sha256=abc\n", undefined],
    ])("parseVenv(%j)", (out, want) => {
        expect(parseVenv(parseFacts(out))).toEqual(want);
    });

    it.each([
        [
            `version=6.1.1\n${INFO}module_sha256=ff00\n`,
            { version: "6.1.1", python: expect.objectContaining({ version: "3.11.2" }), moduleSha256: "ff00" },
        ],
        ["module_sha256=\n", { version: undefined, python: undefined, moduleSha256: undefined }],
        ["version=\nmodule_sha256=ff00\n", { version: undefined, python: undefined, moduleSha256: "ff00" }],
        [
            "module_sha256=ff00\nbuilt_sha256=ee11\napache_running=0\n",
            { moduleSha256: "ff00", builtSha256: "ee11", apacheRunning: false },
        ],
        ["module_sha256=ff00\nbuilt_sha256=\napache_running=1\n", { moduleSha256: "ff00", apacheRunning: true }],
    ])("parseModuleBuild(%j)", (out, want) => {
        expect(parseModuleBuild(parseFacts(out))).toEqual(want);
    });

    it.each([
        ["", []],
        ["/etc/apache2/mods-enabled/wsgi.load\n", ["/etc/apache2/mods-enabled/wsgi.load"]],
        [
            "/etc/apache2/mods-enabled/wsgi.load\n/etc/apache2/conf-enabled/x.conf\n/etc/apache2/mods-enabled/wsgi.load\n",
            ["/etc/apache2/mods-enabled/wsgi.load", "/etc/apache2/conf-enabled/x.conf"],
        ],
        // Ours never counts, nor anything that is not a path (a stray message).
        ["/etc/apache2/mods-enabled/modwsgi.load\ngrep: x: Permission denied\n", []],
    ])("parseWsgiLoads(%j)", (out, want) => {
        expect(parseWsgiLoads(out)).toEqual(want);
    });

    it.each([
        ["WSGIDaemonProcess api threads=5 group=apigroup user=api\n", "api"],
        ['WSGIDaemonProcess api user="#1001" group=x\n', "#1001"],
        ["WSGIDaemonProcess api user=#65534\n", "#65534"],
        ["WSGIDaemonProcess api group=apigroup\n", "www-data"],
        ["WSGIDaemonProcess api user=\n", "www-data"],
        ["# WSGIDaemonProcess api user=api\nWSGIDaemonProcess api threads=5\n", "www-data"],
        [undefined, "www-data"],
    ])("parseDaemonUser(%j) = %s", (text, want) => {
        expect(parseDaemonUser(text)).toBe(want);
    });

    it.each([
        ["33 www-data\n", "www-data", true],
        ["33 www-data\n", "#33", true],
        ["33 www-data\n", "nobody", false],
        ["0 root\n", "www-data", false], // env.json as the old rule left it (root:www-data 640)
        ["4242 4242\n", "#4242", true], // a uid without a name: stat prints the number
        ["4242 4242\n", "#42", false],
        ["33 www-data\n", "#", false],
        ["", "www-data", false], // missing file
    ])("ownedBy(parseOwner(%j), %s) = %s", (out, user, want) => {
        expect(ownedBy(parseOwner(out), user)).toBe(want);
    });
});

describe("gather and gatherAll (fake host)", () => {
    const host = new FakeHost();
    afterAll(() => host.cleanup());

    it("reads several facts in one round trip, each with its own exit code and exact output", async () => {
        host.put(MODULE_LOAD, "# mod_wsgi 6.1.1 for cpython-311-x86_64-linux-gnu\nLoadModule wsgi_module /m.so\n");
        host.put(daemonFile("api"), "WSGIDaemonProcess api threads=5\n");
        const noNewline: Fact<string> = { name: "raw", command: "printf 'x'", parse: (r) => `${r.code}:${r.stdout}` };
        const failing: Fact<string> = {
            name: "fail",
            command: "echo partial; exit 7",
            parse: (r) => `${r.code}:${r.stdout}`,
        };
        const before = host.commands.length;
        const [mod, group, missing, raw, fail] = await gatherAll(host, [
            loadedModule,
            daemonGroupFile("api"),
            daemonGroupFile("other"),
            noNewline,
            failing,
        ]);
        expect(host.commands.length - before).toBe(1);
        expect(mod).toEqual({ version: "6.1.1", abi: "cpython-311-x86_64-linux-gnu", modulePath: "/m.so" });
        expect(group).toBe(daemonFile("api"));
        expect(missing).toBeUndefined();
        expect(raw).toBe("0:x");
        expect(fail).toBe("7:partial\n");
    });

    it("a fact whose file is gone is an answer, not an error", async () => {
        const fresh = new FakeHost();
        expect(await gather(fresh, loadedModule)).toBeUndefined();
        fresh.cleanup();
    });
});

// otherWsgiLoads' own command, run by a local /bin/sh on a copy of Apache's layout (its paths moved to a temp dir).
describe("otherWsgiLoads (local sh, a temp Apache tree)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "wsgi-loads-"));
    afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
    const at = (p: string) => path.join(root, p);
    const scan = () =>
        parseWsgiLoads(
            execFileSync("/bin/sh", ["-c", otherWsgiLoads.command.replaceAll("/etc/apache2", root)], {
                encoding: "utf8",
                timeout: 60_000,
            }).replaceAll(root, "/etc/apache2"),
        );

    it("finds an active LoadModule in any enabled file but ours; reads no FIFO; a dangling link is no error", () => {
        for (const d of ["mods-available", "mods-enabled", "conf-enabled", "sites-available", "sites-enabled"])
            fs.mkdirSync(at(d));
        fs.writeFileSync(at("apache2.conf"), "ServerRoot /etc/apache2\n");
        fs.writeFileSync(at("ports.conf"), "Listen 80\n");
        fs.writeFileSync(at("mods-available/modwsgi.load"), "LoadModule wsgi_module /opt/ours.so\n");
        fs.symlinkSync("../mods-available/modwsgi.load", at("mods-enabled/modwsgi.load"));
        fs.writeFileSync(at("conf-enabled/other.conf"), "  loadmodule \twsgi_module /usr/lib/x.so\n");
        fs.writeFileSync(at("conf-enabled/commented.conf"), "# LoadModule wsgi_module /usr/lib/y.so\n");
        fs.writeFileSync(at("sites-available/with space.conf"), "LoadModule wsgi_module /z.so # here\n");
        fs.symlinkSync(at("sites-available/with space.conf"), at("sites-enabled/with space.conf"));
        execFileSync("mkfifo", [at("sites-enabled/fifo.conf")]);
        fs.symlinkSync("/nonexistent/x.conf", at("sites-enabled/dangling.conf"));
        fs.mkdirSync(at("sites-enabled/dir.conf"));
        expect(scan()).toEqual(["/etc/apache2/conf-enabled/other.conf", "/etc/apache2/sites-enabled/with space.conf"]);
    });

    it("still finds one among more enabled sites than one command line holds (40000)", () => {
        for (let n = 1; n <= 40_000; n++) fs.writeFileSync(at(`sites-enabled/customer-${n}.example.com.conf`), "");
        fs.writeFileSync(at("sites-enabled/customer-40000.example.com.conf"), "LoadModule wsgi_module /last.so\n");
        expect(scan()).toContain("/etc/apache2/sites-enabled/customer-40000.example.com.conf");
    });
});
