// On Debian 12 and 13: two apps in two daemon groups on one TLS virtual host, served over HTTPS with the
// declared certificate, absent from plain HTTP, and a third at server scope with embedded mode restricted;
// key file root-only, no drift on refresh; a code-only deploy of one app restarts only its daemon group;
// gone after destroy. Then redirectHttp (301 to the TLS vhost, drift when removed by hand) and vhost ports:
// served on one ApacheHost listens on, refused before writing on one it does not.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, httpsGet, sandboxHost, selfSigned, ssh } from "./harness";

const STEP = 15 * 60_000;
const SERVER_NAME = "secure.sandbox.test";
afterAll(destroyStacks);

describe.each([
    ["Debian 12", "h37"],
    ["Debian 13", "h38"],
])("VirtualHost with TLS on %s", (_os, hostName) => {
    it(
        "serves two apps in two daemon groups over HTTPS on one vhost and a third at server scope; a code-only deploy of one leaves the others' daemons alone",
        { timeout: STEP },
        async () => {
            const h = sandboxHost(hostName);
            const { dir, ca } = selfSigned(SERVER_NAME);
            const shopSrc = path.join(dir, "shop");
            fs.cpSync(path.join(REPO, "examples/flask-hello/app"), shopSrc, { recursive: true });

            const stack = new Stack(`tlsvhost-${hostName}`, path.join(REPO, "test/e2e/programs/tlsvhost"));
            stack.configHost(h);
            stack.configSite(SERVER_NAME, dir);
            stack.config("shopSource", shopSrc);
            stack.up();

            const https200 = (app: string) => httpsGet(h.address, `/${app}/`, ca, SERVER_NAME);
            const python = hostName === "h38" ? "3\\.13" : "3\\.11";
            for (const app of ["shop", "blog"]) {
                expect((await https200(app)).body).toMatch(
                    new RegExp(
                        `^Hello from Flask, served by mod_wsgi/6\\.1\\.1 in daemon group '${app}' \\(Python ${python}\\.`,
                    ),
                );
                // Mounted in the TLS vhost only: the plain-HTTP default site does not have it.
                expect((await get(`http://${h.address}/${app}/`, 404)).status).toBe(404);
            }
            // The server-scope app answers on the default site, with Python kept out of Apache's own children.
            expect((await get(`http://${h.address}/plain/`)).body).toMatch(
                /^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'plain'/,
            );
            expect(ssh(h, "cat /etc/apache2/modwsgi.d/00-server.conf").stdout).toMatch(/^WSGIRestrictEmbedded On$/m);
            expect(ssh(h, "stat -c '%U:%G %a' /etc/modwsgi/tls/secure.key").stdout.trim()).toBe("root:root 600");
            stack.run(["preview", "--refresh", "--expect-no-changes"]);

            // Code-only deploy of shop: only its group restarts; blog's and plain's daemons and Apache's parent stay.
            const pids = (group: string) => ssh(h, `pgrep -f '^\\(wsgi:${group}\\)' | sort`).stdout.trim();
            const before = {
                shop: pids("shop"),
                blog: pids("blog"),
                plain: pids("plain"),
                parent: ssh(h, "cat /var/run/apache2/apache2.pid").stdout.trim(),
            };
            expect(before.blog).not.toBe("");
            expect(before.plain).not.toBe("");
            fs.writeFileSync(
                path.join(shopSrc, "hello.py"),
                fs.readFileSync(path.join(shopSrc, "hello.py"), "utf8").replace("'Hello'", "'Changed'"),
            );
            const out = stack.up();
            expect(out).toMatch(/~ +modwsgi:index:Application +shop +updated/);
            expect(out).not.toMatch(/modwsgi:index:(Application +(blog|plain)|DaemonProcess|VirtualHost).* updated/);
            let body = "";
            for (let i = 0; i < 20 && !body.startsWith("Changed"); i++) {
                body = (await https200("shop")).body;
                if (!body.startsWith("Changed")) await new Promise((r) => setTimeout(r, 500));
            }
            expect(body).toMatch(/^Changed from Flask/);
            expect((await https200("blog")).body).toMatch(/^Hello from Flask/);
            expect(pids("blog")).toBe(before.blog);
            expect(pids("plain")).toBe(before.plain);
            expect(ssh(h, "cat /var/run/apache2/apache2.pid").stdout.trim()).toBe(before.parent);
            expect(pids("shop")).not.toBe(before.shop);

            stack.run(["destroy", "--yes", "--skip-preview"]);
            expect(
                ssh(
                    h,
                    "ls /etc/apache2/sites-enabled/modwsgi-secure.conf /etc/apache2/sites-available/modwsgi-secure.conf /etc/modwsgi/tls/secure.key /etc/apache2/modwsgi-vhosts/secure /etc/apache2/modwsgi.d/vhost-secure 2>&1",
                ).stdout,
            ).not.toMatch(/^\/etc/m);
        },
    );
});

