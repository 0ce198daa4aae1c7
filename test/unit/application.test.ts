import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { application } from "../../provider/resources/application";
import { inputs, outputs } from "../../provider/resources/application/schema";
import {
    configSha,
    parseEnv,
    render,
    renderEnv,
    renderInterpreter,
    renderLoader,
} from "../../provider/resources/application/render";
import { treeSha256 } from "../../provider/resources/application/source";
import { virtualHost } from "../../provider/resources/virtualHost";
import { inputs as vhostInputs, normalize as vhostNormalize } from "../../provider/resources/virtualHost/schema";
import { render as renderVhost } from "../../provider/resources/virtualHost/render";
import { sha256 } from "../../provider/apache";
import { diff, secretInputs, type Props } from "../../provider/resource";
import {
    MODULE_LOAD,
    STAGE_ROOT,
    appCurrent,
    appDir,
    appEnvFile,
    appFile,
    appLoader,
    daemonFile,
    interpreterFile,
    vhostFile,
    vhostLink,
} from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { appSource } from "../fixtures";
import { PartialFailure } from "../../provider/partial";

const uid = (user: string) => Number(execFileSync("getent", ["passwd", user]).toString().split(":")[2]);

describe("Application schema and pure parts", () => {
    it("declares environment secret in the schema, and every output", () => {
        expect(secretInputs(application)).toEqual(["environment"]);
        expect(Object.keys(outputs.shape)).toEqual([
            "appDir",
            "configFile",
            "configSha256",
            "loaderSha256",
            "interpreterFile",
            "envFileMode",
        ]);
    });

    it("reads env.json back, and shows a file that is not JSON as one marker entry", () => {
        expect(parseEnv(renderEnv({ B: "2", A: "x" }))).toEqual({ A: "x", B: "2" });
        expect(parseEnv("")).toEqual({ "<unreadable env.json>": "" });
        expect(parseEnv("{ truncated")).toEqual({ "<unreadable env.json>": "" });
    });

    it("points the mount and the loader at the layout's paths", () => {
        const i = inputs.parse({ name: "hello", source: "/x", processGroup: "hello", scriptFile: "app.wsgi" });
        expect(render(i)).toContain(`WSGIScriptAlias / ${appLoader("hello")} `);
        expect(renderLoader(i)).toContain(JSON.stringify(appEnvFile("hello")));
        expect(renderLoader(i)).toContain(JSON.stringify(`${appCurrent("hello")}/app.wsgi`));
    });
});

