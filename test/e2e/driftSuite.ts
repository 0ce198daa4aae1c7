// Drift that matters, end to end (docs/drift.md): each class injected by hand over SSH on a sandbox host serving
// apps (two on a TLS vhost, one at server scope): `pulumi preview --expect-no-changes` (refresh always) fails
// naming the property, `pulumi up` repairs it, the next preview passes, and the app answers. Then changes to
// things the stack does not own are never reported, five refreshes in a row. Run on Debian 12 (drift.test.ts)
// and Debian 13 (drift-debian13.test.ts), each on a host of its own.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, selfSigned, ssh } from "./harness";

export function driftSuite(hostName: string) {
    const h = sandboxHost(hostName);
    const STEP = 10 * 60_000;
    const APP = "/srv/modwsgi/plain";
    const url = `http://${h.address}/plain/`;
    afterAll(destroyStacks);

    let stack: Stack;

    /** Injects a change, checks it is reported naming `property`, repaired by up, and gone; the app answers again. */
    async function cycle(inject: string, property: RegExp, opts: { upFails?: RegExp; fix?: string } = {}) {
        const r = ssh(h, inject);
        expect(r.code, `injecting: ${inject}\n${r.stderr}`).toBe(0);
        const preview = stack.run(["preview", "--expect-no-changes", "--diff"], "fail");
        expect(preview, `preview after: ${inject}`).toMatch(property);
        if (opts.upFails) {
            expect(stack.run(["up", "--yes", "--skip-preview"], "fail")).toMatch(opts.upFails);
            expect(ssh(h, opts.fix!).code).toBe(0);
        }
        stack.up();
        stack.run(["preview", "--expect-no-changes"]);
        expect((await get(url)).status).toBe(200);
    }

    describe("every drift class is reported naming its property, and repaired by up", () => {
        it("deploys the site", { timeout: STEP }, async () => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "drift-"));
            fs.cpSync(path.join(REPO, "examples/flask-hello/app"), tmp, { recursive: true });
            const { dir } = selfSigned("drift.sandbox.test");
            stack = new Stack(`drift-${hostName}`, path.join(REPO, "test/e2e/programs/tlsvhost"));
            stack.configHost(h);
            stack.configSite("drift.sandbox.test", dir);
            stack.config("plainSource", tmp);
            stack.up();
            expect((await get(url)).body).toMatch(/^Hello from Flask/);
            stack.run(["preview", "--expect-no-changes"]);
        });

        it("1 a managed config file edited", { timeout: STEP }, () =>
            cycle("echo 'LimitRequestBody 1' >> /etc/apache2/modwsgi.d/28-app-plain.conf", /configSha256/),
        );
        it("2 a managed config file deleted", { timeout: STEP }, () =>
            cycle(
                "rm /etc/apache2/modwsgi.d/10-daemon-shop.conf",
                /\+ modwsgi:index:DaemonProcess: \(create\)\s+\[urn=\S+DaemonProcess::shop\]/,
            ),
        );
        it("3 a daemon option changed by hand", { timeout: STEP }, () =>
            cycle("sed -i 's/ threads=2 / threads=7 /' /etc/apache2/modwsgi.d/10-daemon-plain.conf", /threads/),
        );
        it("4 the .so replaced by other bytes (a new file renamed over it)", { timeout: STEP }, () =>
            cycle(
                "so=$(sed -n 's/^LoadModule wsgi_module //p' /etc/apache2/mods-available/modwsgi.load | tr -d '\"'); " +
                    'cp "$so" "$so.x" && printf x >> "$so.x" && mv "$so.x" "$so"',
                /moduleSha256/,
            ),
        );
        it("5 the module disabled (a2dismod)", { timeout: STEP }, () => cycle("a2dismod -q modwsgi", /moduleEnabled/));
        it("6 a venv package removed", { timeout: STEP }, () =>
            cycle("/opt/modwsgi/envs/tlsapps/bin/pip uninstall -q -y itsdangerous", /freezeSha256/),
        );
        it("7 an app file edited", { timeout: STEP }, () =>
            cycle(`echo '# by hand' >> ${APP}/current/hello.py`, /sourceSha256/),
        );
        it("8 an app file the daemon cannot read", { timeout: STEP }, () =>
            cycle(`chmod 000 ${APP}/current/hello.py`, /sourceSha256/),
        );
        it("9 the current link deleted", { timeout: STEP }, () => cycle(`rm ${APP}/current`, /sourceSha256/));
        it("10 env.json deleted", { timeout: STEP }, () => cycle(`rm ${APP}/env.json`, /environment|envFileMode/));
        it("11 the vhost disabled (a2dissite)", { timeout: STEP }, () =>
            cycle("a2dissite -q modwsgi-secure", /enabled/),
        );
        it("12 the TLS key made readable by all", { timeout: STEP }, () =>
            cycle("chmod 644 /etc/modwsgi/tls/secure.key", /fileModes/),
        );
        it("13 Apache stopped", { timeout: STEP }, () => cycle("apache2ctl stop; sleep 2", /apacheRunning/));
        it(
            "14 a second LoadModule wsgi_module: reported, up refuses naming the file, nothing removed",
            {
                timeout: STEP,
            },
            () =>
                cycle(
                    "echo 'LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so' > /etc/apache2/conf-enabled/zz-old-wsgi.conf",
                    /conflictingLoads/,
                    { upFails: /zz-old-wsgi\.conf/, fix: "rm /etc/apache2/conf-enabled/zz-old-wsgi.conf" },
                ),
        );

        it("what the stack does not own is never reported: five refreshes in a row pass", { timeout: STEP }, () => {
            const r = ssh(
                h,
                "echo '# by hand' >> /etc/apache2/sites-available/000-default.conf && a2dissite -q 000-default && " +
                    "echo 'ServerTokens Prod' > /etc/apache2/conf-enabled/zz-other.conf && " +
                    "echo noise >> /var/log/apache2/error.log",
            );
            expect(r.code, r.stderr).toBe(0);
            for (let i = 0; i < 5; i++) stack.run(["refresh", "--yes", "--expect-no-changes"]);
            ssh(h, "rm -f /etc/apache2/conf-enabled/zz-other.conf; a2ensite -q 000-default");
        });
    });
}
