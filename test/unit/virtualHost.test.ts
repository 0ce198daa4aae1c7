import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { inputs, normalize } from "../../provider/resources/virtualHost/schema";
import { parse, render } from "../../provider/resources/virtualHost/render";
import { virtualHost } from "../../provider/resources/virtualHost";
import { application } from "../../provider/resources/application";
import { inputs as appInputs } from "../../provider/resources/application/schema";
import { parseListenPorts } from "../../provider/facts";
import { Claims, UNKNOWN, checkInputs, diff, secretInputs } from "../../provider/resource";
import { sha256 } from "../../provider/apache";
import {
    certFile,
    keyFile,
    legacyVhostFile,
    legacyVhostIncludeDir,
    MODS_ENABLED,
    SSL_MODULE_FILES,
    vhostFile,
    vhostIncludeDir,
    vhostLink,
} from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { appSource } from "../fixtures";
import { throwawayTls } from "../tlsMaterial";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = virtualHost;
// Real throwaway material: the check pairs the key with the certificate.
const { certificate: CERT, privateKey: KEY } = throwawayTls("example.org");
const CHAIN = throwawayTls("intermediate.example.org").certificate;

const plain = normalize(
    inputs.parse({ name: "site", serverName: "example.org", serverAliases: ["www.example.org", "*.example.net"] }),
);
const tls = normalize(
    inputs.parse({ name: "secure", serverName: "example.org", tls: { certificate: CERT, privateKey: KEY } }),
);
const redirect = normalize(
    inputs.parse({
        name: "secure",
        serverName: "example.org",
        serverAliases: ["www.example.org"],
        redirectHttp: true,
        tls: { certificate: CERT, privateKey: KEY },
    }),
);
const redirect8443 = normalize(
    inputs.parse({
        name: "s8443",
        serverName: "example.org",
        port: 8443,
        redirectHttp: true,
        tls: { certificate: CERT, privateKey: KEY },
    }),
);
const alt = normalize(inputs.parse({ name: "alt", serverName: "example.org", port: 8080 }));
const withoutTls = <T extends { tls?: unknown }>({ tls: _t, ...rest }: T) => rest;

describe("VirtualHost render (golden files)", () => {
    it("plain HTTP on port 80 with aliases and default logs (vhost-plain.conf)", () => {
        expect(render(plain)).toBe(golden("vhost-plain.conf"));
    });

    it("HTTPS on 443 with the certificate files the provider writes (vhost-tls.conf)", () => {
        expect(render(tls)).toBe(golden("vhost-tls.conf"));
    });

    it("HTTPS on 443 plus a port-80 vhost redirecting to it, same names and logs (vhost-tls-redirect.conf)", () => {
        expect(render(redirect)).toBe(golden("vhost-tls-redirect.conf"));
    });

    it("the redirect names the TLS port when it is not 443 (vhost-tls-8443-redirect.conf)", () => {
        expect(render(redirect8443)).toBe(golden("vhost-tls-8443-redirect.conf"));
    });

    it("plain HTTP on a port other than 80 (vhost-port-8080.conf)", () => {
        expect(render(alt)).toBe(golden("vhost-port-8080.conf"));
    });

    it("reads its own file back to the same inputs (TLS material aside)", () => {
        expect(parse(render(plain), "site")).toEqual({ ...plain });
        expect(parse(render(tls), "secure")).toEqual(withoutTls(tls));
        expect(parse(render(redirect), "secure")).toEqual(withoutTls(redirect));
        expect(parse(render(redirect8443), "s8443")).toEqual(withoutTls(redirect8443));
        expect(parse(render(alt), "alt")).toEqual({ ...alt });
    });

    it("reads a hand-removed redirect block as redirectHttp: false, and nothing else changed", () => {
        const text = render(redirect).replace(/<VirtualHost \*:80>[\s\S]*<\/VirtualHost>\n$/, "");
        expect(text).not.toMatch(/Redirect/);
        expect(parse(text, "secure")).toEqual({ ...withoutTls(redirect), redirectHttp: false });
    });

    it("reads names from the main block only, and a redirect only from a port-80 block with a Redirect", () => {
        // ServerAlias removed by hand from the main block only: the redirect block's copy must not hide it.
        const noAlias = render(redirect).replace("    ServerAlias www.example.org\n", "");
        expect(parse(noAlias, "secure")).toMatchObject({ serverAliases: [], redirectHttp: true });
        expect(parse(render(redirect).replace(/ {4}Redirect .*\n/, ""), "secure").redirectHttp).toBe(false);
        expect(
            parse(render(redirect).replace("<VirtualHost *:80>", "<VirtualHost *:8080>"), "secure").redirectHttp,
        ).toBe(false);
        const inMain = render(tls).replace(
            "    IncludeOptional",
            "    Redirect permanent / https://example.org/\n    IncludeOptional",
        );
        expect(parse(inMain, "secure").redirectHttp).toBe(false);
    });
});

