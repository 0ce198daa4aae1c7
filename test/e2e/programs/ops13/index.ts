// ops13 on Debian 12: telemetry (ingester, UI, directives), a group whose stuck requests end in a 504 by
// request-timeout + interrupt-timeout, and getStatus exported as a stack output.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", { version: "6.1.1" }, opts);

const telemetry = new modwsgi.Telemetry(
    "telemetry",
    { interval: 1, slowRequests: 2, captureUserAgent: true },
    { ...opts, dependsOn: [mod] },
);

// Two threads: mod_wsgi acts on a stuck request after 5 x (1 + ln 2) = 8.5 s, well inside socket-timeout.
const daemon = new modwsgi.DaemonProcess(
    "ops",
    {
        name: "ops",
        threads: 2,
        requestTimeout: 5,
        interruptTimeout: 10,
        socketTimeout: config.getNumber("socketTimeout") ?? 60,
    },
    { ...opts, dependsOn: [mod] },
);
const app = new modwsgi.Application(
    "ops",
    { name: "ops", mountPoint: "/ops", source: path.join(__dirname, "app"), processGroup: daemon.name },
    { ...opts, dependsOn: [telemetry] },
);

export const url = pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
export const telemetrySupervisor = telemetry.supervisor;
// Read at every run: after a burst, a second `up` records what the host reports now.
export const status = modwsgi.getStatus({}, { provider });
