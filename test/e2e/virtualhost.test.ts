// Two apps in two daemon groups on one TLS virtual host: served over HTTPS with the declared certificate,
// absent from plain HTTP, key file root-only, no drift on refresh, gone after destroy.
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
        stack.config("host", h.address);
        stack.config("hostKey", h.hostKey);
        stack.config("privateKeyFile", h.privateKeyFile);
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
        expect(ssh(h, "ls /etc/apache2/modwsgi.d/15-vhost-secure.conf /etc/modwsgi/tls/secure.key /etc/apache2/modwsgi.d/vhost-secure 2>&1").stdout)
            .not.toMatch(/^\/etc/m);
    });
});
