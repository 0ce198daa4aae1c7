// The connection-cut test's program: every resource kind on one host, each input a knob the test turns to start
// the host operation it cuts (module build and full restart, pip install, upload and deploy, a daemon's graceful
// reload, a TLS vhost's transaction).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const host = new modwsgi.ApacheHost("host", {}, opts);
const mod = new modwsgi.WsgiModule(
    "module",
    { version: config.get("moduleVersion") ?? "6.1.1" },
    { ...opts, dependsOn: [host] },
);
const env = new modwsgi.PythonEnv(
    "env",
    { name: "cut", python: mod.python, requirements: [config.get("requirement") ?? "six==1.16.0"] },
    { ...opts, dependsOn: [mod] },
);
const daemon = new modwsgi.DaemonProcess(
    "cut",
    { name: "cut", threads: config.getNumber("threads") ?? 2, pythonHome: env.path },
    { ...opts, dependsOn: [mod] },
);
// Server scope: every vhost has the mount, the TLS one too.
new modwsgi.Application(
    "cut",
    { name: "cut", mountPoint: "/cut", source: config.require("source"), processGroup: daemon.name },
    opts,
);
if (config.getBoolean("tls")) {
    new modwsgi.VirtualHost(
        "site",
        {
            name: "cutsite",
            serverName: config.require("serverName"),
            tls: {
                certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
                privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
                ...(config.get("chainFile") ? { chain: fs.readFileSync(config.require("chainFile"), "utf8") } : {}),
            },
        },
        { ...opts, dependsOn: [mod] },
    );
}
