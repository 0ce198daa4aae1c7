// WsgiModule's sources on real hosts: an uploaded sdist on a host with no route to any package index
// (Debian 13, building with uploaded setuptools), a URL checked against its SHA-256 (Debian 12, after
// ensurePackages put back a removed apache2-dev), and Debian's own 4.9 package, with 6.0-only settings
// refused at preview. The app reports the mod_wsgi version that really serves it.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { REPO, Stack, acceptedLogins, destroyStacks, get, sandboxHost, ssh, type SandboxHost } from "./harness";

const CACHE = process.env.MODWSGI_CACHE ?? "/var/cache/modwsgi";
const SDIST = path.join(CACHE, "sandbox", "sdist", "mod_wsgi-6.1.1.tar.gz");
const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const offline: string[] = [];

afterAll(() => {
    destroyStacks();
    // Give the hosts their route back even when a test failed half-way.
    for (const ns of offline.splice(0))
        execFileSync("ip", ["netns", "exec", ns, "ip", "route", "replace", "default", "via", gateway(ns)]);
});

function gateway(ns: string): string {
    return execFileSync("ip", [
        "netns",
        "exec",
        ns,
        "sh",
        "-c",
        "ip -4 addr show dev eth0 | sed -n 's/.*inet \\([0-9.]*\\)\\.[0-9]*\\/.*/\\1.1/p'",
    ])
        .toString()
        .trim();
}

/** The mod_wsgi 6.1.1 source archive, fetched once by a sandbox host's pip (it needs apxs to read the sdist) and cached. */
function sdist(h: SandboxHost): string {
    if (!fs.existsSync(SDIST)) {
        expect(
            ssh(
                h,
                "rm -rf /tmp/dl && python3 -m venv /tmp/dl && /tmp/dl/bin/pip download -q --no-deps --no-binary :all: -d /tmp/dl/sd mod_wsgi==6.1.1",
            ).code,
        ).toBe(0);
        fs.mkdirSync(path.dirname(SDIST), { recursive: true });
        fs.writeFileSync(
            `${SDIST}.part`,
            execFileSync(
                path.join(REPO, "test/sandbox/sandbox.sh"),
                ["ssh", h.name, "cat /tmp/dl/sd/mod_wsgi-6.1.1.tar.gz"],
                { maxBuffer: 2 ** 28 },
            ),
        );
        fs.renameSync(`${SDIST}.part`, SDIST);
    }
    return SDIST;
}

function stack(name: string, h: SandboxHost): Stack {
    const s = new Stack(name, path.join(REPO, "test/e2e/programs/sources"), { refresh: false });
    s.configHost(h);
    return s;
}

