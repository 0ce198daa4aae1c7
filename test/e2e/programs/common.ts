// Shared by the test programs: the provider for the sandbox host named in stack config.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../sdk/nodejs";

export function sandboxProvider(config: pulumi.Config): modwsgi.Provider {
    return new modwsgi.Provider("host", {
        host: config.require("host"),
        hostKey: config.require("hostKey"),
        privateKey: pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8")),
    });
}