// Debian 12's /etc/apache2/ports.conf as installed.
const DEBIAN_PORTS_CONF = `# If you just change the port or add more ports here, you will likely also
# have to change the VirtualHost statement in
# /etc/apache2/sites-enabled/000-default.conf

Listen 80

<IfModule ssl_module>
\tListen 443
</IfModule>

<IfModule mod_gnutls.c>
\tListen 443
</IfModule>

# vim: syntax=apache ts=4 sw=4 sts=4 sr noet
`;

describe("VirtualHost listen-port parser", () => {
    it.each([
        ["Debian's stock ports.conf (443 inside IfModule counts)", DEBIAN_PORTS_CONF, [80, 443]],
        ["only the IfModule-wrapped 443", "<IfModule ssl_module>\n\tListen 443\n</IfModule>\n", [443]],
        ["an address with the port", "Listen 0.0.0.0:8080\n", [8080]],
        ["an IPv6 address with the port", "Listen [::]:8081\n", [8081]],
        ["a protocol after the port", "Listen 8443 https\n", [8443]],
        [
            "the file ApacheHost.listenPorts writes",
            "# Managed by Pulumi (modwsgi).\nListen 8080\nListen 8081\n",
            [8080, 8081],
        ],
        ["directive names in any case, CRLF lines", "LISTEN 9000\r\nlisten 9001\r\n", [9000, 9001]],
        ["commented-out lines", "#Listen 8080\n# Listen 8081\n  # Listen 8082\nListen 80\n", [80]],
        ["words that only look like Listen", "Listener 8080\nSetEnv Listen 8081\nListen\nListen nonsense\n", []],
        ["duplicates once, sorted", "Listen 8080\nListen 80\nListen 127.0.0.1:8080\n", [80, 8080]],
    ])("%s", (_what, text, ports) => {
        expect(parseListenPorts(text)).toEqual(ports);
    });
});

