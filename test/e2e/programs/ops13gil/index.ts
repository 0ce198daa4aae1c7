// ops13 on Debian 13 (Python 3.13): two application groups in one daemon group, each with a per-interpreter GIL.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", { version: "6.1.1" }, opts);
const daemon = new modwsgi.DaemonProcess("gil", { name: "gil", threads: 4 }, { ...opts, dependsOn: [mod] });

export const urls = ["gila", "gilb", "gilshared"].map((name) => {
    const app = new modwsgi.Application(
        name,
        {
            name,
            mountPoint: `/${name}`,
            source: path.join(__dirname, "../ops13/app"),
            processGroup: daemon.name,
            applicationGroup: name,
            // gilshared: a sub-interpreter on the shared GIL, the control.
            ...(name === "gilshared" ? {} : { interpreterOptions: { perInterpreterGil: true } }),
        },
        opts,
    );
    return pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
});
export const status = modwsgi.getStatus({}, { provider });
