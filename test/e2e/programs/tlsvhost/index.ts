// Two apps in two daemon groups on one TLS virtual host, and a third at server scope in its own group, with
// embedded mode restricted (ApacheHost's default): the VirtualHost test's program, on Debian 12 and 13.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const flask = path.join(__dirname, "../../../../examples/flask-hello/app");
const host = new modwsgi.ApacheHost("host", { restrictEmbedded: true }, opts);
const mod = new modwsgi.WsgiModule("module", {}, { ...opts, dependsOn: [host] });
const env = new modwsgi.PythonEnv(
    "env",
    { name: "tlsapps", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);
const site = new modwsgi.VirtualHost(
    "site",
    {
        name: "secure",
        serverName: config.require("serverName"),
        tls: {
            certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
            privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
        },
    },
    { ...opts, dependsOn: [mod] },
);

for (const name of ["shop", "blog", "plain"]) {
    const daemon = new modwsgi.DaemonProcess(
        name,
        { name, threads: 2, pythonHome: env.path },
        { ...opts, dependsOn: [mod] },
    );
    new modwsgi.Application(
        name,
        {
            name,
            mountPoint: `/${name}`,
            source: config.get(`${name}Source`) ?? flask,
            processGroup: daemon.name,
            // plain: server scope, so every vhost (Debian's default site on port 80 too) has it.
            virtualHost: name === "plain" ? undefined : site.name,
        },
        opts,
    );
}
export const includeDir = site.includeDir;
