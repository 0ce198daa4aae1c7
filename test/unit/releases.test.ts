// Releases on a fake host: the factory entry point, where the health check goes, release commands (as the daemon's
// user, with the app's environment, before anything switches), data directories kept across releases and by
// destroy, a switch back to a release still on the host without an upload, and a failed check switching back.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { application } from "../../provider/resources/application";
import { inputs } from "../../provider/resources/application/schema";
import { healthTarget, parse, renderLoader } from "../../provider/resources/application/render";
import type { Props } from "../../provider/resource";
import { PORTS_CONF, appCurrent, appDir, daemonFile } from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { appSource } from "../fixtures";

const base = { name: "hello", mountPoint: "/hello", source: "/x", processGroup: "hello" };

describe("factory entry points and health targets (pure)", () => {
    it("calls a factory once at import, and reads it back", () => {
        const i = inputs.parse({ ...base, entryPoint: "shop.web:create_app()" });
        const loader = renderLoader(i);
        expect(loader).toContain(`application = getattr(import_module("shop.web"), "create_app")()`);
        expect(parse("", loader, "hello").entryPoint).toBe("shop.web:create_app()");
        expect(parse("", renderLoader(inputs.parse({ ...base, entryPoint: "a:app" })), "hello").entryPoint).toBe(
            "a:app",
        );
        expect(inputs.safeParse({ ...base, entryPoint: "a:create_app(1)" }).success).toBe(false);
    });

    it("targets Apache on loopback: the default server, or the app's virtual host with its name and TLS", () => {
        const i = inputs.parse(base);
        expect(healthTarget(i, undefined, [80, 443])).toEqual({ url: "http://127.0.0.1:80/hello", host: "localhost" });
        expect(healthTarget(i, undefined, [8080])).toEqual({ url: "http://127.0.0.1:8080/hello", host: "localhost" });
        const tls = inputs.parse({ ...base, virtualHost: "shop", healthCheck: { path: "/hello/healthz" } });
        const vhost =
            "<VirtualHost *:8443>\n    ServerName shop.example.org\n    SSLEngine on\n</VirtualHost>\n" +
            "<VirtualHost *:80>\n    ServerName shop.example.org\n    Redirect permanent / https://x/\n</VirtualHost>\n";
        expect(healthTarget(tls, vhost, [80, 8443])).toEqual({
            url: "https://127.0.0.1:8443/hello/healthz",
            host: "shop.example.org",
        });
    });

    it("refuses data dir names the app dir uses, repeated names, and empty release commands", () => {
        expect(inputs.safeParse({ ...base, dataDirs: ["current"] }).success).toBe(false);
        expect(inputs.safeParse({ ...base, dataDirs: ["../x"] }).success).toBe(false);
        expect(inputs.safeParse({ ...base, dataDirs: ["data", "data"] }).success).toBe(false);
        expect(inputs.safeParse({ ...base, releaseCommands: [[]] }).success).toBe(false);
        expect(inputs.safeParse({ ...base, healthCheck: { path: "/notes/?q=1" } }).success).toBe(true);
        expect(inputs.safeParse({ ...base, healthCheck: { path: "/a b" } }).success).toBe(false);
        expect(inputs.safeParse({ ...base, healthCheck: { path: "notes" } }).success).toBe(false);
        expect(inputs.safeParse({ ...base, releaseCommands: [["python", "a\0b"]] }).success).toBe(false);
    });
});