describe("VirtualHost check", () => {
    it("makes defaults that depend on other inputs concrete (port, log paths)", () => {
        const { inputs: out } = checkInputs(mod, {
            name: "s",
            serverName: "a.org",
            tls: { certificate: CERT, privateKey: KEY },
        });
        expect(out).toMatchObject({
            port: 443,
            errorLog: "/var/log/apache2/s-error.log",
            accessLog: "/var/log/apache2/s-access.log",
        });
    });

    it.each([
        [{ name: "s", serverName: "a.org", port: 443 }, "port", /443 needs tls/],
        [{ name: "s", serverName: "a.org", port: 0 }, "port", /TCP port \(1-65535\)/],
        [{ name: "s", serverName: "a.org", port: 70000 }, "port", /TCP port \(1-65535\)/],
        [{ name: "s", serverName: "a.org", port: 80.5 }, "port", /whole number/],
        [{ name: "s", serverName: "a.org", redirectHttp: true }, "redirectHttp", /needs tls/],
        [{ name: "s", serverName: "a.org", port: 8080, redirectHttp: true }, "redirectHttp", /needs tls/],
        [
            {
                name: "s",
                serverName: "a.org",
                port: 80,
                redirectHttp: true,
                tls: { certificate: CERT, privateKey: KEY },
            },
            "redirectHttp",
            /other than 80/,
        ],
        [
            { name: "s", serverName: "*.a.org", redirectHttp: true, tls: { certificate: CERT, privateKey: KEY } },
            "redirectHttp",
            /wildcard/,
        ],
        [
            { name: "s", serverName: "a.org", redirectHttp: "true", tls: { certificate: CERT, privateKey: KEY } },
            "redirectHttp",
            /boolean/,
        ],
        [{ name: "s", serverName: "a b" }, "serverName", /host name/],
        [
            { name: "s", serverName: "a.org", tls: { certificate: "nope", privateKey: KEY } },
            "tls.certificate",
            /PEM certificate/,
        ],
        [
            { name: "s", serverName: "a.org", tls: { certificate: CERT, privateKey: "x" } },
            "tls.privateKey",
            /PEM private key/,
        ],
        [{ name: "s", serverName: "a.org\nSSLEngine off" }, "serverName", /host name/],
    ])("refuses %j naming %s", (value, property, message) => {
        const { failures } = checkInputs(mod, value);
        expect(failures[0]).toEqual({ property, reason: expect.stringMatching(message) });
    });

    it.each([
        [
            { name: "s", serverName: "a.org", port: 8080 },
            { port: 8080, redirectHttp: false },
        ],
        [{ name: "s", serverName: "a.org", port: 1 }, { port: 1 }],
        [{ name: "s", serverName: "a.org", port: 65535 }, { port: 65535 }],
        [
            {
                name: "s",
                serverName: "a.org",
                port: 8443,
                redirectHttp: true,
                tls: { certificate: CERT, privateKey: KEY },
            },
            { port: 8443, redirectHttp: true },
        ],
        [
            { name: "s", serverName: "a.org", redirectHttp: true, tls: { certificate: CERT, privateKey: KEY } },
            { port: 443, redirectHttp: true },
        ],
    ])("accepts %j", (value, want) => {
        const { inputs: out, failures } = checkInputs(mod, value);
        expect(failures).toEqual([]);
        expect(out).toMatchObject(want);
    });
});

describe("VirtualHost claims", () => {
    const urn = (n: string) => `urn:pulumi:dev::proj::modwsgi:index:VirtualHost::${n}`;
    const checked = (c: Claims, n: string, value: Record<string, unknown>) =>
        c.check(urn(n), mod, checkInputs(mod, value).inputs);
    const secure = {
        name: "secure",
        serverName: "a.org",
        redirectHttp: true,
        tls: { certificate: CERT, privateKey: KEY },
    };

    it("the HTTP redirect claims its ServerName on port 80, whichever vhost is declared first", () => {
        const c = new Claims();
        expect(checked(c, "secure", secure)).toEqual([]);
        expect(checked(c, "plain", { name: "plain", serverName: "a.org" })).toEqual([
            {
                property: "serverName",
                reason: "VirtualHost.serverName: ServerName a.org on port 80 is already declared on this host by secure",
            },
        ]);
        const d = new Claims();
        expect(checked(d, "plain", { name: "plain", serverName: "a.org" })).toEqual([]);
        expect(checked(d, "secure", secure)).toEqual([
            {
                property: "redirectHttp",
                reason: "VirtualHost.redirectHttp: ServerName a.org on port 80 (its HTTP redirect) is already declared on this host by plain",
            },
        ]);
    });

    it("without the redirect, a TLS vhost and a plain one share a ServerName; other ports and names are free", () => {
        const c = new Claims();
        expect(checked(c, "secure", { ...secure, redirectHttp: false })).toEqual([]);
        expect(checked(c, "plain", { name: "plain", serverName: "a.org" })).toEqual([]);
        expect(checked(c, "alt", { name: "alt", serverName: "a.org", port: 8080 })).toEqual([]);
        expect(checked(c, "other", { ...secure, name: "other", serverName: "b.org", port: 8443 })).toEqual([]);
        expect(checked(c, "alt2", { name: "alt2", serverName: "a.org", port: 8080 })[0].property).toBe("serverName");
    });
});

