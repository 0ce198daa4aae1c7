// A PythonEnv installed from uploaded wheels only: the offline-host test's program.
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const env = new modwsgi.PythonEnv(
    "env",
    { name: "offline", requirements: ["flask==3.1.2"], wheels: config.require("wheels") },
    { provider: sandboxProvider(config) },
);
export const freezeSha256 = env.freezeSha256;
