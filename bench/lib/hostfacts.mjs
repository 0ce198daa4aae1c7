// Facts read on a host without SSH (so they never add to the handshake counts): Apache's graceful reloads,
// and the served answer of an app with the daemon's pid taken out (it differs between any two deployments).
import { inHost } from "./hosts.mjs";
import { run } from "./proc.mjs";

/** Graceful restarts Apache has logged so far (AH00493: "SIGUSR1 received. Doing graceful restart"). */
export function gracefulReloads(h) {
    const r = inHost(h, ["grep", "-c", "AH00493", "/var/log/apache2/error.log"], { allowFail: true });
    return Number(r.out.trim().split("\n")[0]) || 0;
}

export const reloadsOf = (hosts) => hosts.reduce((n, h) => n + gracefulReloads(h), 0);

/** GET url (a few tries while a daemon group starts); the body with `pid N` replaced by `pid *`. */
export function answer(url) {
    let last = "";
    for (let i = 0; i < 60; i++) {
        const r = run(["curl", "-s", "-m", "10", "-w", "\n%{http_code}", url], { allowFail: true });
        const [body, code] = [r.out.trim().split("\n").slice(0, -1).join("\n"), r.out.trim().split("\n").pop()];
        last = `${code} ${body}`;
        if (code === "200") return body.replace(/pid \d+/, "pid *");
        run(["sleep", "0.5"]);
    }
    throw new Error(`${url} did not answer 200: ${last}`);
}
