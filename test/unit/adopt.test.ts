// modwsgi-adopt, pure parts: hand-written site files -> directives with file:line -> plan -> program text.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { readEnabledConfig } from "../../provider/adopt/scan";
import { FakeHost } from "../fakeHost";
import { directivesOf, parseSite, type ConfigFile } from "../../provider/adopt/parse";
import { plan } from "../../provider/adopt/plan";
import { mapDaemonOptions } from "../../provider/adopt/daemon";
import { render, tsValue, type Facts } from "../../provider/adopt/program";

const FLASK: ConfigFile = {
    path: "/etc/apache2/sites-enabled/hello.conf",
    text: `# A Flask site
<VirtualHost *:80>
    ServerName hello.test
    ServerAlias www.hello.test
    ServerAdmin webmaster@hello.test

    WSGIDaemonProcess hello python-home=/srv/hello/venv python-path=/srv/hello processes=2 threads=4
    WSGIProcessGroup hello
    WSGIApplicationGroup %{GLOBAL}
    WSGIScriptAlias / /srv/hello/hello.wsgi

    Alias /static /srv/hello/static
    <Directory /srv/hello/static>
        Require all granted
    </Directory>
    <Directory /srv/hello>
        <Files hello.wsgi>
            Require all granted
        </Files>
    </Directory>
    ErrorLog \${APACHE_LOG_DIR}/hello-error.log
    CustomLog \${APACHE_LOG_DIR}/hello-access.log combined
</VirtualHost>
`,
};

const DJANGO: ConfigFile = {
    path: "/etc/apache2/sites-enabled/shop.conf",
    text: `<VirtualHost *:443>
    ServerName shop.example.org
    SSLEngine on
    SSLCertificateFile /etc/ssl/certs/shop.pem
    SSLCertificateKeyFile /etc/ssl/private/shop.key
    Alias /static/ /srv/shop/static/
    <Directory /srv/shop/static>
        Require all granted
    </Directory>
    <Directory /srv/shop/shop>
        <Files wsgi.py>
            Require all granted
        </Files>
    </Directory>
    WSGIDaemonProcess shop python-home=/srv/shop/venv \\
        python-path=/srv/shop request-timeout=30 user=www-data newrelic-config-file=/etc/nr.ini
    WSGIProcessGroup shop
    WSGIPassAuthorization On
    WSGIScriptAlias / /srv/shop/shop/wsgi.py
    Header always set Strict-Transport-Security "max-age=63072000"
    <Location /admin>
        Require ip 10.0.0.0/8
    </Location>
</VirtualHost>
`,
};

const MODULE: ConfigFile = {
    path: "/etc/apache2/mods-enabled/wsgi.load",
    text:
        'LoadModule wsgi_module "/opt/wsgi-module/lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi.so"\n' +
        'WSGIPythonHome "/opt/wsgi-module"\n',
};

const facts = (over: Partial<Facts> = {}): Facts => ({
    host: "web1.example.org",
    port: 22,
    user: "root",
    sdk: "/opt/modwsgi/sdk/nodejs",
    moduleVersion: "6.1.1",
    freeze: {
        "/srv/hello/venv": ["flask==3.1.2", "Werkzeug==3.1.3", "-e git+https://example.org/x.git#egg=x"],
        "/srv/shop/venv": ["Django==5.2.1"],
    },
    downloaded: ["hello/"],
    ...over,
});

describe("parse: directives with file:line", () => {
    it("reads directives, sections and continued lines with the line they start on", () => {
        const { directives, sections } = directivesOf(DJANGO);
        const daemon = directives.find((d) => d.name === "WSGIDaemonProcess")!;
        expect(daemon.line).toBe(15);
        expect(daemon.args).toContain("request-timeout=30");
        expect(sections.map((s) => `${s.name}:${s.line}`)).toEqual([
            "VirtualHost:1",
            "Directory:7",
            "Directory:10",
            "Files:11",
            "Location:21",
        ]);
        const require = directives.find((d) => d.name === "Require" && d.args[0] === "ip")!;
        expect(require.line).toBe(22);
        expect(require.sections.map((s) => s.name)).toEqual(["VirtualHost", "Location"]);
    });

    it("Flask: the vhost, its daemon, the mount with the group and interpreter that apply, the static alias", () => {
        const m = parseSite([FLASK]);
        expect(m.vhosts).toHaveLength(1);
        expect(m.vhosts[0]).toMatchObject({ port: 80, address: "*" });
        expect(m.vhosts[0].serverName?.args).toEqual(["hello.test"]);
        expect(m.daemons[0].name).toBe("hello");
        expect(Object.fromEntries(m.daemons[0].options)).toEqual({
            "python-home": "/srv/hello/venv",
            "python-path": "/srv/hello",
            processes: "2",
            threads: "4",
        });
        expect(m.mounts[0]).toMatchObject({ url: "/", script: "/srv/hello/hello.wsgi" });
        expect(m.mounts[0].processGroup?.line).toBe(8);
        expect(m.mounts[0].applicationGroup?.args).toEqual(["%{GLOBAL}"]);
        expect(m.aliases.map((a) => [a.url, a.dir, a.directive.line])).toEqual([["/static", "/srv/hello/static", 12]]);
        // Debian's ${APACHE_LOG_DIR} is expanded.
        expect(m.vhosts[0].errorLog?.args).toEqual(["/var/log/apache2/hello-error.log"]);
    });

    it("Django over TLS: certificate and key paths, pass-authorization", () => {
        const m = parseSite([DJANGO]);
        expect(m.vhosts[0]).toMatchObject({ port: 443 });
        expect(m.vhosts[0].certificateFile?.args).toEqual(["/etc/ssl/certs/shop.pem"]);
        expect(m.vhosts[0].keyFile?.args).toEqual(["/etc/ssl/private/shop.key"]);
        expect(m.mounts[0].passAuthorization?.line).toBe(18);
    });
});

