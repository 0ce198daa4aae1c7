import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { apacheHost } from "../../provider/resources/apacheHost";
import { inputs } from "../../provider/resources/apacheHost/schema";
import { parse, renderListen, renderWsgi } from "../../provider/resources/apacheHost/render";
import { checkInputs, diff } from "../../provider/resource";
import { parseProbe } from "../../provider/facts";
import { sha256 } from "../../provider/apache";
import { LATEST } from "../../provider/versions";
import { LISTEN_FILE, LISTEN_LINK, MODULE_LOAD, SERVER_FILE, mpmFile, mpmLink } from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { siteFile, siteLink } from "../../provider/resources/apacheHost/sites";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = apacheHost;
const every = inputs.parse({
    restrictEmbedded: true,
    socketPrefix: "/var/run/apache2/modwsgi",
    socketRotation: false,
    pythonHome: "/opt/py",
    pythonPath: ["/srv/a", "/srv/b"],
    perInterpreterGil: false,
    freeThreading: false,
    switchInterval: 0.005,
    telemetrySocket: "/run/mod_wsgi-telemetry.sock",
    mpm: "worker",
    listenPorts: [8080, 8443],
});

describe("ApacheHost render (golden files)", () => {
    it("writes only WSGIRestrictEmbedded On by default (apachehost-defaults.conf)", () => {
        expect(renderWsgi(inputs.parse({}))).toBe(golden("apachehost-defaults.conf"));
    });

    it("writes every server-wide mod_wsgi setting (apachehost-every.conf) and the Listen ports (apachehost-listen.conf)", () => {
        expect(renderWsgi(every)).toBe(golden("apachehost-every.conf"));
        expect(renderListen(every)).toBe(golden("apachehost-listen.conf"));
    });

    it("reads its files back to the same settings (the MPM comes from the host's facts)", () => {
        const { mpm: _m, ensurePackages: _e, disableSites: _d, ...rest } = every;
        expect(parse(renderWsgi(every), renderListen(every))).toEqual(rest);
    });
});

describe("ApacheHost check", () => {
    it.each([
        [{ listenPorts: [80] }, "listenPorts[0]", /ports\.conf/],
        [{ mpm: "threaded" }, "mpm", /event|worker|prefork/],
        [{ socketPrefix: "relative/path" }, "socketPrefix", /absolute path/],
        [{ switchInterval: 0 }, "switchInterval", />=0\.0001/],
    ])("refuses %j naming %s", (value, property, message) => {
        expect(checkInputs(mod, value).failures[0]).toEqual({ property, reason: expect.stringMatching(message) });
    });
});

describe("parseProbe (native/probe.sh's facts)", () => {
    it.each([
        [
            "a full probe",
            {
                os_id: "debian",
                os_version: "12",
                os_name: "Debian GNU/Linux 12 (bookworm)",
                systemd: "true",
                apache_version: "2.4.62",
                apache_mpm: "event",
                apache_running: "true",
                apache_layout: "debian",
                apxs: "/usr/bin/apxs",
                python3: "3.11.2",
                pythons: "/usr/bin/python3.11 /usr/bin/python3.13 ",
            },
            {
                osId: "debian",
                osVersion: "12",
                osName: "Debian GNU/Linux 12 (bookworm)",
                systemd: true,
                apacheVersion: "2.4.62",
                apacheMpm: "event",
                apacheLayout: "debian",
                apxs: "/usr/bin/apxs",
                python: "3.11.2",
                pythons: ["/usr/bin/python3.11", "/usr/bin/python3.13"],
            },
        ],
        ["no systemd, no extra Pythons", { systemd: "false", pythons: "" }, { systemd: false, pythons: [] }],
        ["only `true` means systemd", { systemd: "yes" }, { systemd: false }],
        ["a probe with no pythons line", { apxs: "" }, { apxs: "", pythons: [] }],
    ])("%s", (_what, facts, expected) => {
        expect(parseProbe(facts)).toMatchObject(expected);
    });
});

