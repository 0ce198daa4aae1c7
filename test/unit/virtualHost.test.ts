import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { inputs, normalize, parse, render, virtualHost } from "../../provider/resources/virtualHost";
import { checkInputs, type ResourceModule } from "../../provider/resource";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = virtualHost as unknown as ResourceModule;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

const plain = normalize(inputs.parse({ name: "site", serverName: "example.org", serverAliases: ["www.example.org", "*.example.net"] }));
const tls = normalize(inputs.parse({ name: "secure", serverName: "example.org", tls: { certificate: CERT, privateKey: KEY } }));

describe("VirtualHost render (golden files)", () => {
    it("plain HTTP on port 80 with aliases and default logs (vhost-plain.conf)", () => {
        expect(render(plain)).toBe(golden("vhost-plain.conf"));
    });

    it("HTTPS on 443 with the certificate files the provider writes (vhost-tls.conf)", () => {
        expect(render(tls)).toBe(golden("vhost-tls.conf"));
    });

    it("reads its own file back to the same inputs (TLS material aside)", () => {
        expect(parse(render(plain), "site")).toEqual({ ...plain });
        const { tls: _t, ...rest } = tls;
        expect(parse(render(tls), "secure")).toEqual(rest);
    });
});

describe("VirtualHost check", () => {
    it("makes defaults that depend on other inputs concrete (port, log paths)", () => {
        const { inputs: out } = checkInputs(mod, { name: "s", serverName: "a.org", tls: { certificate: CERT, privateKey: KEY } });
        expect(out).toMatchObject({ port: 443, errorLog: "/var/log/apache2/s-error.log", accessLog: "/var/log/apache2/s-access.log" });
    });

    it.each([
        [{ name: "s", serverName: "a.org", port: 443 }, "port", /443 needs tls/],
        [{ name: "s", serverName: "a.org", port: 8080 }, "port", /80 or 443/],
        [{ name: "s", serverName: "a b" }, "serverName", /host name/],
        [{ name: "s", serverName: "a.org", tls: { certificate: "nope", privateKey: KEY } }, "tls.certificate", /PEM certificate/],
        [{ name: "s", serverName: "a.org", tls: { certificate: CERT, privateKey: "x" } }, "tls.privateKey", /PEM private key/],
        [{ name: "s", serverName: "a.org\nSSLEngine off" }, "serverName", /host name/],
    ])("refuses %j naming %s", (value, property, message) => {
        const { failures } = checkInputs(mod, value);
        expect(failures[0]).toEqual({ property, reason: expect.stringMatching(message) });
    });
});
