// Drift that matters, end to end (docs/drift.md): each class injected by hand over SSH on a sandbox host serving
// apps (two on a TLS vhost, one at server scope): `pulumi preview --expect-no-changes` (refresh always) fails
// naming the property, `pulumi up` repairs it, the next preview passes, and the app answers. Then changes to
// things the stack does not own are never reported, five refreshes in a row. Run on Debian 12 (drift.test.ts,
// drift-2.test.ts) and Debian 13 (drift-debian13.test.ts, drift-debian13-2.test.ts): half the classes each, every
// file on a host of its own.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, selfSigned, ssh } from "./harness";

/** One drift class: how it is injected by hand, the property preview must name, and (14) how up refuses it. */
interface DriftClass {
    n: number;
    name: string;
    inject: (app: string) => string;
    property: RegExp;
    upFails?: RegExp;
    fix?: string;
}

const CLASSES: DriftClass[] = [
    {
        n: 1,
        name: "a managed config file edited",
        inject: () => "echo 'LimitRequestBody 1' >> /etc/apache2/modwsgi.d/28-app-plain.conf",
        property: /configSha256/,
    },
    {
        n: 2,
        name: "a managed config file deleted",
        inject: () => "rm /etc/apache2/modwsgi.d/10-daemon-shop.conf",
        property: /\+ modwsgi:index:DaemonProcess: \(create\)\s+\[urn=\S+DaemonProcess::shop\]/,
    },
    {
        n: 3,
        name: "a daemon option changed by hand",
        inject: () => "sed -i 's/ threads=2 / threads=7 /' /etc/apache2/modwsgi.d/10-daemon-plain.conf",
        property: /threads/,
    },
    {
        n: 4,
        name: "the .so replaced by other bytes (a new file renamed over it)",
        inject: () =>
            "so=$(sed -n 's/^LoadModule wsgi_module //p' /etc/apache2/mods-available/modwsgi.load | tr -d '\"'); " +
            'cp "$so" "$so.x" && printf x >> "$so.x" && mv "$so.x" "$so"',
        property: /moduleSha256/,
    },
    { n: 5, name: "the module disabled (a2dismod)", inject: () => "a2dismod -q modwsgi", property: /moduleEnabled/ },
    {
        n: 6,
        name: "a venv package removed",
        inject: () => "/opt/modwsgi/envs/tlsapps/bin/pip uninstall -q -y itsdangerous",
        property: /freezeSha256/,
    },
    {
        n: 7,
        name: "an app file edited",
        inject: (app) => `echo '# by hand' >> ${app}/current/hello.py`,
        property: /sourceSha256/,
    },
    {
        n: 8,
        name: "an app file the daemon cannot read",
        inject: (app) => `chmod 000 ${app}/current/hello.py`,
        property: /sourceSha256/,
    },
    { n: 9, name: "the current link deleted", inject: (app) => `rm ${app}/current`, property: /sourceSha256/ },
    { n: 10, name: "env.json deleted", inject: (app) => `rm ${app}/env.json`, property: /environment|envFileMode/ },
    { n: 11, name: "the vhost disabled (a2dissite)", inject: () => "a2dissite -q modwsgi-secure", property: /enabled/ },
    {
        n: 12,
        name: "the TLS key made readable by all",
        inject: () => "chmod 644 /etc/modwsgi/tls/secure.key",
        property: /fileModes/,
    },
    { n: 13, name: "Apache stopped", inject: () => "apache2ctl stop; sleep 2", property: /apacheRunning/ },
    {
        n: 14,
        name: "a second LoadModule wsgi_module: reported, up refuses naming the file, nothing removed",
        inject: () =>
            "echo 'LoadModule wsgi_module /usr/lib/apache2/modules/mod_wsgi.so' > /etc/apache2/conf-enabled/zz-old-wsgi.conf",
        property: /conflictingLoads/,
        upFails: /zz-old-wsgi\.conf/,
        fix: "rm /etc/apache2/conf-enabled/zz-old-wsgi.conf",
    },
];

/**
 * The suite on `hostName`: the site deployed, then the drift classes numbered in `classes` one after another, and
 * (`notOwned`) the five refreshes over changes the stack does not own. The classes are split over two hosts per
 * Debian release so the chains of previews and ups run side by side.
 */
export function driftSuite(hostName: string, classes: number[], notOwned: boolean) {
    const h = sandboxHost(hostName);
    const STEP = 10 * 60_000;
    const APP = "/srv/modwsgi/plain";
    const url = `http://${h.address}/plain/`;
    afterAll(destroyStacks);

    let stack: Stack;

    /** Injects a class, checks it is reported naming its property, repaired by up, and gone; the app answers again. */
    async function cycle(c: DriftClass) {
        const inject = c.inject(APP);
        const r = ssh(h, inject);
        expect(r.code, `injecting: ${inject}\n${r.stderr}`).toBe(0);
        const preview = stack.run(["preview", "--expect-no-changes", "--diff"], "fail");
        expect(preview, `preview after: ${inject}`).toMatch(c.property);
        if (c.upFails) {
            expect(stack.run(["up", "--yes", "--skip-preview"], "fail")).toMatch(c.upFails);
            expect(ssh(h, c.fix!).code).toBe(0);
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

        for (const c of CLASSES.filter((c) => classes.includes(c.n)))
            it(`${c.n} ${c.name}`, { timeout: STEP }, () => cycle(c));

        if (notOwned)
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
