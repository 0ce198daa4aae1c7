// The one way this provider removes a directory tree on a host: every path is checked to lie strictly inside
// one of the provider's own roots (layout.ts) before `rm -rf` runs, so no path read from the host, a stale
// state or a bad name can ever reach /usr/local, /opt or /.
import { APP_ROOT, ENV_ROOT, MODULE_ROOT, MODWSGI_D, STAGE_ROOT, VHOST_INCLUDE_ROOT, hostPathError } from "../layout";
import type { RemoteHost } from "./host";
import { sh } from "./sh";

/** Directories whose entries the provider owns (never the directory itself). */
export const OWNED_ROOTS = [MODULE_ROOT, ENV_ROOT, APP_ROOT, STAGE_ROOT, VHOST_INCLUDE_ROOT];
/** In modwsgi.d only the vhost include dirs of earlier releases (`vhost-<name>`), never its files or itself. */
const LEGACY_VHOST_DIR = `${MODWSGI_D}/vhost-`;

/** Why `p` must not be removed, or undefined when it is strictly inside one of OWNED_ROOTS. */
export function ownedPathError(p: string): string | undefined {
    const malformed = hostPathError(p);
    if (malformed) return malformed;
    if (OWNED_ROOTS.includes(p)) return `${JSON.stringify(p)} is one of the provider's roots itself`;
    const inside =
        OWNED_ROOTS.some((root) => p.startsWith(`${root}/`)) ||
        (p.startsWith(LEGACY_VHOST_DIR) && p.length > LEGACY_VHOST_DIR.length);
    if (!inside)
        return (
            `${JSON.stringify(p)} is not strictly inside the provider's directories ` +
            `(${OWNED_ROOTS.join(", ")}, ${LEGACY_VHOST_DIR}<name>)`
        );
    return undefined;
}

/**
 * Removes each path recursively (`rm -rf`), after checking every one of them: a single path outside the
 * provider's roots refuses the whole call, before the host is asked anything. `what` names the property in
 * the error (e.g. "WsgiModule.venv"). A missing path is fine; a failing removal throws.
 */
export async function removeOwned(host: RemoteHost, paths: string[], what: string): Promise<void> {
    for (const p of paths) {
        const why = ownedPathError(p);
        if (why) throw new Error(`${what}: refusing to remove ${why}`);
    }
    if (paths.length === 0) return;
    await host.exec(sh`rm -rf -- ${paths}`, { step: "rm" });
}
