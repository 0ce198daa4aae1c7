// Quickstart: a Flask app served by mod_wsgi 6.x in daemon mode on an Apache host over SSH.
// By default it targets the first sandbox host (`npm run demo` creates it); set config for your own server:
//   pulumi config set host web1.example.org
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
//   pulumi config set --secret privateKey < ~/.ssh/id_ed25519
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
if (!host) throw new Error("set `pulumi config set host <server>` (or run `npm run demo` to create a sandbox host)");
const hostKey = config.get("hostKey") ?? fromSandbox("host_key.pub")?.split(" ").slice(0, 2).join(" ");
const privateKey =
    config.getSecret("privateKey") ??
    pulumi.secret(fs.readFileSync(config.get("privateKeyFile") ?? sandboxKey, "utf8"));

const provider = new modwsgi.Provider("web1", {
    host,
    hostKey,
    privateKey,
    user: config.get("sshUser") ?? "root",
    privateKeyPassphrase: config.getSecret("privateKeyPassphrase"),
    sudoPassword: config.getSecret("sudoPassword"),
    // Bastions, in order: [{ host, hostKey, privateKey | privateKeyFile, user?, port? }, ...]
    jumpHosts: config
        .getObject<(modwsgi.types.input.HopArgs & { privateKeyFile?: string })[]>("jumpHosts")
        ?.map(({ privateKeyFile, ...hop }) =>
            privateKeyFile ? { ...hop, privateKey: fs.readFileSync(privateKeyFile, "utf8") } : hop,
        ),
});
const opts = { provider };

const mod = new modwsgi.WsgiModule("mod-wsgi", { version: config.get("modWsgiVersion") ?? "6.1.1" }, opts);

// After the module: a venv is only useful with a module built for its Python (and a host that fails the
// module's preflight then stays untouched).
const env = new modwsgi.PythonEnv(
    "hello-env",
    { name: "hello", python: mod.python, requirements: ["flask==3.1.2"] },
    { ...opts, dependsOn: [mod] },
);

const daemon = new modwsgi.DaemonProcess(
    "hello",
    {
        name: "hello",
        threads: config.getNumber("threads") ?? 5,
        pythonHome: env.path,
        user: config.get("daemonUser") ?? "www-data",
        group: "www-data",
    },
    { ...opts, dependsOn: [mod] },
);

const app = new modwsgi.Application(
    "hello",
    {
        name: "hello",
        mountPoint: config.get("mountPoint") ?? "/hello",
        source: path.join(__dirname, "app"),
        processGroup: daemon.name,
        passAuthorization: true,
        // Apache serves these files itself; the mount point's other URLs go to Flask.
        staticFiles: [{ urlPath: `${config.get("mountPoint") ?? "/hello"}/static`, directory: "static" }],
        // Values are stored encrypted; on the host only root and the daemon's group can read them.
        environment: config.getSecret("greeting")?.apply((g) => ({ GREETING: g })),
    },
    opts,
);

// Flask answers the mount itself with a redirect to the trailing-slash form: point at that directly.
export const url = pulumi.interpolate`http://${host}${app.mountPoint.apply((m) => (m.endsWith("/") ? m : `${m}/`))}`;
export const modWsgiVersion = mod.version;
export const moduleSha256 = mod.moduleSha256;
export const pythonAbi = mod.pythonAbi;
export const daemonConfig = daemon.configFile;
