import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { OPTIONS, inputs } from "../../provider/resources/daemonProcess/schema";
import { render, parse } from "../../provider/resources/daemonProcess/render";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { checkInputs, diff, UNKNOWN } from "../../provider/resource";
import { sha256, words } from "../../provider/apache";
import { daemonFile, MODULE_LOAD } from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { daemonInputs, HOSTILE } from "../arbitraries";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = daemonProcess;

/** Every option set, each to a value that is not its default (scriptGroup excludes scriptUser: tested apart). */
export const EVERY_OPTION = {
    name: "every-option",
    processes: 3,
    threads: 12,
    pythonHome: "/opt/modwsgi/envs/api",
    pythonPath: ["/srv/lib", "/srv/vendor"],
    pythonEggs: "/var/cache/eggs",
    user: "www-data",
    group: "#33",
    supplementaryGroups: ["adm", "staff"],
    umask: "0027",
    home: "/srv/api",
    chroot: "/srv/jail",
    displayName: "(wsgi:api)",
    lang: "en_US.UTF-8",
    locale: "en_US.UTF-8",
    scriptUser: "www-data",
    socketUser: "#33",
    queueTimeout: 30,
    socketTimeout: 90,
    connectTimeout: 10,
    requestTimeout: 120,
    interruptTimeout: 10,
    inactivityTimeout: 600,
    startupTimeout: 30,
    deadlockTimeout: 120,
    gracefulTimeout: 20,
    evictionTimeout: 5,
    restartInterval: 86400,
    shutdownTimeout: 8,
    responseSocketTimeout: 30,
    maximumRequests: 10000,
    listenBacklog: 200,
    sendBufferSize: 65536,
    receiveBufferSize: 65536,
    headerBufferSize: 65536,
    responseBufferSize: 1048576,
    responseFlushDelay: 10,
    stackSize: 1048576,
    cpuTimeLimit: 3600,
    cpuPriority: 5,
    memoryLimit: 1073741824,
    virtualMemoryLimit: 4294967296,
    serverMetrics: true,
    switchInterval: 0.01,
};

describe("DaemonProcess render (golden files)", () => {
    it("writes the upstream recommended defaults (daemon-defaults.conf)", () => {
        expect(render(inputs.parse({ name: "hello" }))).toBe(golden("daemon-defaults.conf"));
    });

    it("writes user, group, python-home and processes when set (daemon-full.conf)", () => {
        const i = inputs.parse({
            name: "api",
            processes: 2,
            threads: 8,
            pythonHome: "/opt/modwsgi/envs/api",
            user: "www-data",
            group: "www-data",
        });
        expect(render(i)).toBe(golden("daemon-full.conf"));
    });

    it("writes every mod_wsgi 6 option in its own syntax (daemon-every-option.conf)", () => {
        expect(
            Object.keys(EVERY_OPTION)
                .filter((k) => k !== "name")
                .sort(),
        ).toEqual(
            Object.keys(OPTIONS)
                .filter((k) => k !== "scriptGroup")
                .sort(),
        );
        expect(render(inputs.parse(EVERY_OPTION))).toBe(golden("daemon-every-option.conf"));
    });
});

describe("DaemonProcess parse", () => {
    it("reads every option back to the same typed value", () => {
        const i = inputs.parse(EVERY_OPTION);
        expect(parse(render(i))).toEqual(i);
    });

    it("round-trips 300 random valid inputs: render then parse gives the inputs back, on one directive line", () => {
        fc.assert(
            fc.property(daemonInputs(), (raw) => {
                const i = inputs.parse(raw);
                const text = render(i);
                expect(text.split("\n").filter((l) => l && !l.startsWith("#"))).toHaveLength(1);
                expect(parse(text)).toEqual(i);
            }),
            { numRuns: 300 },
        );
    });
});