/** A fake host whose Apache config holds `files` (paths under /etc/apache2) instead of the stock ports.conf. */
function apacheTree(files: Record<string, string>): FakeHost {
    const host = new FakeHost();
    hosts.push(host);
    for (const [f, text] of Object.entries(files)) host.put(`/etc/apache2/${f}`, text);
    return host;
}
const hosts: FakeHost[] = [];
afterEach(() => hosts.splice(0).forEach((h) => h.cleanup()));
const greps = (host: FakeHost) => host.commands.map((c) => c.command).filter((c) => c.includes("grep"));

describe("VirtualHost apply: the port must be one Apache listens on", () => {
    it("refuses a port no Listen names before writing anything, naming the fix", async () => {
        const host = apacheTree({ "ports.conf": DEBIAN_PORTS_CONF });
        await expect(virtualHost.create(host.ctx(), alt)).rejects.toThrow(
            /^VirtualHost\.port: Apache on fake does not listen on 8080; add it to ApacheHost\.listenPorts \(it listens on 80, 443\)$/,
        );
        expect(host.writes).toEqual([]);
    });

    it("accepts a port ApacheHost.listenPorts added (conf-enabled), then writes the vhost", async () => {
        const host = apacheTree({
            "ports.conf": DEBIAN_PORTS_CONF,
            "conf-enabled/modwsgi-listen.conf": "# Managed\nListen 8080\n",
        });
        const state = await virtualHost.create(host.ctx(), alt);
        expect(state.configFile).toBe("/etc/apache2/sites-available/modwsgi-alt.conf");
        expect(greps(host)).toHaveLength(1);
        expect(host.writes.length).toBeGreaterThan(0);
    });

    it("does not count a commented-out Listen, nor one in a file outside conf-enabled", async () => {
        const host = apacheTree({
            "ports.conf": `${DEBIAN_PORTS_CONF}# Listen 8080\n`,
            "conf-enabled/x.conf": "#Listen 8080\n",
            "conf-available/modwsgi-listen.conf": "Listen 8080\n",
        });
        await expect(virtualHost.create(host.ctx(), alt)).rejects.toThrow(/does not listen on 8080/);
    });

    it("checks on update too, and never asks the host about 80 and 443", async () => {
        const host = apacheTree({ "ports.conf": "Listen 80\n" });
        const ctx = host.ctx();
        await expect(
            virtualHost.update(
                ctx,
                { ...plain, configFile: "", includeDir: "", configSha256: "", tlsSha256: "" },
                { ...plain, port: 8081 },
            ),
        ).rejects.toThrow(/does not listen on 8081/);
        await virtualHost.create(ctx, plain);
        await virtualHost.create(ctx, redirect);
        expect(greps(host)).toHaveLength(1);
    });

    it("a Listen read that fails is an error naming the port property, not an empty list", async () => {
        const host = apacheTree({});
        host.stub("grep", "#!/bin/sh\necho 'grep: I/O error' >&2\nexit 5\n");
        await expect(virtualHost.create(host.ctx(), alt)).rejects.toThrow(
            /^VirtualHost\.port: .*reading Listen directives failed: grep: I\/O error/,
        );
        expect(host.writes).toEqual([]);
    });
});

describe("VirtualHost check with values still unknown in preview", () => {
    it("defers rules across properties (redirectHttp needs tls) while tls is unknown, and applies them once it is known", () => {
        const m = virtualHost;
        expect(checkInputs(m, { name: "s", serverName: "a.org", redirectHttp: true, tls: UNKNOWN }).failures).toEqual(
            [],
        );
        expect(checkInputs(m, { name: "s", serverName: "a.org", redirectHttp: true }).failures[0].property).toBe(
            "redirectHttp",
        );
        // Rules of a single known property still apply.
        expect(checkInputs(m, { name: "s", serverName: "a b", tls: UNKNOWN }).failures[0].property).toBe("serverName");
    });
});

