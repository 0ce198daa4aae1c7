// Releases of one Flask app (an application factory) in one daemon group: everything about the Application that
// the releases test varies comes from stack config, so one stack serves every step (one module build).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", { version: "6.1.1" }, opts);
const env = new modwsgi.PythonEnv(
    "env",
    { name: "releases", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);
// www-data owns the data directory: the app appends to it, the release commands write the SQLite file there.
const daemon = new modwsgi.DaemonProcess(
    "rel",
    { name: "rel", threads: 5, pythonHome: env.path, user: "www-data", group: "www-data" },
    { ...opts, dependsOn: [mod] },
);
const app = new modwsgi.Application(
    "rel",
    {
        name: "rel",
        mountPoint: "/rel",
        source: config.get("source") ?? path.join(__dirname, "app"),
        entryPoint: config.get("entryPoint") ?? "relapp:create_app()",
        processGroup: daemon.name,
        environment: { APP_SECRET: config.requireSecret("appSecret") },
        // The Flask CLI finds the factory itself; init-db creates data/app.db and writes built.txt into the release.
        releaseCommands: config.getObject<string[][]>("releaseCommands") ?? [["flask", "--app", "relapp", "init-db"]],
        dataDirs: config.getObject<string[]>("dataDirs") ?? ["data"],
        deleteDataOnDestroy: config.getBoolean("deleteDataOnDestroy"),
        // /notes reads the database: healthy only when the release command made it.
        healthCheck: config.getObject<modwsgi.types.input.HealthCheckArgs>("healthCheck") ?? {
            path: "/rel/notes",
            expectStatus: 200,
        },
        keepReleases: config.getNumber("keepReleases"),
    },
    opts,
);
export const url = pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
export const appDir = app.appDir;
