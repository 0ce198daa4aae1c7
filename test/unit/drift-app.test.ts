// Drift of an Application's files on the host (issue 12, classes 7-10 and the loader): each test changes the
// host by hand the way an operator would, then `read` must name the property, `update` from that live state must
// repair it, and a second `read` must find nothing. The app's data directories are never reported nor touched.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { application } from "../../provider/resources/application";
import { inputs } from "../../provider/resources/application/schema";
import { renderEnv, renderLoader } from "../../provider/resources/application/render";
import { diff, type Props } from "../../provider/resource";
import { appCurrent, appDir, appEnvFile, appLoader, daemonFile } from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { appSource } from "../fixtures";

const uid = (user: string) => Number(execFileSync("getent", ["passwd", user]).toString().split(":")[2]);
const OLD = new Date(2000, 0, 1);

describe("Application drift on the host (fake host)", () => {
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

    const app = (extra: Props = {}): Props =>
        application.normalize!(
            inputs.parse({
                name: "hello",
                mountPoint: "/hello",
                source: src,
                processGroup: "hello",
                healthCheck: { enabled: false },
                ...extra,
            }),
        );
    const dir = appDir("hello");
    const rel = (i: Props) => `${dir}/releases/${String(i.sourceSha256)}`;
    const current = () => fs.readlinkSync(host.local(appCurrent("hello")));
    const local = (p: string) => host.local(p);
    const stat = (p: string) => fs.statSync(local(p));
    const backdateLoader = () =>
        fs.existsSync(local(appLoader("hello"))) && fs.utimesSync(local(appLoader("hello")), OLD, OLD);
    const loaderTouched = () => stat(appLoader("hello")).mtime.getFullYear() > 2000;
    const uploads = (from: number) => host.writes.slice(from).filter((w) => w.endsWith("/source.tgz")).length;
    /** What release repair may leave behind: nothing but releases and their `.tree` records. */
    const leftovers = () => fs.readdirSync(local(`${dir}/releases`)).filter((f) => !/^[0-9a-f]{64}(\.tree)?$/.test(f));

    /** The refresh then `up`: read, diff, update from the live state; then the next refresh must be clean. */
    async function refreshAndUp(ctx: ReturnType<FakeHost["ctx"]>, state: Props, i: Props) {
        const live = (await application.read(ctx, "hello", state as never))!;
        expect(live).not.toBeNull();
        const changed = diff(application, live, i).changed;
        const writes = host.writes.length;
        backdateLoader();
        const repaired = await application.update(ctx, live as never, i);
        const after = (await application.read(ctx, "hello", repaired))!;
        expect(diff(application, after, i)).toEqual({ changed: [], replaces: [] });
        return { live, changed, repaired, uploaded: uploads(writes), restarted: loaderTouched() };
    }

    describe("7: an app file edited inside the live release", () => {
        it("is reported as sourceSha256, and up rebuilds the release from an upload and swaps it in", async () => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            const inode = stat(rel(i)).ino;
            host.put(`${appCurrent("hello")}/app.wsgi`, "def application(e, s):\n    raise SystemExit\n");
            host.put(`${appCurrent("hello")}/extra.py`, "x = 1\n");
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
            expect(r.live.sourceSha256).not.toBe(i.sourceSha256);
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(1);
            expect(ctx.messages.join("\n")).toMatch(/release [0-9a-f]{12}.* is damaged on the host: rebuilding it/);
            expect(host.file(`${rel(i)}/app.wsgi`)).toBe(fs.readFileSync(path.join(src, "app.wsgi"), "utf8"));
            expect(host.exists(`${rel(i)}/extra.py`)).toBe(false);
            expect(stat(rel(i)).ino).not.toBe(inode); // a new directory, swapped in
            expect(current()).toBe(`releases/${String(i.sourceSha256)}`);
            expect(leftovers()).toEqual([]);
            expect(r.restarted).toBe(true); // the daemon may have loaded the edited code
            expect(r.repaired.sourceSha256).toBe(i.sourceSha256);
        });

        it("a rebuilt release gets its data links and release commands again; the data stays untouched", async () => {
            const ctx = host.ctx();
            const i = app({
                dataDirs: ["media"],
                releaseCommands: [["sh", "-c", "mkdir -p staticfiles && echo built > staticfiles/a.css"]],
            });
            const state = await application.create(ctx, i);
            host.put(`${dir}/data/media/upload.bin`, "user data\n", 0o600);
            fs.rmSync(local(`${rel(i)}/staticfiles/a.css`));
            const r = await refreshAndUp(ctx, state, i);
            // What is left is the uploaded tree, whose hash is the release's name: still reported.
            expect(r.live.sourceSha256).toBe(`${String(i.sourceSha256)} (not the tree its commands left)`);
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(host.file(`${rel(i)}/staticfiles/a.css`)).toBe("built\n");
            expect(fs.readlinkSync(local(`${rel(i)}/media`))).toBe("../../data/media");
            expect(host.file(`${dir}/data/media/upload.bin`)).toBe("user data\n");
            expect(stat(`${dir}/data/media/upload.bin`).mode & 0o777).toBe(0o600);
            expect(leftovers()).toEqual([]);
        });

        it("a release command failing on the rebuild leaves the damaged release serving and nothing behind", async () => {
            const ctx = host.ctx();
            const i = app({ dataDirs: ["data"], releaseCommands: [["sh", "-c", "test ! -e data/stop"]] });
            const state = await application.create(ctx, i);
            host.put(`${dir}/data/data/stop`, "");
            host.put(`${appCurrent("hello")}/app.wsgi`, "edited\n");
            const live = (await application.read(ctx, "hello", state))!;
            await expect(application.update(ctx, live as never, i)).rejects.toThrow(/release command .* exited 1/);
            expect(host.file(`${rel(i)}/app.wsgi`)).toBe("edited\n");
            expect(current()).toBe(`releases/${String(i.sourceSha256)}`);
            expect(leftovers()).toEqual([]);
        });

        it("an edited release that is not live is rebuilt, not switched to, when the program goes back to it", async () => {
            const ctx = host.ctx();
            const a = app();
            let state = await application.create(ctx, a);
            fs.writeFileSync(path.join(src, "b.py"), "b = 1\n");
            state = await application.update(ctx, state, app());
            host.put(`${rel(a)}/app.wsgi`, "edited\n");
            fs.rmSync(path.join(src, "b.py"));
            const writes = host.writes.length;
            state = await application.update(ctx, state, app());
            expect(uploads(writes)).toBe(1);
            expect(current()).toBe(`releases/${String(a.sourceSha256)}`);
            expect(host.file(`${rel(a)}/app.wsgi`)).toBe(fs.readFileSync(path.join(src, "app.wsgi"), "utf8"));
            expect((await application.read(ctx, "hello", state))!.sourceSha256).toBe(a.sourceSha256);
        });

        it("deploy-app swaps a rebuilt release in with two renames while `current` dangles", () => {
            const script = fs.readFileSync(path.join(__dirname, "../../native/deploy-app.sh"), "utf8");
            expect(script).toMatch(/mv -T "\$rel" "\$rel\.old" && mv -T "\$rel\.new" "\$rel"\n/);
        });
    });

    describe("8: an app file's mode or owner changed so the daemon cannot read it", () => {
        it.each([
            [
                "chmod 000 on a file",
                "app.wsgi",
                (p: string) => fs.chmodSync(p, 0o000),
                /^current\/app\.wsgi root:root 0 \(a release must be root's, go=rX\)$/,
            ],
            [
                "chown nobody:nogroup + chmod 600 on a file",
                "app.wsgi",
                (p: string) => {
                    fs.chownSync(p, uid("nobody"), uid("nobody"));
                    fs.chmodSync(p, 0o600);
                },
                /^current\/app\.wsgi nobody:\S+ 600 /,
            ],
            ["chmod 700 on a directory", "static", (p: string) => fs.chmodSync(p, 0o700), /current\/static .* 700/],
        ])("%s is reported as sourceSha256 and up re-extracts the release", async (_, file, change, marker) => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            change(local(`${rel(i)}/${file}`));
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toMatch(marker);
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(1);
            const s = stat(`${rel(i)}/${file}`);
            expect([s.uid, s.mode & 0o777]).toEqual([0, file === "static" ? 0o755 : 0o644]);
            expect(leftovers()).toEqual([]);
        });

        it("the app dir or releases dir made untraversable is reported, and up restores it without an upload", async () => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            fs.chmodSync(local(`${dir}/releases`), 0o700);
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toMatch(/^\/srv\/modwsgi\/hello\/releases root:root 700 /);
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(0);
            expect(stat(`${dir}/releases`).mode & 0o777).toBe(0o755);
        });

        it("the loader made unreadable is reported as loaderSha256 and up reinstalls it", async () => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            fs.chmodSync(local(appLoader("hello")), 0o600);
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.loaderSha256).toMatch(/600/);
            expect(r.changed).toEqual(["loaderSha256"]);
            expect(stat(appLoader("hello")).mode & 0o777).toBe(0o644);
            expect(host.file(appLoader("hello"))).toBe(renderLoader(i as never));
        });

        it("files a release command wrote with a private mode are readable by the daemon afterwards: no drift", async () => {
            const ctx = host.ctx();
            const i = app({ releaseCommands: [["sh", "-c", "umask 077 && mkdir cache && echo x > cache/k"]] });
            const state = await application.create(ctx, i);
            expect(stat(`${rel(i)}/cache/k`).mode & 0o777).toBe(0o644);
            const live = (await application.read(ctx, "hello", state))!;
            expect(live.sourceSha256).toBe(i.sourceSha256);
            expect(diff(application, live, i).changed).toEqual([]);
        });
    });

    describe("9: the release dir or `current` deleted or repointed", () => {
        it("`current` deleted: reported as sourceSha256 missing; up links it again without an upload", async () => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            fs.rmSync(local(appCurrent("hello")));
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toBe("missing");
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(0);
            expect(current()).toBe(`releases/${String(i.sourceSha256)}`);
            expect(r.restarted).toBe(true);
        });

        it("`current` replaced by a copy of the release: reported missing; up puts the link back", async () => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            fs.rmSync(local(appCurrent("hello")));
            fs.cpSync(local(rel(i)), local(appCurrent("hello")), { recursive: true });
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toBe("missing");
            expect(r.uploaded).toBe(0);
            expect(current()).toBe(`releases/${String(i.sourceSha256)}`);
            expect(fs.readdirSync(local(dir)).filter((f) => f.startsWith("current"))).toEqual(["current"]);
        });

        it("`current` repointed to an earlier release: reported with that release's hash; up switches back", async () => {
            const ctx = host.ctx();
            const a = app();
            let state = await application.create(ctx, a);
            fs.writeFileSync(path.join(src, "b.py"), "b = 1\n");
            const b = app();
            state = await application.update(ctx, state, b);
            fs.rmSync(local(appCurrent("hello")));
            fs.symlinkSync(`releases/${String(a.sourceSha256)}`, local(appCurrent("hello")));
            const r = await refreshAndUp(ctx, state, b);
            expect(r.live.sourceSha256).toBe(a.sourceSha256);
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(0);
            expect(current()).toBe(`releases/${String(b.sourceSha256)}`);
        });

        it("the live release dir deleted: reported missing; up uploads it again and restarts the group", async () => {
            const ctx = host.ctx();
            const i = app({ dataDirs: ["media"] });
            const state = await application.create(ctx, i);
            host.put(`${dir}/data/media/keep`, "user data\n");
            fs.rmSync(local(rel(i)), { recursive: true });
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.sourceSha256).toBe("missing");
            expect(r.changed).toEqual(["sourceSha256"]);
            expect(r.uploaded).toBe(1);
            expect(host.file(`${rel(i)}/app.wsgi`)).toBeDefined();
            expect(r.restarted).toBe(true);
            expect(host.file(`${dir}/data/media/keep`)).toBe("user data\n");
        });

        it("`current` pointing at another release whose dir is gone: reported missing; up switches to the right one", async () => {
            const ctx = host.ctx();
            const a = app();
            let state = await application.create(ctx, a);
            fs.writeFileSync(path.join(src, "b.py"), "b = 1\n");
            const b = app();
            state = await application.update(ctx, state, b);
            fs.rmSync(local(appCurrent("hello")));
            fs.symlinkSync(`releases/${String(a.sourceSha256)}`, local(appCurrent("hello")));
            fs.rmSync(local(rel(a)), { recursive: true });
            const r = await refreshAndUp(ctx, state, b);
            expect(r.live.sourceSha256).toBe("missing");
            expect(r.uploaded).toBe(0);
            expect(current()).toBe(`releases/${String(b.sourceSha256)}`);
        });
    });

    describe("10: env.json edited, deleted, or its owner or mode changed", () => {
        it("edited: reported as environment; up rewrites it (400, the daemon's user, root group)", async () => {
            const ctx = host.ctx();
            const i = app({ environment: { A: "1" } });
            const state = await application.create(ctx, i);
            fs.chmodSync(local(appEnvFile("hello")), 0o600);
            fs.writeFileSync(local(appEnvFile("hello")), renderEnv({ A: "2" }));
            fs.chmodSync(local(appEnvFile("hello")), 0o400);
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.environment).toEqual({ A: "2" });
            expect(r.changed).toEqual(["environment"]);
            expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ A: "1" }));
            const s = stat(appEnvFile("hello"));
            expect([s.uid, s.gid, s.mode & 0o777]).toEqual([uid("www-data"), 0, 0o400]);
            expect(r.restarted).toBe(true);
        });

        it("deleted: reported as environment (and envFileMode missing); up writes it again", async () => {
            const ctx = host.ctx();
            const i = app({ environment: { A: "1" } });
            const state = await application.create(ctx, i);
            fs.rmSync(local(appEnvFile("hello")));
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.envFileMode).toBe("missing");
            expect(r.changed).toEqual(["environment"]);
            expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ A: "1" }));
            expect(stat(appEnvFile("hello")).mode & 0o777).toBe(0o400);
        });

        it.each([
            ["chown root", (p: string) => fs.chownSync(p, 0, 0), /^root:root 400 /],
            ["chmod 644", (p: string) => fs.chmodSync(p, 0o644), /^www-data:root 644 /],
            ["chgrp www-data", (p: string) => fs.chownSync(p, uid("www-data"), uid("www-data")), /^www-data:\S+ 400 /],
        ])("%s: reported as envFileMode; up puts owner and mode back", async (_, change, marker) => {
            const ctx = host.ctx();
            const i = app({ environment: { A: "1" } });
            const state = await application.create(ctx, i);
            expect(state.envFileMode).toBe("www-data:root 400");
            change(local(appEnvFile("hello")));
            const r = await refreshAndUp(ctx, state, i);
            expect(r.live.envFileMode).toMatch(marker);
            expect(r.changed).toEqual(["envFileMode"]);
            const s = stat(appEnvFile("hello"));
            expect([s.uid, s.gid, s.mode & 0o777]).toEqual([uid("www-data"), 0, 0o400]);
            expect(host.file(appEnvFile("hello"))).toBe(renderEnv({ A: "1" }));
            expect(r.repaired.envFileMode).toBe("www-data:root 400");
        });

        it("a daemon user given as #uid reads back as right", async () => {
            host.put(daemonFile("hello"), 'WSGIDaemonProcess hello user="#4242" group=daemon\n');
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            const live = (await application.read(ctx, "hello", state))!;
            expect(live.envFileMode).toBe("#4242:root 400");
            expect(diff(application, live, i).changed).toEqual([]);
            // Read without a recorded state (an import) finds the daemon's user too.
            expect((await application.read(ctx, "hello", undefined))!.envFileMode).toBe("#4242:root 400");
        });
    });

    describe("the loader wsgi.py edited or deleted", () => {
        it.each([
            // An edit no input explains is the fingerprint; a loader gone also loses the script it names.
            [
                "edited",
                (i: Props) => host.put(appLoader("hello"), renderLoader(i as never) + "import os\n"),
                ["loaderSha256"],
            ],
            ["deleted", () => fs.rmSync(local(appLoader("hello"))), ["scriptFile"]],
        ])("%s: reported, and up writes it again", async (_, change, changed) => {
            const ctx = host.ctx();
            const i = app();
            const state = await application.create(ctx, i);
            change(i);
            const r = await refreshAndUp(ctx, state, i);
            expect(r.changed).toEqual(changed);
            expect(host.file(appLoader("hello"))).toBe(renderLoader(i as never));
            expect(stat(appLoader("hello")).mode & 0o777).toBe(0o644);
        });
    });

    it("changes in the data directories are neither reported nor touched", async () => {
        const ctx = host.ctx();
        const i = app({ dataDirs: ["media"] });
        const state = await application.create(ctx, i);
        host.put(`${dir}/data/media/private.bin`, "x\n", 0o600);
        fs.chownSync(local(`${dir}/data/media/private.bin`), uid("nobody"), uid("nobody"));
        fs.chmodSync(local(`${dir}/data/media`), 0o700);
        const live = (await application.read(ctx, "hello", state))!;
        expect(diff(application, live, i).changed).toEqual([]);
        await application.update(ctx, live as never, i);
        expect(stat(`${dir}/data/media/private.bin`).uid).toBe(uid("nobody"));
        expect(stat(`${dir}/data/media/private.bin`).mode & 0o777).toBe(0o600);
    });
});
