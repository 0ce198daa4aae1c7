// mod_wsgi from each source (sdist upload, URL, Debian's package) under one plain app, everything set by
// stack config: the sources test's program.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const host = new modwsgi.ApacheHost(
    "host",
    { ensurePackages: config.getBoolean("ensurePackages") ?? false, freeThreading: config.getBoolean("freeThreading") },
    opts,
);
const mod = new modwsgi.WsgiModule(
    "module",
    {
        source: (config.get("source") ?? "pypi") as modwsgi.WsgiModuleArgs["source"],
        archive: config.get("archive"),
        url: config.get("url"),
        sha256: config.get("sha256"),
        buildWheels: config.get("buildWheels"),
        allowDistroPackage: config.getBoolean("allowDistroPackage"),
    },
    { ...opts, dependsOn: [host] },
);
const daemon = new modwsgi.DaemonProcess(
    "web",
    { name: "web", threads: 2, switchInterval: config.getNumber("switchInterval") },
    { ...opts, dependsOn: [mod] },
);
new modwsgi.Application(
    "app",
    {
        name: "sources",
        mountPoint: "/app",
        source: path.join(__dirname, "app"),
        processGroup: daemon.name,
        applicationGroup: config.get("applicationGroup"),
        interpreterOptions: config.getObject<modwsgi.types.input.InterpreterOptionsArgs>("interpreterOptions"),
    },
    opts,
);

export const moduleVersion = mod.moduleVersion;
export const pythonAbi = mod.pythonAbi;
