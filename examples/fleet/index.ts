// One program, several servers: the same site (a module, a venv, four daemon groups with an app each) on every
// host in the `hosts` config, one provider per host, so each host gets one pooled SSH connection of its own and
// the hosts are worked on side by side. The SSH pooling e2e test (test/e2e/ssh.test.ts) runs it on three sandbox
// hosts and counts the SSH logins each host sees.
//   pulumi config set --path 'hosts[0].name' web1
//   pulumi config set --path 'hosts[0].address' web1.example.org
//   pulumi config set --path 'hosts[0].hostKey' "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
//   (and hosts[1], hosts[2], ...), then: pulumi config set privateKeyFile ~/.ssh/id_ed25519
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../sdk/nodejs";

const config = new pulumi.Config();
const hosts = config.requireObject<{ name: string; address: string; hostKey: string }[]>("hosts");
const privateKey = pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8"));
const source = path.join(__dirname, "../flask-hello/app");

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
