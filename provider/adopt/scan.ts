// Reads a host's enabled Apache config in one SSH command: every enabled module, conf and site file that names
// mod_wsgi, except the files this provider owns (layout.ts). Paths are the enabled names (sites-enabled/x.conf),
// so a site's a2dissite name is its file name.
import { randomBytes } from "node:crypto";
import type { RemoteHost } from "../remote/host";
import { sh } from "../remote/sh";
import {
    CONF_ENABLED,
    LISTEN_LINK,
    MODS_ENABLED,
    MODULE_CONF_LINK,
    MODULE_LOAD_LINK,
    SITES_ENABLED,
    vhostLink,
} from "../layout";
import type { ConfigFile } from "./parse";

/** Enabled entries this provider writes: never adopted (modwsgi.d and modwsgi-vhosts are only included by them). */
const OURS = [MODULE_LOAD_LINK, MODULE_CONF_LINK, LISTEN_LINK];
const OUR_SITES = vhostLink("");

/** The enabled files that name mod_wsgi (a WSGI directive or LoadModule wsgi_module), with their text. */
export async function readEnabledConfig(host: RemoteHost): Promise<ConfigFile[]> {
    const mark = `@@modwsgi-adopt-${randomBytes(8).toString("hex")}`;
    // What Debian's apache2.conf includes, in its order: other names there (x.conf.bak, x.dpkg-old, a README)
    // are never read by Apache, so they are not adopted either.
    const r = await host.exec(
        sh`for f in ${MODS_ENABLED}/*.load ${MODS_ENABLED}/*.conf ${CONF_ENABLED}/*.conf ${SITES_ENABLED}/*.conf; do ` +
            // OUR_SITES ends in `.conf`: the glob is its prefix `modwsgi-` followed by anything.
            sh`case "$f" in ${OURS[0]} | ${OURS[1]} | ${OURS[2]}) continue ;; ` +
            sh`${OUR_SITES.replace(/\.conf$/, "")}*) continue ;; esac; ` +
            sh`[ -f "$f" ] && [ -r "$f" ] || continue; ` +
            sh`grep -qiE '^[[:space:]]*(WSGI[A-Za-z]+|LoadModule[[:space:]]+wsgi_module)' "$f" || continue; ` +
            sh`printf '\n%s %s\n' ${mark} "$f"; cat "$f"; done`,
        { step: "reading the enabled Apache config", timeoutMs: 60_000 },
    );
    const parts = r.stdout.split(new RegExp(`(?:^|\n)${mark} ([^\n]*)\n`));
    const files: ConfigFile[] = [];
    for (let i = 1; i + 1 < parts.length; i += 2) files.push({ path: parts[i], text: parts[i + 1] });
    return files;
}
