// Server-wide settings through ApacheHost (socket prefix, rotation, worker MPM, an extra port) with the
// quickstart app on top: the ApacheHost test's program.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const host = new modwsgi.ApacheHost(
    "host",
    {
        socketPrefix: "/var/run/apache2/modwsgi",
        socketRotation: false,
        mpm: "worker",
        listenPorts: [8080],
    },
    opts,
);
const mod = new modwsgi.WsgiModule("module", {}, { ...opts, dependsOn: [host] });
const env = new modwsgi.PythonEnv(
    "env",
    { name: "hostsettings", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);
const daemon = new modwsgi.DaemonProcess(
    "hello",
    { name: "hello", threads: 2, pythonHome: env.path },
    { ...opts, dependsOn: [mod] },
);
new modwsgi.Application(
    "hello",
    {
        name: "hello",
        mountPoint: "/hello",
        source: path.join(__dirname, "../../../../examples/flask-hello/app"),
        processGroup: daemon.name,
    },
    opts,
);

export const facts = pulumi
    .all([host.osVersion, host.apacheVersion, host.apacheMpm, host.systemd, host.python, host.apxs])
    .apply(([osVersion, apacheVersion, apacheMpm, systemd, python, apxs]) => ({
        osVersion,
        apacheVersion,
        apacheMpm,
        systemd,
        python,
        apxs,
    }));
