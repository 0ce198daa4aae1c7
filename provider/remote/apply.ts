// Config changes on a host as one transaction: stage files over SFTP, then native/apply-config.sh
// swaps them in, configtests the whole tree, reloads, or restores everything.
import { randomBytes } from "node:crypto";
import { runScript } from "./scripts";
import { sh } from "./sh";
import type { RemoteHost } from "./ssh";

export type Change =
    | { op: "put"; target: string; content: string; mode?: number }
    | { op: "del"; target: string }
    | { op: "link"; target: string; link: string };

export type Reload = "graceful" | "restart" | "none";

const SAFE_PATH = /^\/[A-Za-z0-9_.\/@+-]+$/;

function checkPath(p: string): string {
    if (!SAFE_PATH.test(p) || p.includes("/../")) throw new Error(`unsafe remote path ${JSON.stringify(p)}`);
    return p;
}

const locks = new Map<RemoteHost, Promise<unknown>>();

/** Serialises work per host inside this provider process (the script also takes a host-side lock). */
export function withHostLock<T>(host: RemoteHost, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(host) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    locks.set(host, next.catch(() => undefined));
    return next;
}

export async function applyConfig(host: RemoteHost, changes: Change[], reload: Reload): Promise<void> {
    const stage = `/var/lib/modwsgi/stage/${Date.now()}-${randomBytes(4).toString("hex")}`;
    await host.exec(sh`mkdir -p -m 700 ${stage}`);
    const manifest: string[] = [];
    for (const [i, c] of changes.entries()) {
        if (c.op === "put") {
            await host.writeFile(`${stage}/f${i}`, c.content, 0o600);
            manifest.push(`put f${i} ${checkPath(c.target)} ${(c.mode ?? 0o644).toString(8)}`);
        } else if (c.op === "del") {
            manifest.push(`del ${checkPath(c.target)}`);
        } else {
            manifest.push(`link ${checkPath(c.target)} ${checkPath(c.link)}`);
        }
    }
    await host.writeFile(`${stage}/manifest`, manifest.join("\n") + "\n", 0o600);
    await runScript(host, "apply-config", [stage, reload]);
}
