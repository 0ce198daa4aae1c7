// A WSGI app in a daemon group without the GIL (PEP 703): mod_wsgi 6 built against a free-threaded CPython
// 3.13t, and ApacheHost.freeThreading switching WSGIFreeThreading on. Neither Debian 12 nor 13 ships a
// free-threaded Python: the host needs one first (README.md; on a sandbox host `test/sandbox/cpython-ft.sh
// ensure h1` builds it from Debian's python3.13 source into /opt/python3.13t).
//   pulumi config set host web1.example.org
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
//   pulumi config set --secret privateKey < ~/.ssh/id_ed25519
//   pulumi config set freeThreading false     # the same Python with the GIL forced on (mod_wsgi's default)
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as modwsgi from "../../sdk/nodejs";

const config = new pulumi.Config();
const sandbox = "/run/modwsgi-sandbox/h1";
const fromSandbox = (file: string) => {
    const p = path.join(sandbox, file);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8").trim() : undefined;
};
const sandboxKey = `${process.env.MODWSGI_CACHE ?? "/var/cache/modwsgi"}/sandbox/id_ed25519`;

const host = config.get("host") ?? fromSandbox("address");
if (!host) throw new Error("set `pulumi config set host <server>` (or start a sandbox host, see README.md)");
const provider = new modwsgi.Provider("web1", {
    host,
    hostKey: config.get("hostKey") ?? fromSandbox("host_key.pub")?.split(" ").slice(0, 2).join(" "),
    privateKey:
        config.getSecret("privateKey") ??
        pulumi.secret(fs.readFileSync(config.get("privateKeyFile") ?? sandboxKey, "utf8")),
});
const opts = { provider };

// The module is built against the free-threaded interpreter: its ABI is cpython-313t-<arch>.
const mod = new modwsgi.WsgiModule(
    "mod-wsgi",
    { version: "6.1.1", python: config.get("python") ?? "/opt/python3.13t/bin/python3.13t" },
    opts,
);

// After the module: ApacheHost refuses freeThreading unless the loaded module is built for a free-threaded
// Python, which it can only see once the module is there. WSGIFreeThreading is process-wide: every daemon
// group on the host runs without the GIL (or, off, with it forced on).
const apache = new modwsgi.ApacheHost(
    "host",
    { freeThreading: config.getBoolean("freeThreading") ?? true },
    { ...opts, dependsOn: [mod] },
);

// A venv of the same interpreter (PythonEnv checks its ABI against the module's); the app needs no packages.
const env = new modwsgi.PythonEnv("ft-env", { name: "ft", python: mod.python }, { ...opts, dependsOn: [mod] });

const daemon = new modwsgi.DaemonProcess(
    "ft",
    { name: "ft", processes: 1, threads: 8, pythonHome: env.path, user: "www-data", group: "www-data" },
    { ...opts, dependsOn: [apache] },
);

const app = new modwsgi.Application(
    "ft",
    { name: "ft", mountPoint: "/ft", source: path.join(__dirname, "app"), processGroup: daemon.name },
    opts,
);

export const url = pulumi.interpolate`http://${host}${app.mountPoint}/`;
export const pythonAbi = mod.pythonAbi;
export const pythonVersion = mod.pythonVersion;
export const freeThreading = apache.freeThreading;
export const modulePath = mod.modulePath;
