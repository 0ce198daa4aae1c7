// Two apps in two daemon groups on one TLS virtual host: the VirtualHost test's program.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", {}, opts);
const env = new modwsgi.PythonEnv("env", { name: "tlsapps", python: mod.python, requirements: ["flask==3.1.2"] }, { ...opts, dependsOn: [mod] });
const site = new modwsgi.VirtualHost("site", {
    name: "secure",
    serverName: config.require("serverName"),
    tls: {
        certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
        privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
    },
}, { ...opts, dependsOn: [mod] });

for (const name of ["shop", "blog"]) {
    const daemon = new modwsgi.DaemonProcess(name, { name, threads: 2, pythonHome: env.path }, { ...opts, dependsOn: [mod] });
    new modwsgi.Application(name, {
        name,
        mountPoint: `/${name}`,
        source: path.join(__dirname, "../../../../examples/flask-hello/app"),
        processGroup: daemon.name,
        virtualHost: site.name,
    }, opts);
}
export const includeDir = site.includeDir;