describe("releases (fake host)", () => {
    let host: FakeHost;
    let src: string;
    beforeEach(() => {
        host = new FakeHost({ concurrent: true });
        src = appSource(true);
        host.put(daemonFile("hello"), "WSGIDaemonProcess hello threads=5\n");
    });
    afterEach(() => {
        host.cleanup();
        fs.rmSync(src, { recursive: true, force: true });
    });

    const app = (extra: Props = {}): Props =>
        application.normalize!(inputs.parse({ ...base, source: src, healthCheck: { enabled: false }, ...extra }));
    const current = () => fs.readlinkSync(host.local(appCurrent("hello")));
    const releaseDirs = () =>
        fs.readdirSync(host.local(`${appDir("hello")}/releases`)).filter((f) => !f.endsWith(".tree"));

    it("runs release commands as the daemon's user, in the new release, with the environment, before the switch", async () => {
        const i = app({
            environment: { GREETING: "hi-there" },
            dataDirs: ["data"],
            releaseCommands: [
                [
                    "sh",
                    "-c",
                    'id -un > whoami; echo "$GREETING" > data/greeting; mkdir -p staticfiles; echo x > staticfiles/a.css',
                ],
            ],
        });
        const ctx = host.ctx();
        const state = await application.create(ctx, i);
        expect(ctx.messages).toContain(
            "release command `sh -c 'id -un > whoami; echo \"$GREETING\" > data/greeting; mkdir -p staticfiles; echo x > staticfiles/a.css'`: ok",
        );
        const rel = `${appDir("hello")}/releases/${String(i.sourceSha256)}`;
        expect(current()).toBe(`releases/${String(i.sourceSha256)}`);
        expect(host.file(`${rel}/whoami`)).toBe("www-data\n");
        expect(host.file(`${appDir("hello")}/data/data/greeting`)).toBe("hi-there\n");
        // The release is root's again once its commands ran; the data directory stays the daemon's.
        expect(fs.statSync(host.local(`${rel}/staticfiles/a.css`)).uid).toBe(0);
        expect(fs.statSync(host.local(`${appDir("hello")}/data/data`)).uid).not.toBe(0);
        expect(fs.readlinkSync(host.local(`${rel}/data`))).toBe("../../data/data");
        // Files the commands added are the release's own: no drift.
        const live = await application.read(host.ctx(), "hello", state);
        expect(live?.sourceSha256).toBe(i.sourceSha256);
    });

    it("a failing release command stops the deploy: named, its output's tail with secrets masked, nothing switched", async () => {
        const ctx = host.ctx();
        const state = await application.create(ctx, app({ environment: { TOKEN: "tok-7f3a" } }));
        const before = current();
        fs.writeFileSync(path.join(src, "new.py"), "x = 1\n");
        const bad = app({
            environment: { TOKEN: "tok-7f3a" },
            releaseCommands: [["sh", "-c", 'echo "connecting with $TOKEN"; echo "migration 0042 failed"; exit 3']],
        });
        const err = await application.update(ctx, state, bad).catch((e: Error) => e);
        expect(String(err)).toMatch(/release command `sh -c .*` exited 3/);
        expect(String(err)).toContain("migration 0042 failed");
        expect(String(err)).toContain("connecting with ***");
        expect(String(err)).not.toContain("tok-7f3a");
        expect(current()).toBe(before);
        expect(releaseDirs()).toEqual([before.replace("releases/", "")]);
    });

    it("switches back to a release still on the host without an upload; prunes beyond keepReleases", async () => {
        const ctx = host.ctx();
        const a = app({ keepReleases: 2 });
        let state = await application.create(ctx, a);
        fs.writeFileSync(path.join(src, "b.py"), "b = 1\n");
        const b = app({ keepReleases: 2 });
        state = await application.update(ctx, state, b);
        fs.rmSync(path.join(src, "b.py"));
        const writes = host.writes.length;
        const back = app({ keepReleases: 2 });
        expect(back.sourceSha256).toBe(a.sourceSha256);
        state = await application.update(ctx, state, back);
        expect(current()).toBe(`releases/${String(a.sourceSha256)}`);
        expect(host.writes.slice(writes).some((w) => w.endsWith("/source.tgz"))).toBe(false);
        expect(ctx.messages.join("\n")).toMatch(/already on the host: switching to it without an upload/);
        for (const n of ["c.py", "d.py"]) {
            fs.writeFileSync(path.join(src, n), "x = 1\n");
            state = await application.update(ctx, state, app({ keepReleases: 2 }));
        }
        expect(releaseDirs()).toHaveLength(2);
    });

    it("destroy keeps the data directories unless deleteDataOnDestroy", async () => {
        const ctx = host.ctx();
        const state = await application.create(ctx, app({ dataDirs: ["media"] }));
        host.put(`${appDir("hello")}/data/media/upload.bin`, "user data\n");
        await application.delete(ctx, state);
        expect(host.file(`${appDir("hello")}/data/media/upload.bin`)).toBe("user data\n");
        expect(host.exists(appCurrent("hello"))).toBe(false);
        expect(host.exists(`${appDir("hello")}/releases`)).toBe(false);
        const again = await application.create(ctx, app({ dataDirs: ["media"], deleteDataOnDestroy: true }));
        expect(host.file(`${appDir("hello")}/data/media/upload.bin`)).toBe("user data\n");
        await application.delete(ctx, again);
        expect(host.exists(appDir("hello"))).toBe(false);
    });

    it("a release that fails its health check is switched back, with the error log's tail", async () => {
        // Apache's stand-in: 500 (and a traceback in the error log) while release B is current, else 200.
        let bad = "";
        const server = http.createServer((req, res) => {
            const failing = bad !== "" && current().endsWith(bad);
            if (failing)
                fs.appendFileSync(
                    host.local("/var/log/apache2/error.log"),
                    "[wsgi:error] Traceback (most recent call last):\n[wsgi:error] RuntimeError: boom at import\n",
                );
            res.writeHead(failing ? 500 : 200).end(req.headers.host);
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            host.put(PORTS_CONF, `Listen ${(server.address() as AddressInfo).port}\n`);
            host.put("/var/log/apache2/error.log", "");
            const ctx = host.ctx();
            const check = { healthCheck: { timeoutSeconds: 2 } };
            const state = await application.create(ctx, app(check));
            const good = current();
            fs.writeFileSync(path.join(src, "broken.py"), "raise RuntimeError('boom at import')\n");
            const b = app(check);
            bad = String(b.sourceSha256);
            const err = await application.update(ctx, state, b).catch((e: Error) => e);
            expect(String(err)).toMatch(/health check of http:\/\/127\.0\.0\.1:\d+\/hello failed/);
            expect(String(err)).toContain("RuntimeError: boom at import");
            expect(String(err)).toContain("HTTP 500");
            expect(current()).toBe(good);
        } finally {
            server.close();
        }
    });
});
