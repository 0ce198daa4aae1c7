// ApacheHost on a real host: its facts come from the host, and its server-wide settings take effect:
// the worker MPM (a full restart), daemon sockets under the chosen prefix, an extra Listen port.
import { afterAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

afterAll(destroyStacks);

describe("ApacheHost", () => {
    it(
        "reports the host's facts and applies MPM, socket prefix and an extra port; refresh finds no drift",
        { timeout: 900_000 },
        async () => {
            const h = sandboxHost("h8");
            const s = new Stack("hostsettings", path.join(REPO, "test/e2e/programs/hostsettings"));
            s.configHost(h);
            s.up();
            const facts = JSON.parse(s.run(["stack", "output", "facts", "--json"]));
            expect(facts).toEqual({
                osVersion: "12",
                apacheVersion: expect.stringMatching(/^2\.4\.\d+$/),
                apacheMpm: "worker",
                systemd: false,
                python: expect.stringMatching(/^3\.11\.\d+$/),
                apxs: "/usr/bin/apxs",
            });
            expect(ssh(h, "apache2ctl -V | grep 'Server MPM'").stdout).toMatch(/worker/);

            // Served on the extra port too (server-scope mount), by a daemon whose socket has the new prefix.
            expect((await get(`http://${h.address}:8080/hello/`)).body).toMatch(
                /^Hello from Flask, served by mod_wsgi\/6\.1\.1/,
            );
            expect(ssh(h, "ls /var/run/apache2/ | grep -c '^modwsgi\\..*\\.sock$'").stdout.trim()).not.toBe("0");
            s.run(["preview", "--refresh", "--expect-no-changes"]);

            s.run(["destroy", "--yes", "--skip-preview"]);
            expect(
                ssh(h, "ls /etc/apache2/modwsgi.d/00-server.conf /etc/apache2/conf-enabled/modwsgi-listen.conf 2>&1")
                    .stdout,
            ).not.toMatch(/^\/etc/m);
            expect(ssh(h, "grep -rs '^Listen 8080' /etc/apache2/ || true").stdout).toBe("");
        },
    );
});
