// The safety test's program: one app (secret environment) in a daemon group of Apache's user, and with `second`
// a second daemon group whose user differs but whose Unix group (www-data, Apache's) is the same.
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const opts = { provider: sandboxProvider(config) };
const mod = new modwsgi.WsgiModule("module", {}, opts);
const daemon = new modwsgi.DaemonProcess("safe", { name: "safe", threads: 2 }, { ...opts, dependsOn: [mod] });
if (config.getBoolean("second")) {
    new modwsgi.DaemonProcess("other", { name: "other", threads: 1, user: "nobody" }, { ...opts, dependsOn: [mod] });
}
export const url = config.getBoolean("withApp")
    ? new modwsgi.Application(
          "safe",
          {
              name: "safe",
              mountPoint: "/safe",
              source: config.require("source"),
              processGroup: daemon.name,
              environment: { API_TOKEN: config.requireSecret("token") },
          },
          opts,
      ).mountPoint.apply((m) => `http://${config.require("host")}${m}`)
    : undefined;