describe("Application lifecycle (fake host)", () => {
    let host: FakeHost;
    let src: string;
    beforeEach(() => {
        host = new FakeHost();
        src = appSource(true);
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5\n");
    });
    afterEach(() => {
        host.cleanup();
        fs.rmSync(src, { recursive: true, force: true });
    });

    /** Checked and normalized inputs, as the engine hands them to create/update. */
    const app = (extra: Props = {}): Props =>
        application.normalize!(
            // The fake host has no Apache to answer a health check: the tests of the check turn it on.
            inputs.parse({
                name: "hello",
                mountPoint: "/hello",
                source: src,
                processGroup: "hello",
                healthCheck: { enabled: false },
                ...extra,
            }),
        );
    const mount = appFile("hello", "/hello");
    const release = (sha: unknown) => `${appDir("hello")}/releases/${String(sha)}`;
    const currentTarget = () => fs.readlinkSync(host.local(appCurrent("hello")));
    const releases = () =>
        fs
            .readdirSync(host.local(`${appDir("hello")}/releases`))
            .filter((f) => /^[0-9a-f]{64}$/.test(f))
            .sort();
    /** Backdates the loader, so a later touch shows. */
    const backdateLoader = () =>
        fs.utimesSync(host.local(appLoader("hello")), new Date(2000, 0, 1), new Date(2000, 0, 1));
    const loaderTouched = () => fs.statSync(host.local(appLoader("hello"))).mtime.getFullYear() > 2000;

    it("create uploads the code as a release, writes the loader, env.json (400, www-data) and the mount file", async () => {
        const i = app({ environment: { SECRET: "s3cret" } });
        const state = await application.create(host.ctx(), i);
        expect(i.sourceSha256).toBe(treeSha256(src));
        expect(host.file(`${release(i.sourceSha256)}/app.wsgi`)).toBe(
            fs.readFileSync(path.join(src, "app.wsgi"), "utf8"),
        );
        expect(host.file(`${release(i.sourceSha256)}/static/site.css`)).toBe("body {}\n");
        expect(currentTarget()).toBe(`releases/${String(i.sourceSha256)}`);
        expect(host.file(appLoader("hello"))).toBe(renderLoader(i as never));
        expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ SECRET: "s3cret" }));
        const env = fs.statSync(host.local(appEnvFile("hello")));
        expect(env.mode & 0o777).toBe(0o400);
        expect(env.uid).toBe(uid("www-data"));
        expect(env.gid).toBe(0);
        expect(host.file(mount)).toBe(render(i as never));
        expect(host.exists(interpreterFile("hello"))).toBe(false);
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
        expect(state).toMatchObject({
            appDir: appDir("hello"),
            configFile: mount,
            loaderSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
            interpreterFile: interpreterFile("hello"),
        });
        // The stage is gone: nothing of the upload (the environment included) stays behind.
        expect(fs.readdirSync(host.local(STAGE_ROOT))).toEqual([]);
    });

    // The daemon's Unix group is shared (www-data: every Apache child, every daemon without group=): only
    // the daemon's user may read the app's secrets.
    it("env.json belongs to the daemon's user (root group, 400), not to its shared Unix group", async () => {
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5 group=daemon\n");
        await application.create(host.ctx(), app());
        const env = fs.statSync(host.local(appEnvFile("hello")));
        expect([env.uid, env.gid, env.mode & 0o777]).toEqual([uid("www-data"), 0, 0o400]);
    });

    it.each([
        ["user=nobody", uid("nobody")],
        ["user=#65534", 65534],
        ['user="#4242" group=daemon', 4242], // a uid without a passwd entry: resolved as a number on the host
    ])("env.json belongs to the DaemonProcess's %s", async (opt, want) => {
        host.put(daemonFile("hello"), `WSGIDaemonProcess hello threads=5 ${opt}\n`);
        await application.create(host.ctx(), app({ environment: { SECRET: "s" } }));
        const env = fs.statSync(host.local(appEnvFile("hello")));
        expect([env.uid, env.gid, env.mode & 0o777]).toEqual([want, 0, 0o400]);
    });

    it("refuses a daemon user that does not exist on the host, and leaves no stage behind", async () => {
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello user=no-such-user\n");
        await expect(application.create(host.ctx(), app())).rejects.toThrow(/user no-such-user .*does not exist/);
        expect(host.exists(appEnvFile("hello"))).toBe(false);
        expect(fs.readdirSync(host.local(STAGE_ROOT))).toEqual([]);
    });

    it("a create whose deploy fails is tracked as partial state; an unknown user switches no release in", async () => {
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello user=no-such-user\n");
        const err = await application.create(host.ctx(), app()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PartialFailure);
        expect((err as PartialFailure).state).toMatchObject({ sourceSha256: "missing", configSha256: "" });
        // The user is resolved before anything changes: no release, no `current`, nothing for read to find.
        expect(host.exists(appCurrent("hello"))).toBe(false);
        expect(await application.read(host.ctx(), "hello", undefined)).toBeNull();
    });

    it("the next apply re-owns env.json after the daemon's user changed, without restarting the group", async () => {
        const ctx = host.ctx();
        const i = app({ environment: { SECRET: "s" } });
        const state = await application.create(ctx, i);
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5 user=nobody\n");
        backdateLoader();
        await application.update(ctx, state, i); // nothing in the app changed
        const env = fs.statSync(host.local(appEnvFile("hello")));
        expect([env.uid, env.gid, env.mode & 0o777]).toEqual([uid("nobody"), 0, 0o400]);
        expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ SECRET: "s" }));
        expect(loaderTouched()).toBe(false);
        expect(fs.readdirSync(host.local(STAGE_ROOT))).toEqual([]);
    });

    it("read right after create finds no drift", async () => {
        const ctx = host.ctx();
        const i = app({ environment: { A: "1" }, staticFiles: [{ urlPath: "/hello/static", directory: "static" }] });
        const state = await application.create(ctx, i);
        const live = await application.read(ctx, "hello", state);
        expect(live).toMatchObject({ sourceSha256: i.sourceSha256, environment: { A: "1" }, configFile: mount });
        expect(diff(application, live!, i)).toEqual({ changed: [], replaces: [] });
        expect(application.drift!(live!, i)).toEqual([]);
    });

    it("a code-only update uploads a new release, switches `current` and touches the loader, without a reload", async () => {
        const ctx = host.ctx();
        const i = app();
        const state = await application.create(ctx, i);
        backdateLoader();
        fs.writeFileSync(path.join(src, "app.wsgi"), "def application(environ, start_response):\n    return [b'2']\n");
        const i2 = app();
        expect(i2.sourceSha256).not.toBe(i.sourceSha256);
        const state2 = await application.update(ctx, state, i2);
        expect(currentTarget()).toBe(`releases/${String(i2.sourceSha256)}`);
        expect(releases()).toEqual([String(i.sourceSha256), String(i2.sourceSha256)].sort());
        expect(host.file(`${appCurrent("hello")}/app.wsgi`)).toContain("b'2'");
        expect(loaderTouched()).toBe(true);
        expect(host.file(appLoader("hello"))).toBe(renderLoader(i2 as never));
        expect(host.apacheCalls()).toEqual(["-t", "start"]); // the mount is unchanged: Apache is left alone
        expect(ctx.messages.some((m) => /daemon group hello restarts/.test(m))).toBe(true);
        expect(state2.sourceSha256).toBe(i2.sourceSha256);
        const live = await application.read(ctx, "hello", state2);
        expect(diff(application, live!, i2).changed).toEqual([]);
    });

    it("an environment change rewrites env.json and touches the loader, with no new release", async () => {
        const ctx = host.ctx();
        const i = app({ environment: { A: "1" } });
        const state = await application.create(ctx, i);
        backdateLoader();
        const i2 = app({ environment: { A: "2", B: "x" } });
        const state2 = await application.update(ctx, state, i2);
        expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ A: "2", B: "x" }));
        expect(fs.statSync(host.local(appEnvFile("hello"))).mode & 0o777).toBe(0o400);
        expect(loaderTouched()).toBe(true);
        expect(releases()).toEqual([String(i.sourceSha256)]);
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
        const live = await application.read(ctx, "hello", state2);
        expect(live!.environment).toEqual({ A: "2", B: "x" });
        expect(diff(application, live!, i).changed).toEqual(["environment"]);
    });

    it("an unchanged update touches nothing on the host", async () => {
        const ctx = host.ctx();
        const i = app();
        const state = await application.create(ctx, i);
        backdateLoader();
        const before = host.commands.length;
        await application.update(ctx, state, i);
        expect(loaderTouched()).toBe(false);
        expect(host.commands.length - before).toBe(1); // the host check only
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
    });

    it("a hand edit of the mount file is detected by read, and update puts the file back", async () => {
        const ctx = host.ctx();
        const i = app();
        const state = await application.create(ctx, i);
        host.put(mount, render({ ...i, passAuthorization: true } as never));
        const edited = await application.read(ctx, "hello", state);
        expect(diff(application, edited!, i).changed).toEqual(["passAuthorization"]);
        // An edit no input explains shows as the fingerprint.
        host.put(mount, render(i as never) + "Header set X-Hand edited\n");
        const extra = await application.read(ctx, "hello", state);
        expect(diff(application, extra!, i).changed).toEqual(["configSha256"]);
        await application.update(ctx, { ...state, ...extra }, i);
        expect(host.file(mount)).toBe(render(i as never));
        expect(host.apacheCalls().filter((c) => c === "-t")).toHaveLength(2); // configtested again
    });

    it("a hand edit of the loader, and a missing env.json, are detected by read", async () => {
        const ctx = host.ctx();
        const i = app();
        const state = await application.create(ctx, i);
        host.put(appLoader("hello"), renderLoader(i as never) + "import antigravity\n");
        const loader = await application.read(ctx, "hello", state);
        expect(diff(application, loader!, i).changed).toEqual(["loaderSha256"]);
        fs.rmSync(host.local(appEnvFile("hello")));
        const env = await application.read(ctx, "hello", state);
        expect(env!.environment).toEqual({ "<unreadable env.json>": "" });
        expect(diff(application, env!, i).changed).toContain("environment");
    });

    it("a configuration Apache rejects fails the update and leaves the old mount file", async () => {
        const ctx = host.ctx();
        const i = app();
        const state = await application.create(ctx, i);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 2 of 28-app-hello.conf\n");
        await expect(application.update(ctx, state, app({ passAuthorization: true }))).rejects.toThrow(/AH00526/);
        expect(host.file(mount)).toBe(render(i as never));
        // A mount point that moves the file: the new file is not left behind either.
        await expect(application.update(ctx, state, app({ mountPoint: "/" }))).rejects.toThrow(/AH00526/);
        expect(host.file(mount)).toBe(render(i as never));
        expect(host.exists(appFile("hello", "/"))).toBe(false);
    });

    it("delete removes the app dir, the mount file and the interpreter file; read then says gone", async () => {
        const ctx = host.ctx();
        const i = app({ applicationGroup: "hello", interpreterOptions: { restrictStdin: true } });
        const state = await application.create(ctx, i);
        expect(host.file(interpreterFile("hello"))).toBe(renderInterpreter(i as never));
        await application.delete(ctx, state);
        expect(host.exists(appDir("hello"))).toBe(false);
        expect(host.exists(mount)).toBe(false);
        expect(host.exists(interpreterFile("hello"))).toBe(false);
        expect(await application.read(ctx, "hello", state)).toBeNull();
    });

    it("refuses a mount whose daemon group does not exist, before writing anything", async () => {
        fs.rmSync(host.local(daemonFile("hello")));
        await expect(application.create(host.ctx(), app())).rejects.toThrow(/no daemon process group "hello"/);
        expect(host.exists(appDir("hello"))).toBe(false);
        expect(host.exists(mount)).toBe(false);
    });

    it("reads the daemon group and the loaded module in one round trip, and refuses perInterpreterGil on Python 3.11", async () => {
        host.put(MODULE_LOAD, "# mod_wsgi 6.1.1 for cpython-311-x86_64-linux-gnu\nLoadModule wsgi_module /x.so\n");
        const i = app({ applicationGroup: "hello", interpreterOptions: { perInterpreterGil: true } });
        await expect(application.create(host.ctx(), i)).rejects.toThrow(/needs Python >= 3\.12.*WSGI0198/);
        expect(host.commands).toHaveLength(1);
        expect(host.commands[0].command).toMatch(/WSGIDaemonProcess/);
        expect(host.commands[0].command).toContain(MODULE_LOAD);
        expect(host.exists(appDir("hello"))).toBe(false);
    });

    it("a create whose mount Apache rejects reports what it left (code and secrets) as partial state", async () => {
        const ctx = host.ctx();
        const i = app({ environment: { TOKEN: "s3cret" } });
        host.put("/.configtest-fail", "AH00526: Syntax error on line 2 of 28-app-hello.conf\n");
        const err = await application.create(ctx, i).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PartialFailure);
        const partial = (err as PartialFailure).state;
        expect((err as PartialFailure).message).toMatch(/AH00526/);
        expect(partial).toMatchObject({ name: "hello", environment: { TOKEN: "s3cret" }, configSha256: "" });
        expect(host.exists(appEnvFile("hello"))).toBe(true);
        expect(host.exists(mount)).toBe(false);
        // Refresh still finds it (unmounted), the next up mounts it, and destroy would remove the code.
        const live = (await application.read(ctx, "hello", partial as never))!;
        expect(live).not.toBeNull();
        expect(live.configSha256).toBe("missing");
        expect(diff(application, live, i).changed.length).toBeGreaterThan(0);
        fs.rmSync(host.local("/.configtest-fail"));
        await application.update(ctx, live as never, i);
        expect(host.file(mount)).toBe(render(i as never));
    });

    it("an update whose mount Apache rejects never switches the code or the environment first", async () => {
        const ctx = host.ctx();
        const i = app({ environment: { V: "1" } });
        const state = await application.create(ctx, i);
        const before = { current: currentTarget(), env: host.file(appEnvFile("hello")) };
        fs.writeFileSync(path.join(src, "app.wsgi"), "def application(environ, start_response):\n    return [b'2']\n");
        host.put("/.configtest-fail", "AH00526: Syntax error on line 2 of 28-app-hello.conf\n");
        const next = app({ environment: { V: "2" }, passAuthorization: true });
        await expect(application.update(ctx, state, next)).rejects.toThrow(/AH00526/);
        expect(currentTarget()).toBe(before.current);
        expect(host.file(appEnvFile("hello"))).toBe(before.env);
        expect(host.file(mount)).toBe(render(i as never));
    });

    it("a stage directory that cannot be made fails the deploy", async () => {
        host.put(STAGE_ROOT, "not a directory\n");
        await expect(application.create(host.ctx(), app())).rejects.toThrow(/^mkdir on fake: failed/);
        expect(host.exists(mount)).toBe(false);
    });
});