const REDIRECT_NAME = "redirect.sandbox.test";

/** `curl -sI` to port 80 of the host for `host`, retried while Apache's graceful reload settles. */
async function head(address: string, host: string, urlPath = "/"): Promise<string> {
    let out = "";
    for (let i = 0; i < 20; i++) {
        try {
            out = execFileSync("curl", [
                "-sI",
                "--max-time",
                "10",
                `http://${address}${urlPath}`,
                "-H",
                `Host: ${host}`,
            ]).toString();
        } catch (e) {
            out = String(e);
        }
        if (/^HTTP\/1\.1 301/.test(out)) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    return out;
}

describe("VirtualHost ports and the HTTP redirect", () => {
    it(
        "redirects HTTP to the TLS vhost, serves on a listened extra port, refuses a port Apache does not listen on",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h37");
            const { dir } = selfSigned(REDIRECT_NAME);

            const stack = new Stack("vhostports", path.join(REPO, "test/e2e/programs/vhostports"));
            stack.configHost(h);
            stack.configSite(REDIRECT_NAME, dir);
            stack.config("altServerName", "alt.sandbox.test");
            stack.config("altPort", "8080");
            stack.config("listenPorts", "[8080]");
            stack.up();

            const res = await head(h.address, REDIRECT_NAME);
            expect(res).toMatch(/^HTTP\/1\.1 301 /);
            expect(res).toMatch(/^Location: https:\/\/redirect\.sandbox\.test\/\r?$/m);
            // Only that name is redirected: Debian's default site stays the default for other names.
            expect(await head(h.address, "unknown.sandbox.test")).toMatch(/^HTTP\/1\.1 200 /);
            // Redirect keeps the path below /.
            expect(await head(h.address, REDIRECT_NAME, "/a/b?c=1")).toMatch(
                /^Location: https:\/\/redirect\.sandbox\.test\/a\/b\?c=1\r?$/m,
            );
            // The vhost on 8080 (listed in ApacheHost.listenPorts) serves the app mounted in it.
            expect((await get(`http://${h.address}:8080/hello/`)).body).toMatch(
                /^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'alt'/,
            );
            stack.run(["preview", "--refresh", "--expect-no-changes"]);

            // The redirect block removed by hand is drift on redirectHttp; up puts it back.
            const file = "/etc/apache2/sites-available/modwsgi-redirect.conf";
            expect(
                ssh(
                    h,
                    `sed -i '/^<VirtualHost \\*:80>$/,/^<\\/VirtualHost>$/d' ${file} && grep -c VirtualHost ${file}`,
                ).stdout.trim(),
            ).toBe("2");
            const drift = stack.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail");
            expect(drift).toMatch(/redirectHttp\s*:\s*false\s*=>\s*true/);
            stack.up();
            expect(
                ssh(h, `grep -c '^    Redirect permanent / https://redirect.sandbox.test/$' ${file}`).stdout.trim(),
            ).toBe("1");

            // A port Apache does not listen on fails up before anything is written: the vhost stays on 8080.
            stack.config("altPort", "8081");
            const out = stack.run(["up", "--yes", "--skip-preview"], "fail");
            expect(out).toContain(
                `VirtualHost.port: Apache on ${h.address} does not listen on 8081; add it to ApacheHost.listenPorts`,
            );
            expect(
                ssh(
                    h,
                    "grep -c '^<VirtualHost \\*:8080>$' /etc/apache2/sites-available/modwsgi-alt.conf",
                ).stdout.trim(),
            ).toBe("1");
            expect((await get(`http://${h.address}:8080/hello/`)).status).toBe(200);

            stack.config("altPort", "8080");
            stack.run(["destroy", "--yes", "--skip-preview"]);
            expect(
                ssh(h, `ls ${file} /etc/apache2/sites-available/modwsgi-alt.conf /etc/modwsgi/tls/redirect.key 2>&1`)
                    .stdout,
            ).not.toMatch(/^\/etc/m);
        },
    );
});
