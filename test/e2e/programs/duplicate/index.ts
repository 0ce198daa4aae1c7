// Two daemon groups with one name on one host: preview must refuse the second before touching the host.
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";
import { sandboxProvider } from "../common";

const config = new pulumi.Config();
const provider = sandboxProvider(config);
new modwsgi.DaemonProcess("first", { name: "web" }, { provider });
new modwsgi.DaemonProcess("second", { name: "web", threads: 3 }, { provider });
