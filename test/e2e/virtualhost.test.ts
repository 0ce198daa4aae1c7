// Two apps in two daemon groups on one TLS virtual host: served over HTTPS with the declared certificate,
// absent from plain HTTP, key file root-only, no drift on refresh, gone after destroy. Then redirectHttp
// (301 to the TLS vhost, drift when removed by hand) and vhost ports: served on one ApacheHost listens on,
// refused before writing on one it does not.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const STEP = 15 * 60_000;
const SERVER_NAME = "secure.sandbox.test";
afterAll(destroyStacks);

/** HTTPS GET that trusts only our certificate and checks it names SERVER_NAME. */
function tlsGet(address: string, urlPath: string, ca: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request({ host: address, port: 443, path: urlPath, ca, servername: SERVER_NAME, headers: { Host: SERVER_NAME }, timeout: 10_000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
    });
}

describe("VirtualHost with TLS", () => {
    it("serves two apps in two daemon groups over HTTPS on one vhost", { timeout: STEP }, async () => {
        const h = sandboxHost("h2");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-"));
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${SERVER_NAME}`,
            "-addext", `subjectAltName=DNS:${SERVER_NAME}`, "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
        const ca = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");

        const stack = new Stack("tlsvhost", path.join(REPO, "test/e2e/programs/tlsvhost"));
        stack.configHost(h);
        stack.config("serverName", SERVER_NAME);
        stack.config("certificateFile", path.join(dir, "cert.pem"));
        stack.config("keyFile", path.join(dir, "key.pem"));
        stack.up();

        for (const app of ["shop", "blog"]) {
            let res = { status: 0, body: "" };
            for (let i = 0; i < 20 && res.status !== 200; i++) {
                res = await tlsGet(h.address, `/${app}/`, ca).catch((e) => ({ status: 0, body: String(e) }));
                if (res.status !== 200) await new Promise((r) => setTimeout(r, 500));
            }
            expect(res.body).toMatch(new RegExp(`^Hello from Flask, served by mod_wsgi/6\\.1\\.1 in daemon group '${app}'`));
            // Mounted in the TLS vhost only: the plain-HTTP default site does not have it.
            expect((await get(`http://${h.address}/${app}/`, 404)).status).toBe(404);
        }
        expect(ssh(h, "stat -c '%U:%G %a' /etc/modwsgi/tls/secure.key").stdout.trim()).toBe("root:root 600");
        stack.run(["preview", "--refresh", "--expect-no-changes"]);

        stack.run(["destroy", "--yes", "--skip-preview"]);
        expect(ssh(h, "ls /etc/apache2/sites-enabled/modwsgi-secure.conf /etc/apache2/sites-available/modwsgi-secure.conf /etc/modwsgi/tls/secure.key /etc/apache2/modwsgi.d/vhost-secure 2>&1").stdout)
            .not.toMatch(/^\/etc/m);
    });
});

const REDIRECT_NAME = "redirect.sandbox.test";

/** `curl -sI` to port 80 of the host for `host`, retried while Apache's graceful reload settles. */
async function head(address: string, host: string, urlPath = "/"): Promise<string> {
    let out = "";
    for (let i = 0; i < 20; i++) {
        try {
            out = execFileSync("curl", ["-sI", "--max-time", "10", `http://${address}${urlPath}`, "-H", `Host: ${host}`]).toString();
        } catch (e) {
            out = String(e);
        }
        if (/^HTTP\/1\.1 301/.test(out)) break;
        await new Promise((r) => setTimeout(r, 500));
    }
    return out;
}

describe("VirtualHost ports and the HTTP redirect", () => {
    it("redirects HTTP to the TLS vhost, serves on a listened extra port, refuses a port Apache does not listen on", { timeout: STEP }, async () => {
        const h = sandboxHost("h2");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redir-"));
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${REDIRECT_NAME}`,
            "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });

        const stack = new Stack("vhostports", path.join(REPO, "test/e2e/programs/vhostports"));
        stack.configHost(h);
        stack.config("serverName", REDIRECT_NAME);
        stack.config("certificateFile", path.join(dir, "cert.pem"));
        stack.config("keyFile", path.join(dir, "key.pem"));
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
        expect(await head(h.address, REDIRECT_NAME, "/a/b?c=1")).toMatch(/^Location: https:\/\/redirect\.sandbox\.test\/a\/b\?c=1\r?$/m);
        // The vhost on 8080 (listed in ApacheHost.listenPorts) serves the app mounted in it.
        expect((await get(`http://${h.address}:8080/hello/`)).body).toMatch(/^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'alt'/);
        stack.run(["preview", "--refresh", "--expect-no-changes"]);

        // The redirect block removed by hand is drift on redirectHttp; up puts it back.
        const file = "/etc/apache2/sites-available/modwsgi-redirect.conf";
        expect(ssh(h, `sed -i '/^<VirtualHost \\*:80>$/,/^<\\/VirtualHost>$/d' ${file} && grep -c VirtualHost ${file}`).stdout.trim()).toBe("2");
        const drift = stack.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail");
        expect(drift).toMatch(/redirectHttp\s*:\s*false\s*=>\s*true/);
        stack.up();
        expect(ssh(h, `grep -c '^    Redirect permanent / https://redirect.sandbox.test/$' ${file}`).stdout.trim()).toBe("1");

        // A port Apache does not listen on fails up before anything is written: the vhost stays on 8080.
        stack.config("altPort", "8081");
        const out = stack.run(["up", "--yes", "--skip-preview"], "fail");
        expect(out).toContain(`VirtualHost.port: Apache on ${h.address} does not listen on 8081; add it to ApacheHost.listenPorts`);
        expect(ssh(h, "grep -c '^<VirtualHost \\*:8080>$' /etc/apache2/sites-available/modwsgi-alt.conf").stdout.trim()).toBe("1");
        expect((await get(`http://${h.address}:8080/hello/`)).status).toBe(200);

        stack.config("altPort", "8080");
        stack.run(["destroy", "--yes", "--skip-preview"]);
        expect(ssh(h, `ls ${file} /etc/apache2/sites-available/modwsgi-alt.conf /etc/modwsgi/tls/redirect.key 2>&1`).stdout).not.toMatch(/^\/etc/m);
    });
});
