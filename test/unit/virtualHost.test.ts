import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { execFileSync } from "node:child_process";
import { inputs, normalize, parse, parseListenPorts, render, virtualHost } from "../../provider/resources/virtualHost";
import { Claims, UNKNOWN, checkInputs, type Ctx, type ResourceModule } from "../../provider/resource";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = virtualHost as unknown as ResourceModule;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

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

/**
 * A host whose read-only commands run on this machine with /etc/apache2 moved to `root`, so the real
 * grep command line reads real files; config writes are only recorded.
 */
function fakeHost(root: string) {
    const writes: string[] = [];
    const commands: string[] = [];
    const host = {
        name: "h-test",
        conn: { host: "h-test" },
        exec: async (command: string) => {
            commands.push(command);
            if (!command.includes("grep")) return { code: 0, stdout: "", stderr: "" };
            try {
                return {
                    code: 0,
                    stdout: execFileSync("/bin/sh", ["-c", command.replaceAll("/etc/apache2/", `${root}/`)]).toString(),
                    stderr: "",
                };
            } catch (e) {
                const err = e as { status: number; stdout: Buffer; stderr: Buffer };
                return { code: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
            }
        },
        writeFile: async (p: string) => void writes.push(p),
    };
    const noop = () => undefined;
    const ctx = { host, conn: host.conn, log: { info: noop, warn: noop, debug: noop, status: noop } } as unknown as Ctx;
    return { ctx, writes, commands };
}

function apacheTree(files: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "apache2-"));
    fs.mkdirSync(path.join(root, "conf-enabled"));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(root, f), text);
    return root;
}

describe("VirtualHost apply: the port must be one Apache listens on", () => {
    it("refuses a port no Listen names before writing anything, naming the fix", async () => {
        const { ctx, writes } = fakeHost(apacheTree({ "ports.conf": DEBIAN_PORTS_CONF }));
        await expect(virtualHost.create(ctx, alt)).rejects.toThrow(
            /^VirtualHost\.port: Apache on h-test does not listen on 8080; add it to ApacheHost\.listenPorts \(it listens on 80, 443\)$/,
        );
        expect(writes).toEqual([]);
    });

    it("accepts a port ApacheHost.listenPorts added (conf-enabled), then writes the vhost", async () => {
        const { ctx, writes, commands } = fakeHost(
            apacheTree({
                "ports.conf": DEBIAN_PORTS_CONF,
                "conf-enabled/modwsgi-listen.conf": "# Managed\nListen 8080\n",
            }),
        );
        const state = await virtualHost.create(ctx, alt);
        expect(state.configFile).toBe("/etc/apache2/sites-available/modwsgi-alt.conf");
        expect(commands.filter((c) => c.includes("grep"))).toHaveLength(1);
        expect(writes.length).toBeGreaterThan(0);
    });

    it("does not count a commented-out Listen, nor one in a file outside conf-enabled", async () => {
        const root = apacheTree({
            "ports.conf": `${DEBIAN_PORTS_CONF}# Listen 8080\n`,
            "conf-enabled/x.conf": "#Listen 8080\n",
        });
        fs.mkdirSync(path.join(root, "conf-available"));
        fs.writeFileSync(path.join(root, "conf-available/modwsgi-listen.conf"), "Listen 8080\n");
        await expect(virtualHost.create(fakeHost(root).ctx, alt)).rejects.toThrow(/does not listen on 8080/);
    });

    it("checks on update too, and never asks the host about 80 and 443", async () => {
        const { ctx, commands } = fakeHost(apacheTree({ "ports.conf": "Listen 80\n" }));
        await expect(
            virtualHost.update(
                ctx,
                { ...plain, configFile: "", includeDir: "", configSha256: "", tlsSha256: "" },
                { ...plain, port: 8081 },
            ),
        ).rejects.toThrow(/does not listen on 8081/);
        await virtualHost.create(ctx, plain);
        await virtualHost.create(ctx, redirect);
        expect(commands.filter((c) => c.includes("grep"))).toHaveLength(1);
    });
});

describe("VirtualHost check with values still unknown in preview", () => {
    it("defers rules across properties (redirectHttp needs tls) while tls is unknown, and applies them once it is known", () => {
        const m = virtualHost as unknown as ResourceModule;
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
