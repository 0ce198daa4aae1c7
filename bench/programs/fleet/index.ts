// The benchmark's fleet: on each host, the module, one venv with Flask shared by the host's apps, and `apps`
// copies of examples/flask-hello, each with its own daemon group and mount (/app1 ... /appN). App 1's code comes
// from its own directory (`app1Source`) so the code-only change of P2 touches one app only. (One venv per host,
// not per app: a venv is ~10 s of pip per app to set up, which the 5x10 cell could not afford in the bench's
// time; the Ansible side has the same layout.)
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "@pulumi/modwsgi";

const config = new pulumi.Config();
const hosts = config.requireObject<{ name: string; address: string; hostKey: string }[]>("hosts");
const apps = config.requireNumber("apps");
const source = config.require("source");
const app1Source = config.require("app1Source");
const privateKey = pulumi.secret(fs.readFileSync(config.require("privateKeyFile"), "utf8"));

export const urls = hosts.map((h) => {
    const opts = { provider: new modwsgi.Provider(h.name, { host: h.address, hostKey: h.hostKey, privateKey }) };
    const mod = new modwsgi.WsgiModule(`${h.name}-module`, { version: "6.1.1" }, opts);
    const env = new modwsgi.PythonEnv(
        `${h.name}-env`,
        { name: "apps", python: mod.python, requirements: ["flask==3.1.2"] },
        { ...opts, dependsOn: [mod] },
    );
    return Array.from({ length: apps }, (_, i) => {
        const name = `app${i + 1}`;
        // Our defaults, but for the venv: what P4 measures against mod_wsgi-express's defaults.
        const daemon = new modwsgi.DaemonProcess(
            `${h.name}-${name}-daemon`,
            { name, pythonHome: env.path },
            { ...opts, dependsOn: [mod] },
        );
        const app = new modwsgi.Application(
            `${h.name}-${name}`,
            { name, mountPoint: `/${name}`, source: i === 0 ? app1Source : source, processGroup: daemon.name },
            opts,
        );
        return pulumi.interpolate`http://${h.address}${app.mountPoint}/`;
    });
});
