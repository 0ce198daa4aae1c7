// Ten resources on each of several hosts (one provider per host): the SSH pooling test's program.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../../../sdk/nodejs";

const config = new pulumi.Config();
const hosts = config.requireObject<{ name: string; address: string; hostKey: string }[]>("hosts");
const privateKey = pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8"));
const source = path.join(__dirname, "../../../../examples/flask-hello/app");

export const urls = hosts.map((h) => {
    const opts = { provider: new modwsgi.Provider(h.name, { host: h.address, hostKey: h.hostKey, privateKey }) };
    const mod = new modwsgi.WsgiModule(`${h.name}-module`, {}, opts);
    const env = new modwsgi.PythonEnv(
        `${h.name}-env`,
        { name: "fleet", python: mod.python, requirements: ["flask==3.1.2"] },
        { ...opts, dependsOn: [mod] },
    );
    return [1, 2, 3, 4].map((n) => {
        const daemon = new modwsgi.DaemonProcess(
            `${h.name}-daemon${n}`,
            { name: `fleet${n}`, threads: 2, pythonHome: env.path },
            { ...opts, dependsOn: [mod] },
        );
        const app = new modwsgi.Application(
            `${h.name}-app${n}`,
            { name: `fleet${n}`, mountPoint: `/fleet${n}`, source, processGroup: daemon.name },
            opts,
        );
        return pulumi.interpolate`http://${h.address}${app.mountPoint}/`;
    });
});