describe("WsgiModule sources", () => {
    it(
        "sdist: uploaded and built with uploaded setuptools on a Debian 13 host with no route to any index; interpreter options apply",
        { timeout: 900_000 },
        async () => {
            const h = sandboxHost("h35");
            const archive = sdist(sandboxHost("h36"));
            const wheels = fs.mkdtempSync(path.join(os.tmpdir(), "build-wheels-"));
            execFileSync(
                "python3",
                ["-m", "pip", "download", "-q", "--only-binary=:all:", "--no-deps", "-d", wheels, "setuptools"],
                { stdio: "ignore" },
            );
            const s = stack("sdist", h);
            s.config("source", "sdist");
            s.config("archive", archive);
            s.config("sha256", sha(archive));
            s.config("buildWheels", wheels);
            s.config("applicationGroup", "sources");
            s.run(["config", "set", "--path", "interpreterOptions.pythonPath[0]", "/srv/extra"]);
            s.run(["config", "set", "--path", "interpreterOptions.restrictStdin", "true"]);

            // A wrong hash fails preview, before the host is contacted.
            s.config("sha256", "0".repeat(64));
            const before = acceptedLogins(h);
            expect(s.run(["preview"], "fail")).toMatch(
                /WsgiModule\.sha256: .*mod_wsgi-6\.1\.1\.tar\.gz has SHA-256 [0-9a-f]{64}, not 0{64}/,
            );
            expect(acceptedLogins(h)).toBe(before);
            s.config("sha256", sha(archive));

            offline.push("mws-h35");
            execFileSync("ip", ["netns", "exec", "mws-h35", "ip", "route", "del", "default"]);
            s.up();
            const app = JSON.parse((await get(`http://${h.address}/app`)).body);
            expect(app.version).toEqual([6, 1, 1]);
            expect(app.group).toBe("web");
            expect(app.path).toContain("/srv/extra");
            expect(s.output("pythonAbi")).toBe("cpython-313-x86_64-linux-gnu");
            expect(ssh(h, "cat /etc/apache2/modwsgi.d/18-interp-sources.conf").stdout).toMatch(
                /<WSGIInterpreterOptions process-group=web application-group=sources>\n {4}WSGIPythonPath \/srv\/extra\n {4}WSGIRestrictStdin On\n<\/WSGIInterpreterOptions>/,
            );
            s.run(["preview", "--refresh", "--expect-no-changes"]);
            // A hand edit of the interpreter options is drift on the Application.
            ssh(
                h,
                "sed -i 's/WSGIRestrictStdin On/WSGIRestrictStdin Off/' /etc/apache2/modwsgi.d/18-interp-sources.conf",
            );
            expect(s.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail")).toMatch(
                /restrictStdin: false => true/,
            );
            // Debian 13 has no free-threaded Python: freeThreading is refused at up, naming what the module is built for.
            s.config("freeThreading", "true");
            expect(s.run(["up", "--yes", "--skip-preview"], "fail")).toMatch(
                /ApacheHost\.freeThreading needs mod_wsgi built for a free-threaded Python \(3\.13t\); the module on .* is built for cpython-313-x86_64-linux-gnu/,
            );
            expect(
                ssh(h, "grep -c WSGIFreeThreading /etc/apache2/modwsgi.d/00-server.conf || true").stdout.trim(),
            ).toBe("0");
            s.run(["config", "rm", "freeThreading"]);
            execFileSync("ip", [
                "netns",
                "exec",
                "mws-h35",
                "ip",
                "route",
                "replace",
                "default",
                "via",
                gateway("mws-h35"),
            ]);
            offline.splice(offline.indexOf("mws-h35"), 1);
            s.run(["destroy", "--yes", "--skip-preview"]);
        },
    );

    it(
        "url: ensurePackages reinstalls a removed apache2-dev; the host downloads the archive, checks its SHA-256, and builds",
        { timeout: 900_000 },
        async () => {
            const h = sandboxHost("h36");
            const archive = sdist(h);
            expect(ssh(h, "dpkg -r --force-depends apache2-dev >/dev/null 2>&1; ! command -v apxs").code).toBe(0);
            // The archive served from the host's own loopback (test traffic stays on the sandbox host).
            execFileSync(
                path.join(REPO, "test/sandbox/sandbox.sh"),
                ["ssh", h.name, "rm -rf /tmp/srv && mkdir -p /tmp/srv && cat > /tmp/srv/mod_wsgi-6.1.1.tar.gz"],
                { input: fs.readFileSync(archive) },
            );
            expect(
                ssh(
                    h,
                    "(setsid timeout 900 python3 -m http.server -b 127.0.0.1 8765 -d /tmp/srv >/tmp/srv.log 2>&1 </dev/null &) && sleep 1",
                ).code,
            ).toBe(0);
            try {
                const s = stack("url", h);
                s.config("ensurePackages", "true");
                s.config("source", "url");
                s.config("url", "http://127.0.0.1:8765/mod_wsgi-6.1.1.tar.gz");
                s.config("sha256", "1".repeat(64));
                const out = s.run(["up", "--yes", "--skip-preview"], "fail");
                expect(out).toMatch(/has SHA-256 [0-9a-f]{64}, not 1{64} as declared/);
                expect(ssh(h, "command -v apxs").stdout.trim()).toBe("/usr/bin/apxs"); // ApacheHost ran first
                expect(ssh(h, "ls /etc/apache2/mods-enabled/modwsgi.load 2>&1").code).not.toBe(0); // nothing loaded

                s.config("sha256", sha(archive));
                s.up();
                expect(ssh(h, "grep -c 'GET /mod_wsgi-6.1.1.tar.gz' /tmp/srv.log").stdout.trim()).toBe("2");
                expect(JSON.parse((await get(`http://${h.address}/app`)).body).version).toEqual([6, 1, 1]);
                expect(s.output("moduleVersion")).toBe("6.1.1");
                s.run(["preview", "--refresh", "--expect-no-changes"]);
                // Python 3.11 has no per-interpreter GIL: refused at up, before the interpreter file is written.
                s.config("applicationGroup", "sources");
                s.run(["config", "set", "--path", "interpreterOptions.perInterpreterGil", "true"]);
                expect(s.run(["up", "--yes", "--skip-preview"], "fail")).toMatch(
                    /Application\.interpreterOptions\.perInterpreterGil needs Python >= 3\.12; the module on .* runs 3\.11/,
                );
                expect(ssh(h, "ls /etc/apache2/modwsgi.d/18-interp-sources.conf 2>&1").code).not.toBe(0);
                s.run(["config", "rm", "interpreterOptions"]);
                s.run(["config", "rm", "applicationGroup"]);
                s.run(["destroy", "--yes", "--skip-preview"]);
                expect(ssh(h, "ls /opt/modwsgi/module 2>/dev/null || true").stdout.trim()).toBe("");
            } finally {
                ssh(h, "pkill -f 'http.server -b 127.0.0.1 8765' || true");
            }
        },
    );

    it(
        "distro: refused without allowDistroPackage; with it Debian's 4.9.4 serves, and 6.0-only settings fail at preview",
        { timeout: 900_000 },
        async () => {
            const h = sandboxHost("h36");
            const s = stack("distro", h);
            s.config("source", "distro");
            const before = acceptedLogins(h);
            expect(s.run(["preview"], "fail")).toMatch(
                /WsgiModule\.source: Debian's package \(libapache2-mod-wsgi-py3\) is mod_wsgi 4\.9\.4 on Debian 12/,
            );
            s.config("allowDistroPackage", "true");
            s.config("switchInterval", "0.01");
            expect(s.run(["preview"], "fail")).toMatch(
                /DaemonProcess\.switchInterval: the switch-interval option is new in mod_wsgi 6\.0; the WsgiModule declared is Debian's package/,
            );
            expect(acceptedLogins(h)).toBe(before);

            s.run(["config", "rm", "switchInterval"]);
            s.up();
            expect(JSON.parse((await get(`http://${h.address}/app`)).body).version).toEqual([4, 9, 4]);
            expect(s.output("moduleVersion")).toBe("4.9.4");
            expect(ssh(h, "grep -c 'mod_wsgi/4.9.4 Python/3.11' /var/log/apache2/error.log").stdout.trim()).not.toBe(
                "0",
            );
            expect(ssh(h, "ls /etc/apache2/mods-enabled/wsgi.load 2>&1").code).not.toBe(0); // Debian's own link is off
            // The provider's default interrupt-timeout=0 is mod_wsgi's own default: left out for 4.9, not drift.
            expect(ssh(h, "cat /etc/apache2/modwsgi.d/10-daemon-web.conf").stdout).not.toMatch(/interrupt-timeout/);
            s.run(["preview", "--refresh", "--expect-no-changes"]);
            s.run(["destroy", "--yes", "--skip-preview"]);
        },
    );
});
