// A user's program outside this repository: the SDK from its npm package, the plugin from its archive (installed
// with `pulumi plugin install`). Plain JavaScript, so nothing but the two packages and @pulumi/pulumi is needed.
"use strict";
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const modwsgi = require("pulumi-modwsgi");

const config = new pulumi.Config();
const provider = new modwsgi.Provider("web1", {
    host: config.require("host"),
    hostKey: config.require("hostKey"),
    privateKey: pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8")),
});
const opts = { provider };
const mod = new modwsgi.WsgiModule("module", {}, opts);
const daemon = new modwsgi.DaemonProcess("hello", { name: "hello", threads: 2 }, { ...opts, dependsOn: [mod] });
const app = new modwsgi.Application(
    "hello",
    { name: "hello", mountPoint: "/hello", source: "./app", processGroup: daemon.name },
    opts,
);
exports.url = pulumi.interpolate`http://${config.require("host")}${app.mountPoint}/`;
