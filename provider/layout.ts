// Every path and file-name scheme this provider uses on a host, in one place. Resources import paths from
// here (never from each other); native scripts receive them as arguments.
//
// Apache reads modwsgi.d/*.conf in name order, so the prefixes order the server-scope config:
//   00-server.conf        ApacheHost's server-wide WSGI directives (before anything that uses them)
//   10-daemon-<name>.conf DaemonProcess groups (defined before any mount names them)
//   15-vhost-<name>.conf  where earlier releases wrote VirtualHosts (moved to sites-available on update)
//   18-interp-<name>.conf Application <WSGIInterpreterOptions> blocks (server scope only)
//   2N-app-<name>.conf    Application mounts at server scope, deeper mount points first (N = 9 - depth)

export const APACHE_DIR = "/etc/apache2";
export const MODS_AVAILABLE = `${APACHE_DIR}/mods-available`;
export const MODS_ENABLED = `${APACHE_DIR}/mods-enabled`;
export const CONF_AVAILABLE = `${APACHE_DIR}/conf-available`;
export const CONF_ENABLED = `${APACHE_DIR}/conf-enabled`;
export const PORTS_CONF = `${APACHE_DIR}/ports.conf`;
/** Apache's main config file, and the enabled sites it includes (for the scan for a second mod_wsgi). */
export const APACHE_CONF = `${APACHE_DIR}/apache2.conf`;
export const SITES_ENABLED = `${APACHE_DIR}/sites-enabled`;

/** The provider's server-scope include directory, read by the module's own conf file. */
export const MODWSGI_D = "/etc/apache2/modwsgi.d";

// WsgiModule: the LoadModule file (its first lines record version and ABI) and the include file.
export const MODULE_LOAD = `${MODS_AVAILABLE}/modwsgi.load`;
export const MODULE_CONF = `${MODS_AVAILABLE}/modwsgi.conf`;
export const MODULE_LOAD_LINK = `${MODS_ENABLED}/modwsgi.load`;
export const MODULE_CONF_LINK = `${MODS_ENABLED}/modwsgi.conf`;
/** Debian's own links for its package: Apache loads the first wsgi_module only, so they must be off. */
export const DEBIAN_MODULE_LINKS = [`${MODS_ENABLED}/wsgi.load`, `${MODS_ENABLED}/wsgi.conf`];
/** Where mod_wsgi's venvs are built, one per version, Python and archive. */
export const MODULE_ROOT = "/opt/modwsgi/module";
/**
 * The .so's SHA-256 as build-module recorded it right after the build (sha256sum format), inside the build's venv:
 * a .so replaced later is told from the one built there, across refreshes and imports.
 */
export const moduleBuiltRecord = (venv: string) => `${venv}/modwsgi-built.sha256`;
/** Uploaded or downloaded source archives and build wheels. */
export const MODULE_SRC = `${MODULE_ROOT}/src`;
/** A source archive in MODULE_SRC, named by its SHA-256 (added with the WsgiModule split: was inline there). */
export const moduleArchive = (sha256: string) => `${MODULE_SRC}/mod_wsgi-${sha256}.tar.gz`;
/** Uploaded build wheels as one tar, named by the SHA-256 of the files (buildWheelsSha256). */
export const moduleBuildWheels = (sha256: string) => `${MODULE_SRC}/wheels-${sha256}.tar`;

/** ApacheHost: inside modwsgi.d, read after the module's own defaults, so it overrides them. */
export const SERVER_FILE = `${MODWSGI_D}/00-server.conf`;
export const LISTEN_FILE = `${CONF_AVAILABLE}/modwsgi-listen.conf`;
export const LISTEN_LINK = `${CONF_ENABLED}/modwsgi-listen.conf`;
export const mpmLink = (mpm: string, ext: string) => `${MODS_ENABLED}/mpm_${mpm}.${ext}`;
export const mpmFile = (mpm: string, ext: string) => `${MODS_AVAILABLE}/mpm_${mpm}.${ext}`;

