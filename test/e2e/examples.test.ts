// examples/tls-site as a user would run it, against a sandbox host: HTTP redirected to HTTPS, the main app
// at / with a secret in its environment and static files from Apache, the API at /api in its own group and
// interpreter (its name sorts after the root app's, so only mount-depth ordering keeps / from hiding it);
// no drift; the secret only encrypted in the state; destroyed.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, httpsGet, sandboxHost, selfSigned, ssh } from "./harness";

const SERVER_NAME = "site.sandbox.test";
afterAll(destroyStacks);

describe("examples/tls-site", () => {
    it(
        "serves both apps over HTTPS, redirects HTTP, keeps the secret encrypted, and reads back without drift",
        { timeout: 15 * 60_000 },
        async () => {
            const h = sandboxHost("h9");
            const { dir, ca } = selfSigned(SERVER_NAME);
            const secret = `s3cr3t-${Date.now()}`;
            const s = new Stack("tls-site", path.join(REPO, "examples/tls-site"));
            s.configHost(h);
            s.configSite(SERVER_NAME, dir);
            s.configSecret("secretKey", secret);
            s.up();

            expect((await httpsGet(h.address, "/", ca, SERVER_NAME)).body).toMatch(
                /^Welcome from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'main'/,
            );
            expect((await httpsGet(h.address, "/api/", ca, SERVER_NAME)).body).toMatch(
                /^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'rest-api'/,
            );
            expect(JSON.parse((await httpsGet(h.address, "/api/info", ca, SERVER_NAME)).body)).toMatchObject({
                process_group: "rest-api",
                application_group: "api",
            });
            // Static files come from Apache, not Flask (the app has no static route).
            const staticFile = fs.readFileSync(path.join(REPO, "examples/flask-hello/app/static/hello.txt"), "utf8");
            expect((await httpsGet(h.address, "/static/hello.txt", ca, SERVER_NAME)).body).toBe(staticFile);
            const head = execFileSync("curl", [
                "-sI",
                "--max-time",
                "10",
                `http://${h.address}/api/x`,
                "-H",
                `Host: ${SERVER_NAME}`,
            ]).toString();
            expect(head).toMatch(/^HTTP\/1\.1 301 /);
            expect(head).toMatch(/^Location: https:\/\/site\.sandbox\.test\/api\/x\r?$/m);
            // On the host only root and the daemon's user may read the environment file.
            expect(ssh(h, "stat -c '%U:%G %a' /srv/modwsgi/main/env.json").stdout.trim()).toBe("www-data:root 400");
            expect(s.run(["stack", "export"])).not.toContain(secret);

            s.run(["preview", "--refresh", "--expect-no-changes"]);
            s.run(["destroy", "--yes", "--skip-preview"]);
            expect(ssh(h, "ls -A /srv/modwsgi").stdout.trim()).toBe("");
            expect(ssh(h, "ls /etc/apache2/sites-enabled/modwsgi-site.conf").code).not.toBe(0);
        },
    );
});
