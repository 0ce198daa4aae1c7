// Two daemon groups with one name on one host: preview must refuse the second before touching the host.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";

const config = new pulumi.Config();
const provider = new modwsgi.Provider("host", {
    host: config.require("host"),
    hostKey: config.require("hostKey"),
    privateKey: pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8")),
});
new modwsgi.DaemonProcess("first", { name: "web" }, { provider });
new modwsgi.DaemonProcess("second", { name: "web", threads: 3 }, { provider });
