import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { application } from "../../provider/resources/application";
import { inputs, outputs } from "../../provider/resources/application/schema";
import {
    parseEnv,
    render,
    renderEnv,
    renderInterpreter,
    renderLoader,
} from "../../provider/resources/application/render";
import { treeSha256 } from "../../provider/resources/application/source";
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
} from "../../provider/layout";
import { FakeHost } from "../fakeHost";

const gid = (group: string) => Number(execFileSync("getent", ["group", group]).toString().split(":")[2]);

describe("Application schema and pure parts", () => {
    it("declares environment secret in the schema, and every output", () => {
        expect(secretInputs(application)).toEqual(["environment"]);
        expect(Object.keys(outputs.shape)).toEqual([
            "appDir",
            "configFile",
            "configSha256",
            "loaderSha256",
            "interpreterFile",
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
        src = fs.mkdtempSync(path.join(os.tmpdir(), "app-src-"));
        fs.writeFileSync(path.join(src, "app.wsgi"), "def application(environ, start_response):\n    return []\n");
        fs.mkdirSync(path.join(src, "static"));
        fs.writeFileSync(path.join(src, "static/site.css"), "body {}\n");
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5\n");
    });
    afterEach(() => {
        host.cleanup();
        fs.rmSync(src, { recursive: true, force: true });
    });

    /** Checked and normalized inputs, as the engine hands them to create/update. */
    const app = (extra: Props = {}): Props =>
        application.normalize!(
            inputs.parse({ name: "hello", mountPoint: "/hello", source: src, processGroup: "hello", ...extra }),
        );
    const mount = appFile("hello", "/hello");
    const release = (sha: unknown) => `${appDir("hello")}/releases/${String(sha)}`;
    const currentTarget = () => fs.readlinkSync(host.local(appCurrent("hello")));
    const releases = () => fs.readdirSync(host.local(`${appDir("hello")}/releases`)).sort();
    /** Backdates the loader, so a later touch shows. */
    const backdateLoader = () =>
        fs.utimesSync(host.local(appLoader("hello")), new Date(2000, 0, 1), new Date(2000, 0, 1));
    const loaderTouched = () => fs.statSync(host.local(appLoader("hello"))).mtime.getFullYear() > 2000;

    it("create uploads the code as a release, writes the loader, env.json (640, www-data) and the mount file", async () => {
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
        expect(env.mode & 0o777).toBe(0o640);
        expect(env.uid).toBe(0);
        expect(env.gid).toBe(gid("www-data"));
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

    it("env.json belongs to the daemon group's own Unix group when the DaemonProcess sets group=", async () => {
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5 group=daemon\n");
        await application.create(host.ctx(), app());
        expect(fs.statSync(host.local(appEnvFile("hello"))).gid).toBe(gid("daemon"));
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
        expect(fs.statSync(host.local(appEnvFile("hello"))).mode & 0o777).toBe(0o640);
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

    it("a stage directory that cannot be made fails the deploy", async () => {
        host.put(STAGE_ROOT, "not a directory\n");
        await expect(application.create(host.ctx(), app())).rejects.toThrow(/^mkdir on fake: failed/);
        expect(host.exists(mount)).toBe(false);
    });
});