describe("plan + program", () => {
    it("Flask: every directive is mapped but ServerAdmin, listed with its file:line", () => {
        const p = plan(parseSite([FLASK, MODULE]));
        expect(p.notMapped).toEqual([
            "/etc/apache2/sites-enabled/hello.conf:5 ServerAdmin webmaster@hello.test (no input of these resources says it)",
        ]);
        expect(p.disableSites).toEqual(["hello"]);
        expect(p.handModuleFiles).toEqual(["/etc/apache2/mods-enabled/wsgi.load"]);
        expect(p.apps[0]).toMatchObject({ name: "hello", sourceDir: "/srv/hello", exclude: ["/srv/hello/venv"] });
        expect(p.envs.map((e) => e.home)).toEqual(["/srv/hello/venv"]);
    });

    it("Flask: the program declares the module, env, daemon (suffixed), vhost, app and ApacheHost last", () => {
        const a = render(plan(parseSite([FLASK, MODULE])), facts());
        const t = a.program;
        expect(t).toContain('import * as modwsgi from "/opt/modwsgi/sdk/nodejs";');
        expect(t).toContain('new modwsgi.WsgiModule("mod-wsgi", { version: "6.1.1" }, opts);');
        expect(t).toMatch(
            /new modwsgi\.PythonEnv\("hello", \{[^]*requirements: \["flask==3\.1\.2", "Werkzeug==3\.1\.3"\]/,
        );
        expect(t).toMatch(/new modwsgi\.DaemonProcess\("hello-adopted", \{[^}]*name: "hello-adopted"/);
        expect(t.replace(/\n\/\/ /g, " ")).toContain("a group name is unique server-wide");
        expect(t).toMatch(/processes: 2,\s+threads: 4,/);
        expect(t).toContain('pythonPath: ["/srv/modwsgi/hello/current"]');
        expect(t).toContain("pythonHome: helloEnv.path");
        expect(t).toMatch(/new modwsgi\.VirtualHost\("hello", \{[^}]*serverName: "hello\.test"/);
        expect(t).toContain('serverAliases: ["www.hello.test"]');
        expect(t).toMatch(/new modwsgi\.Application\("hello", \{[^]*scriptFile: "hello\.wsgi"/);
        expect(t).toContain('source: here("hello")');
        expect(t).toContain('staticFiles: [{ urlPath: "/static", directory: "static" }]');
        expect(t).toContain('applicationGroup: "%{GLOBAL}"');
        expect(t).toContain(
            'new modwsgi.ApacheHost("apache", { disableSites: ["hello"] }, {\n    ...opts,\n' +
                "    dependsOn: [mod, helloEnv, helloDaemon, helloSite, helloApp],\n});",
        );
        // Last in the program: after everything it depends on.
        expect(t.trimEnd().endsWith("});")).toBe(true);
        expect(t.indexOf("new modwsgi.ApacheHost")).toBeGreaterThan(t.indexOf("new modwsgi.Application"));
        expect(t.split("\n").filter((l) => l.length > 120)).toEqual([]);
        expect(a.notMapped).toContain(
            "python-home /srv/hello/venv: `-e git+https://example.org/x.git#egg=x` (not a pinned requirement from an index)",
        );
        expect(a.steps.join("\n")).toMatch(/a2dismod wsgi/);
    });

    it("Django: entryPoint for a module on python-path, TLS read from files with the key secret, refused options listed", () => {
        const a = render(plan(parseSite([DJANGO])), facts({ moduleVersion: "4.9.4" }));
        const t = a.program;
        expect(t).toContain('entryPoint: "shop.wsgi:application"');
        expect(t).toContain("passAuthorization: true");
        expect(t).toContain(
            'tls: { certificate: read("tls/shop.crt"), privateKey: pulumi.secret(read("tls/shop.key")) }',
        );
        expect(t).toContain('staticFiles: [{ urlPath: "/static", directory: "static" }]');
        expect(t).toContain("requestTimeout: 30");
        expect(t).toContain('applicationGroup: "%{RESOURCE}"');
        // The distro's 4.9 is replaced by 6.x, and the program says so.
        expect(t).toContain('{ version: "6.1.1" }');
        expect(t).toMatch(/loads mod_wsgi 4\.9\.4: replaced/);
        expect(a.notMapped).toEqual([
            "/etc/apache2/sites-enabled/shop.conf:15 WSGIDaemonProcess shop python-home=/srv/shop/venv python-path=/srv/shop request-timeout=30 user=www-data newrelic-config-file=/etc/nr.ini (option newrelic-config-file: newrelic-config-file was removed in mod_wsgi 6.0 (New Relic agent support is gone; configure the agent in the app))",
            '/etc/apache2/sites-enabled/shop.conf:20 Header always set Strict-Transport-Security "max-age=63072000" (no input of these resources says it)',
            "/etc/apache2/sites-enabled/shop.conf:22 Require ip 10.0.0.0/8 (no input of these resources says it)",
        ]);
    });

    it("a mount in embedded mode gets a daemon group of its own; an unknown group is listed, not guessed", () => {
        const text = `WSGIScriptAlias /a /srv/a/a.wsgi\nWSGIScriptAlias /b /srv/b/b.wsgi process-group=nowhere\n`;
        const p = plan(parseSite([{ path: "/etc/apache2/conf-enabled/apps.conf", text }]));
        expect(p.apps.map((x) => x.name)).toEqual(["a-a"]);
        expect(p.daemons.map((d) => d.name)).toEqual(["a-a-adopted"]);
        expect(p.notMapped).toEqual([
            "/etc/apache2/conf-enabled/apps.conf:2 WSGIScriptAlias /b /srv/b/b.wsgi process-group=nowhere (its daemon group nowhere is not defined in the adopted files)",
        ]);
        expect(p.handConfFiles).toEqual(["/etc/apache2/conf-enabled/apps.conf"]);
        expect(p.disableSites).toEqual([]);
    });

    it("tsValue writes short values on one line and long ones a property per line", () => {
        expect(tsValue({ a: 1, b: ["x"] })).toBe('{ a: 1, b: ["x"] }');
        expect(tsValue({ text: "y".repeat(120) })).toBe(`{\n    text: "${"y".repeat(120)}",\n}`);
    });
});

describe("scan (fake host)", () => {
    it("reads the enabled files that name mod_wsgi, never this provider's own, with their text", async () => {
        const host = new FakeHost();
        try {
            host.put("/etc/apache2/sites-available/hello.conf", FLASK.text);
            fs.symlinkSync("../sites-available/hello.conf", host.local("/etc/apache2/sites-enabled/hello.conf"));
            host.put("/etc/apache2/sites-enabled/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n");
            host.put("/etc/apache2/sites-enabled/modwsgi-site.conf", "WSGIScriptAlias / /srv/modwsgi/x/wsgi.py\n");
            host.put("/etc/apache2/mods-enabled/modwsgi.load", "LoadModule wsgi_module /opt/modwsgi/x.so\n");
            host.put("/etc/apache2/mods-enabled/wsgi.load", MODULE.text);
            host.put("/etc/apache2/conf-enabled/commented.conf", "# WSGIDaemonProcess old\n");
            const files = await readEnabledConfig(host);
            expect(files.map((f) => f.path)).toEqual([
                "/etc/apache2/mods-enabled/wsgi.load",
                "/etc/apache2/sites-enabled/hello.conf",
            ]);
            expect(files[1].text).toBe(FLASK.text);
            expect(plan(parseSite(files)).notMapped).toHaveLength(1);
        } finally {
            host.cleanup();
        }
    });
});

describe("daemon options", () => {
    it("maps typed options, leaves out (and says) what the schema refuses, fills mod_wsgi's built-in values", () => {
        const m = mapDaemonOptions(
            new Map([
                ["user", "root"],
                ["send-buffer-size", "100"],
                ["maximum-requests", "1000"],
                ["threads", "8"],
                ["python-home", "/srv/x/venv"],
                ["frobnicate", ""],
            ]),
        );
        expect(m.pythonHome).toBe("/srv/x/venv");
        expect(m.inputs).toMatchObject({ maximumRequests: 1000, threads: 8, requestTimeout: 0, lang: "C" });
        expect(m.inputs.user).toBeUndefined();
        expect(m.inputs.sendBufferSize).toBeUndefined();
        expect(m.refused).toEqual([
            "option frobnicate: no DaemonProcess input",
            expect.stringMatching(/^user: .*root/),
            expect.stringMatching(/^sendBufferSize: must be 0 or at least 512/),
        ]);
        expect(m.defaulted).not.toContain("threads");
    });
});
