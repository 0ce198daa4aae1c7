// A real Django project (site/: django-admin startproject + one app, `notes`) on Apache through mod_wsgi 6:
// DEBUG off, the secret key from Pulumi's encrypted config, migrations and collectstatic run as release commands
// before a release goes live, the static files served by Apache itself, SQLite in a data directory that outlives
// releases (and `pulumi destroy`).
// By default it targets the first sandbox host (`npm run demo` creates it); set config for your own server:
//   pulumi config set host web1.example.org
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 web1.example.org 2>/dev/null | cut -d' ' -f2-)"
//   pulumi config set --secret privateKey < ~/.ssh/id_ed25519
//   pulumi config set --secret secretKey "$(openssl rand -base64 48)"
//   pulumi config set allowedHosts web1.example.org   # Django's ALLOWED_HOSTS (default: the host)
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
});
const opts = { provider };

const mod = new modwsgi.WsgiModule("mod-wsgi", { version: "6.1.1" }, opts);
const env = new modwsgi.PythonEnv(
    "mysite-env",
    { name: "mysite", python: mod.python, requirements: ["django==5.2.19"] },
    { ...opts, dependsOn: [mod] },
);
// The daemon's user owns the data directory (SQLite writes its journal next to the database).
const daemon = new modwsgi.DaemonProcess(
    "mysite",
    { name: "mysite", threads: 5, pythonHome: env.path, user: "www-data", group: "www-data" },
    { ...opts, dependsOn: [mod] },
);

const app = new modwsgi.Application(
    "mysite",
    {
        name: "mysite",
        mountPoint: "/",
        // The project as created by django-admin (a copy elsewhere with `siteDir`: the tests change it).
        source: config.get("siteDir") ?? path.join(__dirname, "site"),
        entryPoint: "mysite.wsgi:application",
        processGroup: daemon.name,
        environment: {
            DJANGO_SECRET_KEY: config.requireSecret("secretKey"),
            // localhost: the provider's health check asks Apache on the host itself, as Host: localhost.
            DJANGO_ALLOWED_HOSTS: `${config.get("allowedHosts") ?? host},localhost`,
        },
        // <release>/data links to /srv/modwsgi/mysite/data/data, kept across releases: settings.py puts
        // db.sqlite3 there.
        dataDirs: ["data"],
        // In the new release, as www-data with the venv's python, before it goes live: a failing migration
        // leaves the running release untouched. collectstatic fills <release>/staticfiles.
        releaseCommands: [
            ["python", "manage.py", "migrate", "--noinput"],
            ["python", "manage.py", "collectstatic", "--noinput"],
        ],
        // Apache serves /static from the live release's staticfiles/ itself; Django (DEBUG off) serves none.
        staticFiles: [{ urlPath: "/static", directory: "staticfiles" }],
        // /healthz counts the notes: it must answer 200 (the database is there, with the schema the code expects),
        // else the previous release is switched back.
        healthCheck: { path: "/healthz", expectStatus: 200 },
    },
    opts,
);

export const url = pulumi.interpolate`http://${host}/`;
export const notesUrl = pulumi.interpolate`http://${host}/notes/`;
export const adminUrl = pulumi.interpolate`http://${host}/admin/`;
export const appDir = app.appDir;
export const pythonAbi = mod.pythonAbi;
