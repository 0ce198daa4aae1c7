// The typed model through the real CLI: cross-resource checks at preview, before anything touches a host.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, acceptedLogins, destroyStacks, sandboxHost, ssh } from "./harness";

afterAll(destroyStacks);

describe("typed model at preview", () => {
    it(
        "two daemon groups with one name on one host fail preview, naming both resources, without logging in",
        { timeout: 600_000 },
        () => {
            const h = sandboxHost("h2");
            const s = new Stack("duplicate", path.join(REPO, "test/e2e/programs/duplicate"), { refresh: false });
            s.configHost(h);
            const before = acceptedLogins(h);
            const out = s.run(["preview"], "fail");
            expect(out).toMatch(
                /DaemonProcess\.name: daemon process group "web" is already declared on this host by (first|second)/,
            );
            expect(acceptedLogins(h)).toBe(before);
        },
    );

    it(
        "a missing prerequisite (apache2-dev) fails up naming apxs and the package; nothing on the host changes",
        { timeout: 600_000 },
        () => {
            // h4 is this file's own host: the others keep their packages.
            const h = sandboxHost("h4");
            const state = "find /etc/apache2 /opt /srv /var/lib/modwsgi 2>/dev/null | sort | sha256sum";
            expect(ssh(h, "dpkg -r --force-depends apache2-dev >/dev/null 2>&1; ! command -v apxs").code).toBe(0);
            const before = ssh(h, state).stdout;
            const s = new Stack("prereq", path.join(REPO, "examples/flask-hello"));
            s.config("host", h.address);
            s.config("hostKey", h.hostKey);
            const out = s.run(["up", "--yes", "--skip-preview"], "fail");
            expect(out).toMatch(/apxs not found \(install the Debian package apache2-dev\)/);
            expect(ssh(h, state).stdout).toBe(before);
        },
    );

    it(
        "a PythonEnv installs from uploaded wheels on a host with no route to any package index",
        { timeout: 600_000 },
        () => {
            const h = sandboxHost("h4");
            const wheels = fs.mkdtempSync(path.join(os.tmpdir(), "wheels-"));
            // This machine's pip fetches them for the host's Python (Debian 12: CPython 3.11).
            execFileSync(
                "python3",
                [
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--only-binary=:all:",
                    "--python-version",
                    "3.11",
                    "--implementation",
                    "cp",
                    "--abi",
                    "cp311",
                    "--platform",
                    "manylinux2014_x86_64",
                    "-d",
                    wheels,
                    "flask==3.1.2",
                ],
                { stdio: "ignore" },
            );
            execFileSync("ip", ["netns", "exec", "mws-h4", "ip", "route", "del", "default"]);
            expect(ssh(h, "ip route | grep -c default || true").stdout.trim()).toBe("0");
            const s = new Stack("offline", path.join(REPO, "test/e2e/programs/offline"), { refresh: false });
            s.configHost(h);
            s.config("wheels", wheels);
            s.up();
            expect(
                ssh(
                    h,
                    "/opt/modwsgi/envs/offline/bin/python -c 'import flask, importlib.metadata as m; print(m.version(\"flask\"))'",
                ).stdout.trim(),
            ).toBe("3.1.2");
            s.run(["preview", "--refresh", "--expect-no-changes"]);
        },
    );
});
