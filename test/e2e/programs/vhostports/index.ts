// A TLS vhost that redirects plain HTTP to itself, and a plain vhost on an extra port with an app on it:
// the VirtualHost ports test's program. `altPort` may be one ApacheHost does not list (the test expects a failure).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const host = new modwsgi.ApacheHost("host", { listenPorts: config.requireObject<number[]>("listenPorts") }, opts);
const mod = new modwsgi.WsgiModule("module", {}, { ...opts, dependsOn: [host] });
// The vhosts wait for ApacheHost: its Listen file must be in place when their port is checked.
const after = { ...opts, dependsOn: [host, mod] };

new modwsgi.VirtualHost(
    "secure",
    {
        name: "redirect",
        serverName: config.require("serverName"),
        redirectHttp: true,
        tls: {
            certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
            privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
        },
    },
    after,
);

const alt = new modwsgi.VirtualHost(
    "alt",
    { name: "alt", serverName: config.require("altServerName"), port: config.requireNumber("altPort") },
    after,
);
const env = new modwsgi.PythonEnv(
    "env",
    { name: "vhostports", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);
const daemon = new modwsgi.DaemonProcess(
    "alt",
    { name: "alt", threads: 2, pythonHome: env.path },
    { ...opts, dependsOn: [mod] },
);
new modwsgi.Application(
    "alt",
    {
        name: "alt",
        mountPoint: "/hello",
        source: path.join(__dirname, "../../../../examples/flask-hello/app"),
        processGroup: daemon.name,
        virtualHost: alt.name,
    },
    opts,
);
