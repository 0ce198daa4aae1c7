// Config changes on a host as one transaction: stage the files over the pooled SSH connection, then
// native/apply-config.sh swaps them in, configtests the whole tree, reloads, or restores everything.
// Changes several resources ask for at the same time share one transaction (one reload).
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { removeOwned } from "./remove";
import { runScript } from "./scripts";
import { RemoteError, type RemoteHost } from "./host";
import { sh } from "./sh";
import { STAGE_ROOT, hostPathError } from "../layout";

export type Change =
    | { op: "put"; target: string; content: string; mode?: number }
    | { op: "del"; target: string }
    | { op: "link"; target: string; link: string };

export type Reload = "graceful" | "restart" | "none";

/** Mode of a put without one: config and certificates; keys and secrets say 0o600. */
export const CONFIG_MODE = 0o644;

/**
 * Owner, group and mode native/apply-config.sh gives a file it puts (`chown 0:0`, `chmod MODE`), spelled as
 * readFiles's `meta[].mode` reports them: the desired state of every file applyConfig writes.
 */
export const putMode = (mode: number = CONFIG_MODE): string => `root:root ${mode.toString(8)}`;

/** The desired owner/mode of each file a change set puts, by path: what a resource reports as `fileModes`. */
export function putModes(changes: Change[]): Record<string, string> {
    return Object.fromEntries(changes.flatMap((c) => (c.op === "put" ? [[c.target, putMode(c.mode)]] : [])));
}

/**
 * Whether a live `fileModes` (path -> readFiles's mode) differs from the desired one on a file both name. A file
 * missing on the host is its content's drift (a hash), not this; a state without `fileModes` (written before
 * they were recorded, and not refreshed) is not drift either.
 */
export function modesDiffer(live: Record<string, string> | undefined, want: Record<string, string>): boolean {
    if (!live) return false;
    return Object.entries(want).some(([p, m]) => live[p] !== undefined && live[p] !== m);
}

/** A manifest path: the script reads its lines as space-separated words, so a path must be one plain word. */
function checkPath(p: string): string {
    const why = hostPathError(p);
    if (why) throw new Error(`unsafe remote path: ${why}`);
    return p;
}

const locks = new Map<RemoteHost, Promise<unknown>>();

/** Serialises work per host inside this provider process (the script also takes a host-side lock). */
export function withHostLock<T>(host: RemoteHost, fn: () => Promise<T>): Promise<T> {
    const prev = locks.get(host) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    locks.set(
        host,
        next.catch(() => undefined),
    );
    return next;
}

/** Runs one transaction: stage the files, then apply-config.sh swaps, configtests, reloads or restores. */
async function transaction(host: RemoteHost, changes: Change[], reload: Reload): Promise<void> {
    const stage = `${STAGE_ROOT}/${Date.now()}-${randomBytes(4).toString("hex")}`;
    const manifest = changes.map((c, i) =>
        c.op === "put"
            ? `put f${i} ${checkPath(c.target)} ${(c.mode ?? CONFIG_MODE).toString(8)}`
            : c.op === "del"
              ? `del ${checkPath(c.target)}`
              : `link ${checkPath(c.target)} ${checkPath(c.link)}`,
    );
    // Root-only, the stage root too when this makes it: the files may be TLS keys.
    await host.exec(sh`umask 077 && mkdir -p -m 700 ${stage}`);
    try {
        for (const [i, c] of changes.entries())
            if (c.op === "put") await host.writeFile(`${stage}/f${i}`, c.content, 0o600);
        await host.writeFile(`${stage}/manifest`, manifest.join("\n") + "\n", 0o600);
    } catch (e) {
        // Staging cut short (a lost connection, a full disk): nothing will run these files, which may be TLS keys,
        // and the sweep would keep them an hour. Over a new connection when the old one died.
        await removeOwned(host, [stage], "config stage").catch(() => undefined);
        throw e;
    }
    // The script removes the stage in every case, and older stages other operations left behind.
    await runScript(host, "apply-config", [stage, reload, STAGE_ROOT]);
}

interface Request {
    changes: Change[];
    reload: Reload;
    done: (e?: unknown) => void;
}

const pending = new Map<RemoteHost, Request[]>();
const STRONGER: Reload[] = ["none", "graceful", "restart"];
/** How long a first request waits for others: the engine starts independent steps together. */
export const GATHER_MS = 150;
/** The longest a request waits for operations still running on its host (an upload, a slow read under load). */
export const GATHER_MAX_MS = 3000;

/** A resource operation running on a host, and whether it has asked for a config transaction yet. */
interface Operation {
    host: RemoteHost;
    asked: boolean;
}
const running = new Set<Operation>();
const current = new AsyncLocalStorage<Operation>();

/**
 * Runs a resource operation on `host`, known to the transactions there: one waits (up to GATHER_MAX_MS) while an
 * operation running on its host has not asked for its first change yet, since the engine's parallel steps reach
 * the host at different moments when it is loaded, and a fixed window alone would then reload once per resource.
 * An operation that asked once (and goes on deploying, say) or has ended holds nobody back.
 */
export async function hostOperation<T>(host: RemoteHost, work: () => Promise<T>): Promise<T> {
    const op: Operation = { host, asked: false };
    running.add(op);
    try {
        return await current.run(op, work);
    } finally {
        running.delete(op);
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many operations running on `host` have not asked for a config transaction yet. */
export const unasked = (host: RemoteHost): number => [...running].filter((op) => op.host === host && !op.asked).length;

/** Waits out the window, then for the running operations on `host` that have not asked yet (bounded). */
async function gather(host: RemoteHost): Promise<void> {
    const started = Date.now();
    await sleep(GATHER_MS);
    while (unasked(host) > 0 && Date.now() - started < GATHER_MAX_MS) await sleep(25);
}

/**
 * Applies config changes as one transaction with the others requested meanwhile on the same host, so a
 * deployment step that touches several resources reloads Apache once (the strongest reload asked for).
 * When Apache rejects a combined set, each request is retried alone, so only the faulty one fails and
 * the host stays on its last good config.
 */
export function applyConfig(host: RemoteHost, changes: Change[], reload: Reload): Promise<void> {
    const op = current.getStore();
    if (op) op.asked = true;
    return new Promise((resolve, reject) => {
        const queue = pending.get(host) ?? [];
        queue.push({ changes, reload, done: (e) => (e === undefined ? resolve() : reject(e)) });
        if (queue.length > 1) return;
        pending.set(host, queue);
        void gather(host).then(() => withHostLock(host, () => flush(host)));
    });
}

async function flush(host: RemoteHost): Promise<void> {
    const batch = pending.get(host) ?? [];
    pending.delete(host);
    const reload = batch.reduce<Reload>(
        (r, q) => (STRONGER.indexOf(q.reload) > STRONGER.indexOf(r) ? q.reload : r),
        "none",
    );
    try {
        await transaction(
            host,
            batch.flatMap((q) => q.changes),
            reload,
        );
        batch.forEach((q) => q.done());
    } catch (e) {
        if (batch.length === 1 || !(e instanceof RemoteError) || e.result.code !== 3)
            return batch.forEach((q) => q.done(e));
        for (const q of batch) {
            try {
                await transaction(host, q.changes, q.reload);
                q.done();
            } catch (e2) {
                q.done(e2);
            }
        }
    }
}
