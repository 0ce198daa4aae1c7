// Facts about Apache's configuration on a host: the host probe, which file defines a daemon group, the
// group's Unix user and group, and the ports Apache listens on.
import { wsgiDirective, words } from "../apache";
import { APACHE_DIR, CONF_ENABLED, PORTS_CONF, daemonFile } from "../layout";
import { sh } from "../remote/sh";
import { scriptFact, type Fact } from "./fact";

export interface HostFacts {
    osId: string;
    osVersion: string;
    osName: string;
    systemd: boolean;
    apacheVersion: string;
    apacheMpm: string;
    apacheLayout: string;
    apxs: string;
    python: string;
    pythons: string[];
}

export function parseProbe(f: Record<string, string>): HostFacts {
    return {
        osId: f.os_id,
        osVersion: f.os_version,
        osName: f.os_name,
        systemd: f.systemd === "true",
        apacheVersion: f.apache_version,
        apacheMpm: f.apache_mpm,
        apacheLayout: f.apache_layout,
        apxs: f.apxs,
        python: f.python3,
        pythons: (f.pythons ?? "").trim().split(/\s+/).filter(Boolean),
    };
}

/** OS, Apache, systemd and Python facts (native/probe.sh); a failed probe throws. */
export const hostFacts: Fact<HostFacts> = scriptFact("probe", [], (f, r) => {
    if (r.code !== 0) throw new Error(`probing the host failed (exit ${r.code}): ${r.stderr.trim()}`);
    return parseProbe(f);
});

/** The first file under /etc/apache2 with a WSGIDaemonProcess line for `group` (by a DaemonProcess or by hand). */
export const daemonGroupFile = (group: string): Fact<string | undefined> => {
    const pattern = `^[[:space:]]*WSGIDaemonProcess[[:space:]]+"?${group.replace(/\./g, "\\.")}"?([[:space:]]|$)`;
    return {
        name: "daemon groups",
        command: sh`grep -rlsE ${pattern} ${APACHE_DIR + "/"} | head -n 1`,
        parse: (r) => r.stdout.trim() || undefined,
    };
};

/** The user a daemon group's processes run as (a name or `#uid`), from its `user=`; Apache's (www-data) by default. */
export function parseDaemonUser(text: string | undefined): string {
    return (text && wsgiDirective(text, "WSGIDaemonProcess", 1)?.options.get("user")) || "www-data";
}

/** The user of the DaemonProcess `group` (its managed file). */
export const daemonUser = (group: string): Fact<string> => ({
    name: "daemon user",
    command: sh`cat ${daemonFile(group)}`,
    parse: (r) => parseDaemonUser(r.code === 0 ? r.stdout : undefined),
});

/** A file's owner as `stat -c '%u %U'` prints it ("33 www-data"); undefined for a missing file or other output. */
export function parseOwner(text: string): { uid: number; name: string } | undefined {
    const m = /^(\d+) (\S+)$/.exec(text.trim());
    return m ? { uid: Number(m[1]), name: m[2] } : undefined;
}

/** Whether `owner` is `user` (a user name, or mod_wsgi's `#uid`). */
export function ownedBy(owner: { uid: number; name: string } | undefined, user: string): boolean {
    if (!owner) return false;
    return user.startsWith("#") ? /^#\d+$/.test(user) && Number(user.slice(1)) === owner.uid : owner.name === user;
}

/** A daemon group's python-home (its venv), or "" when the group runs the module's own Python. */
export function parseDaemonHome(text: string | undefined): string {
    return (text && wsgiDirective(text, "WSGIDaemonProcess", 1)?.options.get("python-home")) || "";
}

/** The python-home of the DaemonProcess `group` (its managed file). */
export const daemonHome = (group: string): Fact<string> => ({
    name: "daemon python-home",
    command: sh`cat ${daemonFile(group)}`,
    parse: (r) => parseDaemonHome(r.code === 0 ? r.stdout : undefined),
});

/** A file's text, or undefined when it is missing or unreadable. */
export const fileText = (path: string): Fact<string | undefined> => ({
    name: "file",
    command: sh`cat ${path}`,
    parse: (r) => (r.code === 0 ? r.stdout : undefined),
});

/**
 * The ports in Listen directives (`Listen 8080`, `Listen 0.0.0.0:8080`, `Listen [::]:8081 http`), from config
 * text. Commented lines are skipped; lines inside <IfModule> count, as Debian's `Listen 443` sits in
 * <IfModule ssl_module> and a TLS vhost enables mod_ssl.
 */
export function parseListenPorts(text: string): number[] {
    const ports = new Set<number>();
    for (const line of text.split("\n")) {
        const [d, addr] = words(line.trim());
        if (d?.toLowerCase() !== "listen" || addr === undefined) continue;
        const m = /^(?:\[[0-9A-Fa-f:.]+\]:|[^:[\]]+:)?(\d{1,5})$/.exec(addr);
        if (m) ports.add(Number(m[1]));
    }
    return [...ports].sort((a, b) => a - b);
}

/** The ports Apache listens on (ports.conf and conf-enabled/). */
export const listenPorts: Fact<number[]> = {
    name: "listened ports",
    // The quoted directory and the unquoted glob after it make one word the shell expands.
    command: sh`grep -hsi '^[[:space:]]*listen[[:space:]]' ${PORTS_CONF} ${CONF_ENABLED}/*.conf`,
    parse: (r) => {
        // grep: 1 is no match; 2 is a missing file (e.g. an empty conf-enabled), fatal only when nothing was read.
        if (r.code > 2 || (r.code === 2 && !r.stdout))
            throw new Error(`reading Listen directives failed: ${r.stderr.trim()}`);
        return parseListenPorts(r.stdout);
    },
};
