// One modwsgi provider per host and nothing else: adds the provider plugin's start and configure to the
// empty program's cost (the provider connects only when a resource needs the host).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "@pulumi/modwsgi";

const config = new pulumi.Config();
const hosts = config.requireObject<{ name: string; address: string; hostKey: string }[]>("hosts");
// With no hosts this is the program-start step: the SDK is loaded and nothing else happens.
const privateKey = hosts.length ? pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8")) : "";

export const providers = hosts.map(
    (h) => new modwsgi.Provider(h.name, { host: h.address, hostKey: h.hostKey, privateKey }).urn,
);