describe("Application in a VirtualHost: moving from the include dir earlier releases kept in modwsgi.d", () => {
    const OLD_DIR = "/etc/apache2/modwsgi.d/vhost-site";
    const OLD_FILE = `${OLD_DIR}/28-app-hello.conf`;
    const NEW_DIR = "/etc/apache2/modwsgi-vhosts/site";
    const NEW_FILE = `${NEW_DIR}/28-app-hello.conf`;
    let host: FakeHost;
    let src: string;
    beforeEach(() => {
        host = new FakeHost();
        src = appSource();
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5\n");
    });
    afterEach(() => {
        host.cleanup();
        fs.rmSync(src, { recursive: true, force: true });
    });

    const vhost = vhostNormalize(vhostInputs.parse({ name: "site", serverName: "example.org" }));
    const app = (extra: Props = {}): Props =>
        application.normalize!(
            // The fake host has no Apache to answer a health check: the tests of the check turn it on.
            inputs.parse({
                name: "hello",
                mountPoint: "/hello",
                source: src,
                processGroup: "hello",
                healthCheck: { enabled: false },
                ...extra,
            }),
        );

    /** The host and the states as the release before this layout left them. */
    async function oldLayout() {
        const ctx = host.ctx();
        const oldText = renderVhost(vhost).replace(/IncludeOptional \S+\n/, `IncludeOptional ${OLD_DIR}/*.conf\n`);
        host.put(vhostFile("site"), oldText);
        fs.symlinkSync(host.local(vhostFile("site")), host.local(vhostLink("site")));
        const oldVhost = {
            ...vhost,
            configFile: vhostFile("site"),
            includeDir: OLD_DIR,
            configSha256: sha256(oldText),
            tlsSha256: "",
        };
        // The release, loader and env.json are where they always were; only the mount file moves.
        const created = await application.create(ctx, app());
        fs.rmSync(host.local(created.configFile as string));
        host.put(OLD_FILE, render(app() as never));
        const oldApp = { ...created, virtualHost: "site", configFile: OLD_FILE };
        return { ctx, oldVhost, oldApp };
    }

    it.each([["the vhost first (the engine's order: the app depends on it)"], ["the app first"]])(
        "read and diff plan a change for both; update with %s moves the mount and removes the old dir",
        async (order) => {
            const { ctx, oldVhost, oldApp } = await oldLayout();
            const i = app({ virtualHost: "site" });
            const liveVhost = (await virtualHost.read(ctx, "site", oldVhost))!;
            const liveApp = (await application.read(ctx, "hello", oldApp as never))!;
            expect(liveApp.configFile).toBe(OLD_FILE);
            expect(diff(virtualHost, liveVhost, vhost).changed).toEqual(["configSha256"]);
            expect(diff(application, liveApp, i).changed).toEqual(["configFile"]);

            let appState: Props;
            if (order.startsWith("the vhost")) {
                await virtualHost.update(ctx, liveVhost as never, vhost);
                // A refresh between the two steps still finds the app (its mount moved with the vhost).
                const mid = (await application.read(ctx, "hello", liveApp as never))!;
                expect(mid.configFile).toBe(NEW_FILE);
                appState = await application.update(ctx, liveApp as never, i);
            } else {
                appState = await application.update(ctx, liveApp as never, i);
                await virtualHost.update(ctx, liveVhost as never, vhost);
            }

            expect(appState.configFile).toBe(NEW_FILE);
            expect(host.file(NEW_FILE)).toBe(render(i as never));
            expect(host.exists(OLD_FILE)).toBe(false);
            expect(host.exists(OLD_DIR)).toBe(false);
            expect(host.file(vhostFile("site"))).toContain(`    IncludeOptional ${NEW_DIR}/*.conf\n`);
            expect(host.file(vhostFile("site"))).not.toContain("modwsgi.d");
            const vState = (await virtualHost.read(ctx, "site", undefined))!;
            expect(vState.includeDir).toBe(NEW_DIR);
            expect(diff(virtualHost, vState, vhost)).toEqual({ changed: [], replaces: [] });
            const aState = (await application.read(ctx, "hello", appState as never))!;
            expect(diff(application, aState, i)).toEqual({ changed: [], replaces: [] });
        },
    );

    it("a mount whose file path changed counts as drift even when its text did not", () => {
        const i = app({ virtualHost: "site" });
        const state = { ...i, configFile: NEW_FILE, configSha256: configSha(render(i as never), "") };
        const live = {
            ...state,
            loaderSha256: sha256(renderLoader(i as never)),
        };
        expect(diff(application, live, i)).toEqual({ changed: [], replaces: [] });
        expect(diff(application, { ...live, configFile: OLD_FILE }, i).changed).toEqual(["configFile"]);
    });
});