describe("VirtualHost lifecycle (fake host)", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());

    const mode = (p: string) => fs.statSync(host.local(p)).mode & 0o777;
    /** Where a link points, as a host path (the fake maps host paths into its root). */
    const linkTo = (p: string) => fs.readlinkSync(host.local(p)).replace(host.root, "");

    it("create of a plain vhost writes the site file and its sites-enabled link, configtests, starts Apache", async () => {
        const state = await virtualHost.create(host.ctx(), plain);
        expect(host.file(vhostFile("site"))).toBe(render(plain));
        expect(linkTo(vhostLink("site"))).toBe(vhostFile("site"));
        expect(state).toMatchObject({
            configFile: vhostFile("site"),
            includeDir: vhostIncludeDir("site"),
            configSha256: sha256(render(plain)),
            tlsSha256: "",
        });
        expect(host.exists(certFile("site"))).toBe(false);
        for (const f of SSL_MODULE_FILES) expect(host.exists(`${MODS_ENABLED}/${f}`)).toBe(false);
        expect(host.apacheCalls()).toEqual(["-t", "start"]);
    });

    it("TLS create writes the certificate (644) and key (600), and enables mod_ssl", async () => {
        const chained = { ...tls, tls: { ...tls.tls!, chain: CHAIN } };
        const state = await virtualHost.create(host.ctx(), chained);
        expect(host.file(vhostFile("secure"))).toBe(render(chained));
        expect(host.file(certFile("secure"))).toBe(`${CERT}${CHAIN}`);
        expect(host.file(keyFile("secure"))).toBe(KEY);
        expect(mode(certFile("secure"))).toBe(0o644);
        expect(mode(keyFile("secure"))).toBe(0o600);
        for (const f of SSL_MODULE_FILES)
            expect(linkTo(`${MODS_ENABLED}/${f}`)).toBe(`/etc/apache2/mods-available/${f}`);
        expect(state.tlsSha256).toBe(sha256(host.file(certFile("secure"))! + host.file(keyFile("secure"))!));
        expect(secretInputs(virtualHost)).toEqual(["tls"]);
    });

    it("read after create shows no drift, with and without TLS", async () => {
        const ctx = host.ctx();
        for (const i of [plain, tls]) {
            const state = await virtualHost.create(ctx, i);
            const live = await virtualHost.read(ctx, i.name, state);
            expect(live).toMatchObject({ configFile: vhostFile(i.name), configSha256: state.configSha256 });
            expect(live!.tlsSha256).toBe(state.tlsSha256);
            expect(diff(virtualHost, live!, i)).toEqual({ changed: [], replaces: [] });
        }
    });

    it("a hand edit shows as the changed property, or as configSha256 when no input explains it; update repairs", async () => {
        const ctx = host.ctx();
        const state = await virtualHost.create(ctx, plain);
        host.put(vhostFile("site"), render({ ...plain, serverAliases: ["www.example.org"] }));
        expect(diff(virtualHost, (await virtualHost.read(ctx, "site", state))!, plain).changed).toEqual([
            "serverAliases",
        ]);
        host.put(vhostFile("site"), render(plain).replace("</VirtualHost>", "    Options +Indexes\n</VirtualHost>"));
        expect(diff(virtualHost, (await virtualHost.read(ctx, "site", state))!, plain).changed).toEqual([
            "configSha256",
        ]);
        host.put(keyFile("site"), KEY);
        expect(diff(virtualHost, (await virtualHost.read(ctx, "site", state))!, plain).changed).toEqual([
            "configSha256",
            "tlsSha256",
        ]);
        await virtualHost.update(ctx, state, plain);
        expect(host.file(vhostFile("site"))).toBe(render(plain));
        const live = await virtualHost.read(ctx, "site", state);
        expect(diff(virtualHost, live!, plain).changed).toEqual(["tlsSha256"]); // a stray key file is not ours
    });

    it("a2dissite (the sites-enabled link removed by hand) reads as enabled: false; update links the site again", async () => {
        const ctx = host.ctx();
        const state = await virtualHost.create(ctx, plain);
        expect(state.enabled).toBe(true);
        fs.unlinkSync(host.local(vhostLink("site")));
        const live = await virtualHost.read(ctx, "site", state);
        expect(live).not.toBeNull();
        // The file itself is unchanged: only the property that says the site is off differs.
        expect(live!.configSha256).toBe(sha256(render(plain)));
        expect(live!.enabled).toBe(false);
        expect(diff(virtualHost, live!, plain).changed).toEqual(["enabled"]);
        await virtualHost.update(ctx, state, plain);
        expect(linkTo(vhostLink("site"))).toBe(vhostFile("site"));
        expect(diff(virtualHost, (await virtualHost.read(ctx, "site", state))!, plain)).toEqual({
            changed: [],
            replaces: [],
        });
    });

    it("a vhost where an earlier release wrote it is found by read and moved to sites-available by update", async () => {
        const ctx = host.ctx();
        host.put(legacyVhostFile("site"), render(plain));
        const live = await virtualHost.read(ctx, "site", undefined);
        expect(live).toMatchObject({
            serverName: "example.org",
            configFile: legacyVhostFile("site"),
            configSha256: sha256(render(plain)),
        });
        // Same inputs, but the file is not where this release keeps it: the fingerprint says so.
        expect(diff(virtualHost, live!, plain)).toEqual({ changed: ["configSha256"], replaces: [] });
        const state = await virtualHost.update(ctx, live!, plain);
        expect(state.configFile).toBe(vhostFile("site"));
        expect(host.exists(legacyVhostFile("site"))).toBe(false);
        expect(host.file(vhostFile("site"))).toBe(render(plain));
        expect(linkTo(vhostLink("site"))).toBe(vhostFile("site"));
        const moved = await virtualHost.read(ctx, "site", state);
        expect(moved!.configFile).toBe(vhostFile("site"));
        expect(diff(virtualHost, moved!, plain)).toEqual({ changed: [], replaces: [] });
    });

    it("a port no Listen line names is refused before anything is written", async () => {
        await expect(virtualHost.create(host.ctx(), alt)).rejects.toThrow(/does not listen on 8080/);
        expect(host.writes).toEqual([]);
        expect(host.exists(vhostFile("alt"))).toBe(false);
        expect(host.apacheCalls()).toEqual([]);
    });

    it("a configuration Apache rejects fails the step and leaves the previous file and link in place", async () => {
        const ctx = host.ctx();
        const state = await virtualHost.create(ctx, plain);
        host.put("/.configtest-fail", "AH00526: Syntax error on line 3: Invalid ServerAlias\n");
        await expect(virtualHost.update(ctx, state, { ...plain, serverAliases: ["a.example.org"] })).rejects.toThrow(
            /Invalid ServerAlias/,
        );
        expect(host.file(vhostFile("site"))).toBe(render(plain));
        expect(linkTo(vhostLink("site"))).toBe(vhostFile("site"));
        expect(host.apacheCalls()).toEqual(["-t", "start", "-t"]);
    });

    it("delete removes the site file, its link, the TLS files and the include dir; read then says gone", async () => {
        const ctx = host.ctx();
        const state = await virtualHost.create(ctx, tls);
        host.put(`${vhostIncludeDir("secure")}/29-app-shop.conf`, "WSGIScriptAlias / /srv/modwsgi/shop/wsgi.py\n");
        await virtualHost.delete(ctx, state);
        for (const p of [vhostFile("secure"), vhostLink("secure"), certFile("secure"), keyFile("secure")])
            expect(host.exists(p), p).toBe(false);
        expect(host.exists(vhostIncludeDir("secure"))).toBe(false);
        // mod_ssl stays enabled: other sites may rely on it.
        for (const f of SSL_MODULE_FILES) expect(host.exists(`${MODS_ENABLED}/${f}`)).toBe(true);
        expect(await virtualHost.read(ctx, "secure", state)).toBeNull();
    });

    it("delete fails loudly when the include dir cannot be removed", async () => {
        const ctx = host.ctx();
        const state = await virtualHost.create(ctx, plain);
        host.put(`${vhostIncludeDir("site")}/29-app-shop.conf`, "# mount\n");
        host.stub(
            "rm",
            '#!/bin/sh\nfor a; do last=$a; done\nif [ "$1" = -rf ] && [ "${last##*/}" = site ]; then\n' +
                "    echo 'rm: cannot remove: Device or resource busy' >&2; exit 1\nfi\nexec /bin/rm \"$@\"\n",
        );
        await expect(virtualHost.delete(ctx, state)).rejects.toThrow(/Device or resource busy/);
        expect(host.exists(vhostFile("site"))).toBe(false);
    });
});

