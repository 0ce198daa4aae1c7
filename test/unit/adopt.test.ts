// modwsgi-adopt, pure parts: hand-written site files -> directives with file:line -> plan -> program text.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readEnabledConfig } from "../../provider/adopt/scan";
import { download } from "../../provider/adopt/fetch";
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

/** `file` with each `[from, to]` replaced once; throws when `from` is missing, so the fixture is what it says. */
function edited(file: ConfigFile, edits: [string, string][], text = file.text): ConfigFile {
    for (const [from, to] of edits) {
        if (!text.includes(from)) throw new Error(`fixture: ${JSON.stringify(from)} not in ${file.path}`);
        text = text.replace(from, to);
    }
    return { path: file.path, text };
}

/** Flask with its WSGI lines in <IfModule mod_wsgi.c> and its names in <IfVersion >= 2.4>. */
const FLASK_GUARDED = edited(FLASK, [
    ["    ServerName hello.test\n", "    <IfVersion >= 2.4>\n    ServerName hello.test\n"],
    ["    ServerAlias www.hello.test\n", "    ServerAlias www.hello.test\n    </IfVersion>\n"],
    ["    WSGIDaemonProcess", "    <IfModule mod_wsgi.c>\n    WSGIDaemonProcess"],
    ["    WSGIScriptAlias / /srv/hello/hello.wsgi\n", "    WSGIScriptAlias / /srv/hello/hello.wsgi\n    </IfModule>\n"],
]);

/** Django as Debian's default-ssl.conf is written (the vhost in <IfModule mod_ssl.c>), WSGI lines guarded too. */
const DJANGO_GUARDED = edited(
    DJANGO,
    [
        ["    WSGIDaemonProcess", "    <IfModule mod_wsgi.c>\n    WSGIDaemonProcess"],
        [
            "    WSGIScriptAlias / /srv/shop/shop/wsgi.py\n",
            "    WSGIScriptAlias / /srv/shop/shop/wsgi.py\n</IfModule>\n",
        ],
    ],
    `<IfModule mod_ssl.c>\n${DJANGO.text}</IfModule>\n`,
);

/** Line numbers differ between a file and its guarded copy; everything else must not. */
const noLines = (s: string) => s.replace(/\.conf:\d+/g, ".conf:N");

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

    it("<IfModule>/<IfVersion> are transparent: what they hold applies to the enclosing vhost; <If> is not", () => {
        const m = parseSite([FLASK_GUARDED]);
        expect(m.vhosts[0].serverName?.args).toEqual(["hello.test"]);
        expect(m.vhosts[0].aliases.map((d) => d.args[0])).toEqual(["www.hello.test"]);
        expect(m.mounts[0].processGroup?.args).toEqual(["hello"]);
        expect(m.mounts[0].processGroup?.sections.map((s) => s.name)).toEqual(["VirtualHost"]);
        expect(m.mounts[0].applicationGroup?.args).toEqual(["%{GLOBAL}"]);
        expect(m.daemons[0].vhost).toBe(m.vhosts[0]);
        // The guards are still sections of the file (with their arguments, `>=` included).
        expect(m.sections.filter((s) => s.name === "IfVersion").map((s) => s.args)).toEqual([[">=", "2.4"]]);

        const perRequest =
            `<VirtualHost *:80>\nServerName a.test\n<If "%{HTTPS} == 'on'">\n` +
            "WSGIProcessGroup x\n</If>\n</VirtualHost>\n";
        const d = directivesOf({ path: "/etc/apache2/sites-enabled/a.conf", text: perRequest }).directives;
        expect(d.find((x) => x.name === "WSGIProcessGroup")?.sections.map((s) => s.name)).toEqual([
            "VirtualHost",
            "If",
        ]);
    });

    it("server-scope WSGI lines in <IfModule mod_wsgi.c> (Debian's wsgi.conf) are server scope", () => {
        const conf = {
            path: "/etc/apache2/mods-enabled/wsgi.conf",
            text: "<IfModule mod_wsgi.c>\nWSGIRestrictEmbedded On\n</IfModule>\n",
        };
        expect(parseSite([conf]).restrictEmbedded?.line).toBe(2);
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

    it("Flask and Django with their lines in <IfModule>/<IfVersion> map to the same program, steps and list", () => {
        for (const [plain, guarded] of [
            [
                [FLASK, MODULE],
                [FLASK_GUARDED, MODULE],
            ],
            [[DJANGO], [DJANGO_GUARDED]],
        ]) {
            const a = render(plan(parseSite(plain)), facts());
            const b = render(plan(parseSite(guarded)), facts());
            expect(b.program).toContain("new modwsgi.Application(");
            expect(noLines(b.program)).toBe(noLines(a.program));
            expect(b.notMapped.map(noLines)).toEqual(a.notMapped.map(noLines));
            expect(b.steps).toEqual(a.steps);
        }
    });

    it("steps: a hand site whose file sorts after modwsgi- is renamed to sort first, before pulumi up", () => {
        const www = { ...FLASK, path: "/etc/apache2/sites-enabled/www.conf" };
        const steps = render(plan(parseSite([www, MODULE])), facts()).steps;
        const i = steps.findIndex((s) => s.includes("first-defined-wins"));
        expect(i).toBeGreaterThan(0);
        expect(steps[i]).toContain("`apache2ctl -S`");
        expect(steps[i]).toContain("Here sites-enabled/www.conf sorts after it.");
        expect(steps[i]).toContain(
            "`a2dissite www && mv /etc/apache2/sites-available/www.conf /etc/apache2/sites-available/000-www.conf " +
                "&& a2ensite 000-www && apache2ctl configtest && apache2ctl graceful`",
        );
        expect(steps[i]).toContain('`"000-www"` for `"www"`');
        // Before the a2dismod step (which must be the last thing before `pulumi up`, with no reload).
        expect(i).toBeLessThan(steps.findIndex((s) => s.includes("a2dismod")));
        // hello.conf sorts before modwsgi-hello.conf: nothing to rename, and the step says so.
        const hello = render(plan(parseSite([FLASK, MODULE])), facts()).steps.find((s) => s.includes("first-defined"));
        expect(hello).toContain("Here every adopted site file sorts before it");
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
            // Apache includes mods-enabled/*.load, then *.conf: wsgi.conf is read after wsgi.load.
            host.put(
                "/etc/apache2/mods-enabled/wsgi.conf",
                "<IfModule mod_wsgi.c>\nWSGIRestrictEmbedded On\n</IfModule>\n",
            );
            // Names Apache never includes: left over by an editor, dpkg or a hand backup.
            host.put("/etc/apache2/sites-enabled/hello.conf.bak", FLASK.text);
            host.put("/etc/apache2/sites-enabled/hello.conf.dpkg-old", FLASK.text);
            host.put("/etc/apache2/sites-enabled/old-hello", FLASK.text);
            host.put("/etc/apache2/conf-enabled/wsgi.conf~", "WSGIPythonPath /srv/old\n");
            host.put("/etc/apache2/mods-enabled/wsgi.load.dpkg-dist", MODULE.text);
            const files = await readEnabledConfig(host);
            expect(files.map((f) => f.path)).toEqual([
                "/etc/apache2/mods-enabled/wsgi.load",
                "/etc/apache2/mods-enabled/wsgi.conf",
                "/etc/apache2/sites-enabled/hello.conf",
            ]);
            expect(files[2].text).toBe(FLASK.text);
            const p = plan(parseSite(files));
            expect(p.notMapped).toHaveLength(1);
            // wsgi.conf goes with the module (a2dismod wsgi), not a2disconf.
            expect(p.handModuleFiles).toEqual([
                "/etc/apache2/mods-enabled/wsgi.load",
                "/etc/apache2/mods-enabled/wsgi.conf",
            ]);
            expect(p.handConfFiles).toEqual([]);
        } finally {
            host.cleanup();
        }
    });
});