describe("DaemonProcess check", () => {
    it("names the property and the reason for a bad value", () => {
        const { failures } = checkInputs(mod, { name: "hello", threads: -1 });
        expect(failures).toEqual([
            { property: "threads", reason: expect.stringMatching(/^DaemonProcess\.threads: .*>=0/) },
        ]);
    });

    it.each([["root"], ["#0"]])("refuses %s as the daemon user", (user) => {
        const { failures } = checkInputs(mod, { name: "hello", user });
        expect(failures[0]).toEqual({ property: "user", reason: expect.stringMatching(/root \(id 0\) is refused/) });
    });

    it("refuses options mod_wsgi 6 removed, saying why", () => {
        const { failures } = checkInputs(mod, { name: "hello", newrelicConfigFile: "/etc/newrelic.ini" });
        expect(failures).toEqual([
            { property: "newrelicConfigFile", reason: expect.stringMatching(/removed in mod_wsgi 6\.0/) },
        ]);
    });

    it("refuses unknown properties", () => {
        const { failures } = checkInputs(mod, { name: "hello", threadz: 5 });
        expect(failures[0].reason).toMatch(/no property "threadz"/);
    });

    it("refuses scriptUser together with scriptGroup", () => {
        const { failures } = checkInputs(mod, { name: "hello", scriptUser: "a", scriptGroup: "b" });
        expect(failures[0]).toEqual({ property: "scriptGroup", reason: expect.stringMatching(/not both/) });
    });

    it.each([
        ["sendBufferSize", 100, /at least 512/],
        ["headerBufferSize", 4096, /at least 8192/],
        ["responseBufferSize", 1000, /at least 65536/],
        ["cpuPriority", 21, /<=20/],
        ["switchInterval", 0, />=0.0001/],
        ["umask", "999", /octal/],
    ])("enforces mod_wsgi's range for %s", (prop, value, message) => {
        const { failures } = checkInputs(mod, { name: "hello", [prop]: value });
        expect(failures[0]).toEqual({ property: prop, reason: expect.stringMatching(message) });
    });

    it("lets values still unknown in preview through", () => {
        const { inputs: out, failures } = checkInputs(mod, { name: "hello", pythonHome: UNKNOWN });
        expect(failures).toEqual([]);
        expect(out.pythonHome).toBe(UNKNOWN);
        expect(out.threads).toBe(5);
    });

    // Every property, every hostile value: refused naming that property, or written as one inert word.
    const props = ["name", ...Object.keys(OPTIONS)];
    it.each(props)("%s: hostile values are refused naming it, or rendered inert", (prop) => {
        for (const value of HOSTILE) {
            const { inputs: checked, failures } = checkInputs(mod, { name: "hostile", [prop]: value });
            if (failures.length > 0) {
                expect(failures.map((f) => f.property.split(/[.[]/)[0])).toContain(prop);
                continue;
            }
            const text = render(checked as never);
            const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
            expect(lines).toHaveLength(1);
            expect(words(lines[0])[0]).toBe("WSGIDaemonProcess");
            expect(parse(text)).toEqual(checked);
        }
    });
});

describe("DaemonProcess diff", () => {
    const applied = { ...inputs.parse({ name: "hello" }), configFile: "f", configSha256: "" };
    applied.configSha256 = createHash("sha256").update(render(applied)).digest("hex");

    it("reports nothing when the live state matches", () => {
        expect(diff(mod, applied, inputs.parse({ name: "hello" }))).toEqual({ changed: [], replaces: [] });
    });

    it("reports the changed property, and a name change as a replace", () => {
        expect(diff(mod, applied, inputs.parse({ name: "hello", threads: 9 })).changed).toEqual(["threads"]);
        expect(diff(mod, applied, inputs.parse({ name: "other" })).replaces).toEqual(["name"]);
    });

    it("reports a hand edit no input explains through the file fingerprint", () => {
        expect(diff(mod, { ...applied, configSha256: "edited" }, inputs.parse({ name: "hello" })).changed).toEqual([
            "configSha256",
        ]);
    });
});

describe("DaemonProcess lifecycle (fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());

    const hello = inputs.parse({ name: "hello", threads: 4 });

    it("create writes the group's file, configtests, and starts Apache (it was not running)", async () => {
        const state = await daemonProcess.create(host.ctx(), hello);
        expect(host.file(daemonFile("hello"))).toBe(render(hello));
        expect(state).toMatchObject({ configFile: daemonFile("hello"), configSha256: sha256(render(hello)) });
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
    });

    it("read reports the live options; a hand edit shows as the changed property; update puts the file back", async () => {
        const ctx = host.ctx();
        const state = await daemonProcess.create(ctx, hello);
        const live = await daemonProcess.read(ctx, "hello", state);
        expect(diff(daemonProcess, live!, hello)).toEqual({ changed: [], replaces: [] });
        host.put(daemonFile("hello"), render({ ...hello, threads: 9 }));
        const edited = await daemonProcess.read(ctx, "hello", state);
        expect(diff(daemonProcess, edited!, hello).changed).toEqual(["threads"]);
        await daemonProcess.update(ctx, state, hello);
        expect(host.file(daemonFile("hello"))).toBe(render(hello));
    });

    it("a configuration Apache rejects fails the step and leaves the previous file in place", async () => {
        const ctx = host.ctx();
        const state = await daemonProcess.create(ctx, hello);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 2: bad user name nosuchuser\n");
        await expect(daemonProcess.update(ctx, state, { ...hello, threads: 7 })).rejects.toThrow(
            /bad user name nosuchuser/,
        );
        expect(host.file(daemonFile("hello"))).toBe(render(hello));
    });

    it("a renamed group's old file goes in the same transaction", async () => {
        const ctx = host.ctx();
        const state = await daemonProcess.create(ctx, hello);
        await daemonProcess.update(ctx, state, { ...hello, name: "hello2" });
        expect(host.exists(daemonFile("hello"))).toBe(false);
        expect(host.file(daemonFile("hello2"))).toBe(render({ ...hello, name: "hello2" }));
    });

    it("read after a hand delete says gone; delete removes the file", async () => {
        const ctx = host.ctx();
        const state = await daemonProcess.create(ctx, hello);
        await daemonProcess.delete(ctx, state);
        expect(host.exists(daemonFile("hello"))).toBe(false);
        expect(await daemonProcess.read(ctx, "hello", state)).toBeNull();
    });

    it("writes the file for the module the host loads: an inert 6.0 setting is left out for Debian's 4.9", async () => {
        host.put(MODULE_LOAD, "# mod_wsgi 4.9.4 for cpython-311-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        const state = await daemonProcess.create(host.ctx(), hello);
        expect(state.moduleVersion).toBe("4.9.4");
        expect(host.file(daemonFile("hello"))).not.toMatch(/interrupt-timeout/);
    });
});