describe("VirtualHost include dir: out of reach of the module's modwsgi.d/*.conf glob", () => {
    let host: FakeHost;
    let src: string;
    beforeEach(() => {
        host = new FakeHost();
        src = appSource();
        host.put("/etc/apache2/modwsgi.d/10-daemon-shop.conf", "WSGIDaemonProcess shop threads=5\n");
    });
    afterEach(() => {
        host.cleanup();
        fs.rmSync(src, { recursive: true, force: true });
    });

    it("a vhost named x.conf: its mounts never sit where IncludeOptional modwsgi.d/*.conf reads them", async () => {
        const ctx = host.ctx();
        const vhost = normalize(inputs.parse({ name: "x.conf", serverName: "tls.example.org" }));
        await virtualHost.create(ctx, vhost);
        const app = application.normalize!(
            appInputs.parse({
                name: "shop",
                mountPoint: "/only-here",
                source: src,
                processGroup: "shop",
                virtualHost: "x.conf",
                healthCheck: { enabled: false }, // no Apache to answer on the fake host
            }),
        );
        const state = await application.create(ctx, app);
        expect(host.file(state.configFile as string)).toContain("WSGIScriptAlias /only-here ");
        // Every path the module's glob matches (Apache reads a matched directory recursively).
        const modwsgiD = host.local("/etc/apache2/modwsgi.d");
        const globbed = fs.readdirSync(modwsgiD).filter((f) => f.endsWith(".conf"));
        for (const f of globbed) {
            const p = path.join(modwsgiD, f);
            expect(fs.statSync(p).isDirectory(), `/etc/apache2/modwsgi.d/${f} is a directory`).toBe(false);
            expect(fs.readFileSync(p, "utf8"), f).not.toContain("/only-here");
        }
        expect(state.configFile).toBe("/etc/apache2/modwsgi-vhosts/x.conf/28-app-shop.conf");
        expect(host.file(vhostFile("x.conf"))).toContain(
            "    IncludeOptional /etc/apache2/modwsgi-vhosts/x.conf/*.conf\n",
        );
    });

    it("update moves only mount files out of the old include dir; a file not ours stays there, with a warning", async () => {
        const ctx = host.ctx();
        const old = "/etc/apache2/modwsgi.d/vhost-x.conf";
        expect(legacyVhostIncludeDir("x.conf")).toBe(old);
        const vhost = normalize(inputs.parse({ name: "x.conf", serverName: "tls.example.org" }));
        const state = await virtualHost.create(ctx, vhost);
        host.put(`${old}/28-app-shop.conf`, "WSGIScriptAlias /shop /srv/modwsgi/shop/wsgi.py\n");
        host.put(`${old}/29-app-home.conf`, "# older copy\n");
        host.put(`${vhostIncludeDir("x.conf")}/29-app-home.conf`, "# already moved\n");
        host.put(`${old}/custom.conf`, "# by hand\n");
        await virtualHost.update(ctx, state, vhost);
        expect(host.file(`${vhostIncludeDir("x.conf")}/28-app-shop.conf`)).toBe(
            "WSGIScriptAlias /shop /srv/modwsgi/shop/wsgi.py\n",
        );
        expect(host.file(`${vhostIncludeDir("x.conf")}/29-app-home.conf`)).toBe("# already moved\n");
        expect(fs.readdirSync(host.local(old))).toEqual(["custom.conf"]);
        expect(ctx.messages.join("\n")).toMatch(
            /^VirtualHost\.name: \/etc\/apache2\/modwsgi\.d\/vhost-x\.conf still holds custom\.conf/m,
        );
        // Once the directory is empty, the next update (or delete) removes it.
        fs.rmSync(host.local(`${old}/custom.conf`));
        await virtualHost.delete(ctx, state);
        expect(host.exists(old)).toBe(false);
        expect(host.exists(vhostIncludeDir("x.conf"))).toBe(false);
    });
});