describe("fetch: the code copy (fake host)", () => {
    /** tar on the fake's PATH: logs its arguments, runs the real one, then fails the way an unreadable file does. */
    const TAR = execFileSync("sh", ["-c", "command -v tar"]).toString().trim();
    const tarStub = `#!/bin/sh
echo "$*" >>"$FAKE_ROOT/.tar.log"
${TAR} "$@" || exit
if [ -f "$FAKE_ROOT/.tar-fail" ]; then echo "tar: ./app/secret.py: Cannot open: Permission denied" >&2; exit 2; fi
`;

    function setup() {
        const host = new FakeHost();
        host.stub("tar", tarStub);
        const src = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-adopt-src-"));
        const put = (rel: string, text = "x\n") => {
            fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
            fs.writeFileSync(path.join(src, rel), text);
        };
        put("app.py", "application = None\n");
        put("static/site.css");
        put("venv/pyvenv.cfg");
        put("venv/bin/python");
        put("__pycache__/app.cpython-311.pyc");
        put(".git/HEAD");
        const dest = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-adopt-dest-"));
        /** The work directory each run used: where tar wrote its archive (-f). */
        const workDirs = () =>
            (host.file("/.tar.log") ?? "")
                .split("\n")
                .filter(Boolean)
                .map((l) => path.dirname(/-cf (\S+)/.exec(l)![1]));
        const cleanup = () => {
            host.cleanup();
            fs.rmSync(src, { recursive: true, force: true });
            fs.rmSync(dest, { recursive: true, force: true });
        };
        return { host, src, dest, workDirs, cleanup };
    }

    it("copies the code without venvs, __pycache__ or .git, and removes its work directory", async () => {
        const t = setup();
        try {
            expect(await download(t.host, t.src, [], t.dest)).toBe(2);
            expect(fs.readFileSync(path.join(t.dest, "app.py"), "utf8")).toBe("application = None\n");
            expect(fs.existsSync(path.join(t.dest, "static/site.css"))).toBe(true);
            for (const gone of ["venv", "__pycache__", ".git"])
                expect(fs.existsSync(path.join(t.dest, gone))).toBe(false);
            expect(t.workDirs()).toHaveLength(1);
            expect(fs.existsSync(t.workDirs()[0])).toBe(false);
        } finally {
            t.cleanup();
        }
    });

    it("a tar that fails after writing part of the archive fails the copy; the work dir goes", async () => {
        const t = setup();
        try {
            fs.writeFileSync(path.join(t.host.root, ".tar-fail"), "");
            await expect(download(t.host, t.src, [], t.dest)).rejects.toThrow(/copying .*exit 2[^]*Cannot open/);
            expect(fs.readdirSync(t.dest)).toEqual([]);
            expect(t.workDirs()).toHaveLength(1);
            expect(fs.existsSync(t.workDirs()[0])).toBe(false);
        } finally {
            t.cleanup();
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
