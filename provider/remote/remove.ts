// The one way this provider removes a directory tree on a host: every path is checked to lie strictly inside
// one of the provider's own roots (layout.ts) before `rm -rf` runs, so no path read from the host, a stale
// state or a bad name can ever reach /usr/local, /opt or /.
import { APP_ROOT, ENV_ROOT, MODULE_ROOT, MODWSGI_D, STAGE_ROOT, VHOST_INCLUDE_ROOT } from "../layout";
import type { RemoteHost } from "./host";
import { sh } from "./sh";

/** Directories whose entries the provider owns (never the directory itself). */
export const OWNED_ROOTS = [MODULE_ROOT, ENV_ROOT, APP_ROOT, STAGE_ROOT, VHOST_INCLUDE_ROOT];
/** In modwsgi.d only the vhost include dirs of earlier releases (`vhost-<name>`), never its files or itself. */
const LEGACY_VHOST_DIR = `${MODWSGI_D}/vhost-`;

/** Letters, digits and `_ . @ + -` in each component: what layout.ts's names and venvFor's paths are made of. */
const COMPONENT = /^[A-Za-z0-9_.@+-]+$/;

/** Why `p` must not be removed, or undefined when it is strictly inside one of OWNED_ROOTS. */
export function ownedPathError(p: string): string | undefined {
    if (typeof p !== "string" || !p.startsWith("/")) return `${JSON.stringify(p)} is not an absolute path`;
    const parts = p.slice(1).split("/");
    if (parts.some((c) => c === "" || c === "." || c === ".."))
        return `${JSON.stringify(p)} has an empty, . or .. component (a trailing or double slash, or a way up)`;
    if (!parts.every((c) => COMPONENT.test(c)))
        return `${JSON.stringify(p)} has characters other than letters, digits and _ . @ + -`;
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
