// One resource of each type, with secrets (a TLS key, an app environment) and the Application settings that live
// only in the provider (release commands, health check, releases kept). With `import: true` in stack config every
// resource is adopted from the host by its documented ID instead of created: Pulumi then refuses the import unless
// what Read finds on the host matches this program exactly (docs/import.md).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const importing = config.getBoolean("import") ?? false;
/** The resource options, with the import ID when this stack takes over what is already on the host. */
const opts = (id: string, dependsOn: pulumi.Resource[] = []) => ({
    provider,
    dependsOn,
    ...(importing ? { import: id } : {}),
});

const host = new modwsgi.ApacheHost("host", { mpm: "event", restrictEmbedded: true }, opts("apache"));
const mod = new modwsgi.WsgiModule("module", {}, opts("mod_wsgi", [host]));
const env = new modwsgi.PythonEnv(
    "env",
    { name: "imported", python: mod.python, requirements: ["flask==3.1.2"] },
    opts("imported", [mod]),
);
const site = new modwsgi.VirtualHost(
    "site",
    {
        name: "imported",
        serverName: config.require("serverName"),
        tls: {
            certificate: fs.readFileSync(config.require("certificateFile"), "utf8"),
            privateKey: pulumi.secret(fs.readFileSync(config.require("keyFile"), "utf8")),
        },
    },
    opts("imported", [mod]),
);
const daemon = new modwsgi.DaemonProcess(
    "daemon",
    { name: "imported", processes: 2, threads: 3, pythonHome: env.path, displayName: "%{GROUP}" },
    opts("imported", [mod]),
);
new modwsgi.Application(
    "app",
    {
        name: "imported",
        mountPoint: "/imp",
        source: config.require("source"),
        processGroup: daemon.name,
        virtualHost: site.name,
        environment: { GREETING: "imported", API_TOKEN: pulumi.secret(config.require("token")) },
        // The token as an argument too: a secret the import must keep encrypted although its record cannot say so.
        releaseCommands: [
            ["python", "-c", "import sys; print('release ok', len(sys.argv))", config.requireSecret("token")],
        ],
        dataDirs: ["uploads"],
        keepReleases: 3,
        healthCheck: { path: "/imp/", expectStatus: 200, timeoutSeconds: 20 },
        staticFiles: [{ urlPath: "/imp-static", directory: "static" }],
    },
    opts("imported", [daemon]),
);
export const program = path.basename(__dirname);
