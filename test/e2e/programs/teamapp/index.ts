// One team's app on a host another stack prepared: a daemon group and an Application, no module of its own.
// The load test runs two of these (two projects) at once against one host.
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const name = config.require("name");
const daemon = new modwsgi.DaemonProcess(name, { name, threads: 2 }, opts);
const app = new modwsgi.Application(
    name,
    { name, mountPoint: `/${name}`, source: config.require("source"), processGroup: daemon.name },
    opts,
);
export const url = pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