/** DaemonProcess: one file per group. */
export const daemonFile = (name: string) => `${MODWSGI_D}/10-daemon-${name}.conf`;

/** PythonEnv: one venv per environment. */
export const ENV_ROOT = "/opt/modwsgi/envs";
export const envPath = (name: string) => `${ENV_ROOT}/${name}`;
/** A venv's inputs as the last sync applied them (PythonEnv: what an import reads). */
export const envInputsFile = (venv: string) => `${venv}/modwsgi-inputs.json`;

// VirtualHost: in sites-available/-enabled, read after Debian's 000-default, so the host's default site stays
// the default for requests naming no known host.
export const vhostFile = (name: string) => `${APACHE_DIR}/sites-available/modwsgi-${name}.conf`;
export const vhostLink = (name: string) => `${APACHE_DIR}/sites-enabled/modwsgi-${name}.conf`;
/** Where earlier releases of this provider wrote the vhost: moved on the next update. */
export const legacyVhostFile = (name: string) => `${MODWSGI_D}/15-vhost-${name}.conf`;
/**
 * The mounts attached to a vhost, read by its IncludeOptional only: outside modwsgi.d, whose `*.conf` the module
 * includes (a vhost named `x.conf` would match, and Apache reads a matched directory recursively), and outside
 * every other directory Apache includes.
 */
export const VHOST_INCLUDE_ROOT = `${APACHE_DIR}/modwsgi-vhosts`;
export const vhostIncludeDir = (name: string) => `${VHOST_INCLUDE_ROOT}/${name}`;
/** Where earlier releases kept a vhost's mounts: moved to vhostIncludeDir on the vhost's next update. */
export const legacyVhostIncludeDir = (name: string) => `${MODWSGI_D}/vhost-${name}`;
export const TLS_DIR = "/etc/modwsgi/tls";
export const certFile = (name: string) => `${TLS_DIR}/${name}.crt`;
export const keyFile = (name: string) => `${TLS_DIR}/${name}.key`;
/** mod_ssl and its session cache, enabled for TLS vhosts. */
export const SSL_MODULE_FILES = ["ssl.load", "ssl.conf", "socache_shmcb.load"];
/** A vhost's default ErrorLog and CustomLog (added for VirtualHost: Debian's Apache log directory). */
export const APACHE_LOG_DIR = "/var/log/apache2";
export const vhostErrorLog = (name: string) => `${APACHE_LOG_DIR}/${name}-error.log`;
export const vhostAccessLog = (name: string) => `${APACHE_LOG_DIR}/${name}-access.log`;

// Application: releases behind a `current` link, the generated loader and the environment file.
export const APP_ROOT = "/srv/modwsgi";
export const appDir = (name: string) => `${APP_ROOT}/${name}`;
export const appLoader = (name: string) => `${appDir(name)}/wsgi.py`;
export const appEnvFile = (name: string) => `${appDir(name)}/env.json`;
export const appCurrent = (name: string) => `${appDir(name)}/current`;
/** The app's settings that live only in the program (release commands, health check...): what an import reads. */
export const appSettingsFile = (name: string) => `${appDir(name)}/settings.json`;

/**
 * The mount's file. Apache takes the first WSGIScriptAlias that matches, and reads the files in name order:
 * deeper mount points get lower numbers (`/` is 29, `/shop` 28, `/shop/api` 27), so `/` never hides `/api`.
 */
export function appFile(name: string, mountPoint: string, vhost?: string): string {
    const depth = mountPoint.split("/").filter(Boolean).length;
    const file = `2${9 - Math.min(depth, 9)}-app-${name}.conf`;
    return vhost ? `${vhostIncludeDir(vhost)}/${file}` : `${MODWSGI_D}/${file}`;
}

