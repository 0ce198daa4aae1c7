// Two apps, each in its own daemon group, on one host: the reload test's program.
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", { version: config.get("moduleVersion") ?? "6.1.1" }, opts);
const env = new modwsgi.PythonEnv(
    "env",
    { name: "twoapps", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);

export const urls = ["appa", "appb"].map((name) => {
    const daemon = new modwsgi.DaemonProcess(
        name,
        {
            name,
            threads: config.getNumber(`${name}Threads`) ?? config.getNumber("threads") ?? 2,
            pythonHome: env.path,
            user: config.get(`${name}User`),
        },
        { ...opts, dependsOn: [mod] },
    );
    // appb names its WSGI callable as module:callable instead of a script file.
    const entry = name === "appb" ? { entryPoint: "hello:app" } : {};
    const app = new modwsgi.Application(
        name,
        { name, mountPoint: `/${name}`, source: config.require(`${name}Source`), processGroup: daemon.name, ...entry },
        opts,
    );
    return pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
});
export const moduleVersion = mod.moduleVersion;