describe("ApacheHost lifecycle (fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());

    const desired = inputs.parse({ socketRotation: false, listenPorts: [8080] });
    /** Apache "running": its pid file names a live process (this one), so reloads are graceful or restarts. */
    const running = () => host.put("/var/run/apache2/apache2.pid", `${process.pid}\n`);
    /** What Apache was asked to do, without the probe's and the error-log lookup's questions. */
    const actions = () => host.apacheCalls().filter((c) => c !== "-V" && c !== "-t -D DUMP_RUN_CFG");

    it("create writes 00-server.conf and the Listen file with its conf-enabled link; outputs come from the probe", async () => {
        const state = await apacheHost.create(host.ctx(), desired);
        expect(host.file(SERVER_FILE)).toBe(renderWsgi(desired));
        expect(host.file(SERVER_FILE)).toMatch(/^WSGISocketRotation Off$/m);
        expect(host.file(LISTEN_FILE)).toBe(renderListen(desired));
        expect(fs.lstatSync(host.local(LISTEN_LINK)).isSymbolicLink()).toBe(true);
        expect(host.file(LISTEN_LINK)).toBe(renderListen(desired));
        expect(host.file(LISTEN_LINK)).toMatch(/^Listen 8080$/m);
        expect(state).toMatchObject({
            apacheVersion: "2.4.99",
            apacheMpm: "event",
            apacheLayout: "debian",
            configSha256: sha256(renderWsgi(desired) + renderListen(desired)),
            moduleVersion: LATEST,
        });
        expect(actions()).toEqual(["-t", "start"]);
    });

    it("read finds no drift; a hand edit of 00-server.conf is the changed property; update puts it back", async () => {
        const ctx = host.ctx();
        const state = await apacheHost.create(ctx, desired);
        const live = await apacheHost.read(ctx, "apache", state);
        expect(live).toMatchObject({ apacheVersion: "2.4.99", apacheMpm: "event", listenPorts: [8080] });
        expect(diff(apacheHost, live!, desired)).toEqual({ changed: [], replaces: [] });

        host.put(SERVER_FILE, renderWsgi({ ...desired, socketRotation: true }));
        const edited = await apacheHost.read(ctx, "apache", state);
        expect(diff(apacheHost, edited!, desired).changed).toEqual(["socketRotation"]);

        // A line no input explains shows as the changed fingerprint.
        host.put(SERVER_FILE, renderWsgi(desired) + "LogLevel wsgi:debug\n");
        const extra = await apacheHost.read(ctx, "apache", state);
        expect(diff(apacheHost, extra!, desired).changed).toEqual(["configSha256"]);

        running();
        await apacheHost.update(ctx, state, desired);
        expect(host.file(SERVER_FILE)).toBe(renderWsgi(desired));
        expect(diff(apacheHost, (await apacheHost.read(ctx, "apache", state))!, desired).changed).toEqual([]);
        expect(actions().slice(-2)).toEqual(["-t", "graceful"]);
    });

    it("an MPM change switches the mods-enabled links and fully restarts Apache", async () => {
        for (const m of ["event", "worker"])
            for (const ext of ["load", "conf"]) host.put(mpmFile(m, ext), `# mpm_${m}.${ext}\n`);
        for (const ext of ["load", "conf"])
            fs.symlinkSync(host.local(mpmFile("event", ext)), host.local(mpmLink("event", ext)));
        // The probe's MPM is the one whose LoadModule link is enabled; Apache's children are none of this machine's.
        fs.copyFileSync(path.join(host.stubs, "apache2ctl"), path.join(host.stubs, "apache2ctl-fake"));
        host.stub(
            "apache2ctl",
            `#!/bin/sh
if [ "$*" = "-V" ]; then
    for m in event worker prefork; do
        if [ -e "$FAKE_ROOT/etc/apache2/mods-enabled/mpm_$m.load" ]; then echo "Server MPM:     $m"; exit 0; fi
    done
fi
exec "$FAKE_ROOT/.stubs/apache2ctl-fake" "$@"
`,
        );
        host.stub("pgrep", "#!/bin/sh\nexit 1\n");
        running();
        const ctx = host.ctx();
        const worker = { ...desired, mpm: "worker" as const };
        const state = await apacheHost.create(ctx, worker);
        for (const ext of ["load", "conf"]) {
            expect(host.file(mpmLink("worker", ext))).toBe(`# mpm_worker.${ext}\n`);
            expect(fs.readlinkSync(host.local(mpmLink("worker", ext)))).toBe(host.local(mpmFile("worker", ext)));
            expect(host.exists(mpmLink("event", ext))).toBe(false);
        }
        expect(actions()).toEqual(["-t", "stop", "start"]);
        expect(ctx.messages).toContain("switching the MPM to worker: configtest, full restart");
        expect(state).toMatchObject({ mpm: "worker", apacheMpm: "worker" });
        const live = await apacheHost.read(ctx, "apache", state);
        expect(diff(apacheHost, live!, worker)).toEqual({ changed: [], replaces: [] });
        // Switched back by hand: the live MPM is the changed property.
        for (const ext of ["load", "conf"]) {
            fs.rmSync(host.local(mpmLink("worker", ext)));
            fs.symlinkSync(host.local(mpmFile("event", ext)), host.local(mpmLink("event", ext)));
        }
        const back = await apacheHost.read(ctx, "apache", state);
        expect(back).toMatchObject({ mpm: "event", apacheMpm: "event" });
        expect(diff(apacheHost, back!, worker).changed).toEqual(["mpm"]);
    });

    it("freeThreading is refused before anything is written when the loaded module is not free-threaded", async () => {
        host.put(MODULE_LOAD, "# mod_wsgi 6.1.1 for cpython-313-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        await expect(apacheHost.create(host.ctx(), { ...desired, freeThreading: true })).rejects.toThrow(
            /free-threaded Python.*built for cpython-313-x86_64-linux-gnu/,
        );
        expect(host.writes).toEqual([]);
        expect(host.exists(SERVER_FILE)).toBe(false);
        expect(host.apacheCalls()).not.toContain("-t");

        host.put(MODULE_LOAD, "# mod_wsgi 6.1.1 for cpython-313t-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        await apacheHost.create(host.ctx(), { ...desired, freeThreading: true });
        expect(host.file(SERVER_FILE)).toMatch(/^WSGIFreeThreading On$/m);
    });

    it("a configuration Apache rejects fails the step and leaves the previous files in place", async () => {
        const ctx = host.ctx();
        const state = await apacheHost.create(ctx, desired);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 3 of 00-server.conf: WSGISocketRotation bad\n");
        const changed = { ...desired, socketRotation: true, listenPorts: [8080, 8081] };
        await expect(apacheHost.update(ctx, state, changed)).rejects.toThrow(/WSGISocketRotation bad/);
        expect(host.file(SERVER_FILE)).toBe(renderWsgi(desired));
        expect(host.file(LISTEN_FILE)).toBe(renderListen(desired));
        expect(host.file(LISTEN_LINK)).toBe(renderListen(desired));
    });

    it("delete removes the files and the link; read then says gone", async () => {
        const ctx = host.ctx();
        const state = await apacheHost.create(ctx, desired);
        await apacheHost.delete(ctx, state);
        for (const f of [SERVER_FILE, LISTEN_FILE, LISTEN_LINK]) expect(host.exists(f)).toBe(false);
        expect(await apacheHost.read(ctx, "apache", state)).toBeNull();
    });
});