/** A mount file's name (appFile's): only such files are moved out of a legacy include dir. */
export const APP_FILE_NAME = /^2[0-9]-app-[A-Za-z0-9][A-Za-z0-9_.-]*\.conf$/;

/** Server scope even when the mount is in a vhost: mod_wsgi reads <WSGIInterpreterOptions> nowhere else. */
export const interpreterFile = (name: string) => `${MODWSGI_D}/18-interp-${name}.conf`;

/** Letters, digits and `_ . @ + -` in each component: what every path above is made of. */
const COMPONENT = /^[A-Za-z0-9_.@+-]+$/;

/**
 * Why `p` is not a path this provider may hand to a host script (a manifest line, a removal), or undefined:
 * absolute, no empty, `.` or `..` component, and only characters that need no quoting anywhere.
 */
export function hostPathError(p: string): string | undefined {
    if (typeof p !== "string" || !p.startsWith("/")) return `${JSON.stringify(p)} is not an absolute path`;
    const parts = p.slice(1).split("/");
    if (parts.some((c) => c === "" || c === "." || c === ".."))
        return `${JSON.stringify(p)} has an empty, . or .. component (a trailing or double slash, or a way up)`;
    if (!parts.every((c) => COMPONENT.test(c)))
        return `${JSON.stringify(p)} has characters other than letters, digits and _ . @ + -`;
    return undefined;
}

/** Staged uploads (files, archives, secrets) before a script moves them into place: root-only, per operation. */
export const STAGE_ROOT = "/var/lib/modwsgi/stage";

/** One writer per host: every native operation that changes the host holds this lock for its whole run. */
export const HOST_LOCK = "/run/lock/modwsgi.lock";
/**
 * Where a running operation keeps its script and output (runtime state: tmpfs, gone at reboot, never on the disk a
 * failed preflight must leave unchanged). Each operation removes its own directory.
 */
export const OPS_DIR = "/run/modwsgi/ops";
/** Which stack owns each claim on the host (native/own.sh): a file per claim, named by its hash. */
export const OWNERS_DIR = "/var/lib/modwsgi/owners";
/** A line when an operation takes HOST_LOCK and one when it lets go: UTC time, operation, exit code, holder. */
export const APPLY_LOG = "/var/log/modwsgi/apply.log";

// Telemetry (mod_wsgi 6's WSGITelemetryService and the mod_wsgi-telemetry ingester with its UI).
/** Server scope, after 00-server.conf: WSGITelemetryService, WSGITelemetryOptions, WSGISlowRequests. */
export const TELEMETRY_CONF = `${MODWSGI_D}/05-telemetry.conf`;
/** The ingester's venv, its supervisor script and its settings (what read compares the running service with). */
export const TELEMETRY_ROOT = "/opt/modwsgi/telemetry";
export const TELEMETRY_VENV = `${TELEMETRY_ROOT}/venv`;
export const TELEMETRY_SUPERVISOR = `${TELEMETRY_ROOT}/supervise.sh`;
/** `key=value` lines: the service's settings as last applied; status.sh reads the UI's port from it. */
export const TELEMETRY_SETTINGS = `${TELEMETRY_ROOT}/settings.env`;
/** The supervisor loop's pid (hosts without systemd) and the service's log. */
export const TELEMETRY_PIDFILE = "/run/modwsgi-telemetry.pid";
export const TELEMETRY_LOG = "/var/log/modwsgi/telemetry.log";
/** The systemd unit (hosts where PID 1 is systemd). */
export const TELEMETRY_UNIT = "/etc/systemd/system/modwsgi-telemetry.service";
/** The socket's directory (group-shared with the daemon users) and the default socket in it. */
export const TELEMETRY_RUN_DIR = "/run/modwsgi-telemetry";
export const TELEMETRY_SOCKET = `${TELEMETRY_RUN_DIR}/telemetry.sock`;
/** The system user the ingester runs as, and the group every mod_wsgi process sends through. */
export const TELEMETRY_USER = "modwsgi-telemetry";
