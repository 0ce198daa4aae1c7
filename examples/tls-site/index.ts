// A production-shaped site on one Apache host: the packages installed if missing, mod_wsgi 6 built on the
// host, HTTPS with HTTP redirected to it, the main app at / and an API at /api in daemon groups of their own,
// a secret in the app's environment, static files served by Apache.
//   pulumi config set host web1.example.org
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
//   pulumi config set --secret privateKey < ~/.ssh/id_ed25519
//   pulumi config set serverName www.example.org
//   pulumi config set certificateFile ./fullchain.pem && pulumi config set keyFile ./privkey.pem
//   pulumi config set --secret secretKey "$(openssl rand -hex 32)"
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../sdk/nodejs";

const config = new pulumi.Config();
const serverName = config.require("serverName");
const provider = new modwsgi.Provider("web1", {
    host: config.require("host"),
    hostKey: config.require("hostKey"),
    privateKey:
        config.getSecret("privateKey") ?? pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8")),
});
const opts = { provider };
const app = path.join(__dirname, "../flask-hello/app");

// Apache, apxs, Python headers and a compiler, installed with apt when missing; Python only in daemons.
const host = new modwsgi.ApacheHost(
    "host",
    { ensurePackages: true, restrictEmbedded: true, socketRotation: false },
    opts,
);
const mod = new modwsgi.WsgiModule("mod-wsgi", { version: "6.1.1" }, { ...opts, dependsOn: [host] });
const env = new modwsgi.PythonEnv(
    "site-env",
    { name: "site", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);

const site = new modwsgi.VirtualHost(
    "site",
    {
        name: "site",
        serverName,
        tls: {
            certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
            privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
        },
        redirectHttp: true, // http://serverName/... answers 301 to https://serverName/...
    },
    { ...opts, dependsOn: [mod] },
);

// The main app: two processes, requests interrupted after 30 s, recycled every 10000 requests.
const main = new modwsgi.DaemonProcess(
    "main",
    {
        name: "main",
        processes: 2,
        threads: 5,
        pythonHome: env.path,
        requestTimeout: 30,
        interruptTimeout: 10,
        maximumRequests: 10000,
    },
    { ...opts, dependsOn: [mod] },
);
new modwsgi.Application(
    "main",
    {
        name: "main",
        mountPoint: "/",
        source: app,
        processGroup: main.name,
        virtualHost: site.name,
        staticFiles: [{ urlPath: "/static", directory: "static" }],
        environment: { GREETING: "Welcome", SECRET_KEY: config.requireSecret("secretKey") },
    },
    opts,
);

// The API: its own group and a named interpreter with stdin closed to it.
// (Its mount file is read before the one for "/", whatever the names: "/" would otherwise catch /api.)
const api = new modwsgi.DaemonProcess(
    "rest-api",
    { name: "rest-api", threads: 10, pythonHome: env.path, requestTimeout: 10 },
    { ...opts, dependsOn: [mod] },
);
new modwsgi.Application(
    "rest-api",
    {
        name: "rest-api",
        mountPoint: "/api",
        source: app,
        entryPoint: "hello:app",
        processGroup: api.name,
        applicationGroup: "api",
        interpreterOptions: { restrictStdin: true },
        virtualHost: site.name,
    },
    opts,
);

export const url = `https://${serverName}/`;
export const apacheVersion = host.apacheVersion;
export const modWsgiVersion = mod.moduleVersion;