describe("ApacheHost.disableSites (taking over a hand-written site)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
        host.put(siteFile("myapp"), "<VirtualHost *:80>\n</VirtualHost>\n");
        fs.symlinkSync("../sites-available/myapp.conf", host.local(siteLink("myapp")));
    });
    afterEach(() => host.cleanup());

    const desired = inputs.parse({ disableSites: ["myapp"] });
    const enabled = () => fs.existsSync(host.local(siteLink("myapp")));

    it.each([["../myapp"], ["a/b"], [".hidden"], ["modwsgi-site"], [""]])("refuses %j at check", (name) => {
        expect(checkInputs(mod, { disableSites: [name] }).failures[0]).toEqual({
            property: "disableSites[0]",
            reason: expect.any(String),
        });
    });

    it("create removes only the sites-enabled link; a2ensite by hand is drift; update switches it off again", async () => {
        const ctx = host.ctx();
        const state = await apacheHost.create(ctx, desired);
        expect(enabled()).toBe(false);
        expect(host.file(siteFile("myapp"))).toMatch(/VirtualHost/);
        const live = await apacheHost.read(ctx, "apache", state);
        expect(diff(apacheHost, live!, desired)).toEqual({ changed: [], replaces: [] });

        fs.symlinkSync("../sites-available/myapp.conf", host.local(siteLink("myapp")));
        const again = await apacheHost.read(ctx, "apache", state);
        expect(again!.disableSites).toEqual([]);
        expect(diff(apacheHost, again!, desired).changed).toEqual(["disableSites"]);
        await apacheHost.update(ctx, state, desired);
        expect(enabled()).toBe(false);
    });

    it("refuses, before writing anything, a site in sites-enabled that is a file (it would be deleted)", async () => {
        fs.rmSync(host.local(siteLink("myapp")));
        host.put(siteLink("myapp"), "<VirtualHost *:80>\n</VirtualHost>\n");
        await expect(apacheHost.create(host.ctx(), desired)).rejects.toThrow(/is a file, not a link/);
        expect(host.file(siteLink("myapp"))).toMatch(/VirtualHost/);
    });

    it("a rejected configtest leaves the site enabled", async () => {
        host.put("/.configtest-fail", "AH00526: Syntax error\n");
        await expect(apacheHost.create(host.ctx(), desired)).rejects.toThrow(/Syntax error/);
        expect(enabled()).toBe(true);
        expect(fs.readlinkSync(host.local(siteLink("myapp")))).toBe("../sites-available/myapp.conf");
    });

    it("dropping a site from the list, and destroy, enable it again (only while its file is there)", async () => {
        const ctx = host.ctx();
        // "gone" is enabled like myapp, then its sites-available file goes: nothing to enable it from any more.
        host.put(siteFile("gone"), "<VirtualHost *:80>\n</VirtualHost>\n");
        fs.symlinkSync("../sites-available/gone.conf", host.local(siteLink("gone")));
        const both = inputs.parse({ disableSites: ["myapp", "gone"] });
        const state = await apacheHost.create(ctx, both);
        expect(enabled()).toBe(false);
        fs.rmSync(host.local(siteFile("gone")));
        const fewer = await apacheHost.update(ctx, state, inputs.parse({ disableSites: ["gone"] }));
        expect(enabled()).toBe(true);
        const more = await apacheHost.update(ctx, fewer, both);
        expect(enabled()).toBe(false);
        await apacheHost.delete(ctx, more);
        expect(enabled()).toBe(true);
        expect(host.file(siteLink("myapp"))).toMatch(/VirtualHost/);
        expect(host.exists(siteLink("gone"))).toBe(false);
    });
});
