// Runs native/<op>.sh on a host: lib.sh + the operation on stdin to `sh -s -- <quoted args>` (an operation
// that changes the host also gets its lock's environment); and reads several files in one round trip.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { sh } from "./sh";
import { ConnectionLost, tail, type RemoteHost } from "./host";
import { APPLY_LOG, HOST_LOCK, OPS_DIR } from "../layout";

/** native/ at the repository root, whether this runs compiled (dist/provider/remote) or from source. */
const NATIVE_DIR = ((): string => {
    for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "native", "lib.sh"))) return path.join(dir, "native");
    }
    throw new Error(`native/ not found above ${__dirname}`);
})();
const cache = new Map<string, string>();

/** lib.sh followed by the operation: the text sent on stdin. */
export function scriptSource(op: string): string {
    let text = cache.get(op);
    if (text === undefined) {
        const lib = fs.readFileSync(path.join(NATIVE_DIR, "lib.sh"), "utf8");
        text = lib + "\n" + fs.readFileSync(path.join(NATIVE_DIR, `${op}.sh`), "utf8");
        cache.set(op, text);
    }
    return text;
}

/** Parses `key=value` lines (values may contain `=`; later keys win). */
export function parseFacts(stdout: string): Record<string, string> {
    const facts: Record<string, string> = {};
    for (const line of stdout.split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) facts[line.slice(0, i)] = line.slice(i + 1);
    }
    return facts;
}

/** The command line that runs an operation (its source goes on stdin). */
export const scriptCommand = (args: string[]) => sh`sh -s -- ${args}`;

/** How long an operation waits for the host lock by default: a pip install or a module build holds it minutes. */
export const LOCK_WAIT_S = 600;
/** How long an operation may run once it holds the lock, unless its caller says (the SSH layer's default). */
const RUN_TIMEOUT_MS = 15 * 60_000;
const PROCESS_NAME = "pulumi-resource-modwsgi";
const UNSAFE = /[^A-Za-z0-9._@:/ -]/g;
const clean = (s: string, max: number) => s.replace(UNSAFE, "_").slice(0, max);

/**
 * Who holds the host lock, for the messages of those waiting for it and for the host's apply log: the stack and
 * project of a resource URN (`urn:pulumi:STACK::PROJECT::TYPE::NAME`), this process and its machine; the
 * process alone when `urn` is not a resource URN. Only [A-Za-z0-9._@:/ -], at most 240 characters.
 */
export function holderFromUrn(urn: string, pid: number, hostname: string): string {
    const proc = `${PROCESS_NAME} pid ${pid} on ${clean(hostname, 48) || "unknown"}`;
    const parts = urn.startsWith("urn:pulumi:") ? urn.slice("urn:pulumi:".length).split("::") : [];
    const [stack, project] = parts.map((p) => clean(p, 48));
    return parts.length >= 4 && stack && project ? `stack ${stack} of project ${project} by ${proc}` : proc;
}

/** The holder this process names on the host (provider/server.ts sets it from the URNs it serves). */
let holder = holderFromUrn("", process.pid, os.hostname());
export function setHolder(h: string): void {
    holder = clean(h, 240);
}

/** MODWSGI_LOCK_WAIT in this process's environment (seconds), else LOCK_WAIT_S. */
function lockWaitS(): number {
    const v = process.env.MODWSGI_LOCK_WAIT;
    if (v === undefined || v === "") return LOCK_WAIT_S;
    // Below an hour: apply-config sweeps stage directories older than that, and a waiting operation's stage must stay.
    if (!/^[0-9]{1,4}$/.test(v) || Number(v) > 3000)
        throw new Error(`MODWSGI_LOCK_WAIT: not a whole number of seconds up to 3000: ${JSON.stringify(v)}`);
    return Number(v);
}

/**
 * Host side of runScript: the operation (on stdin) is saved in a root-only directory and run in a session of
 * its own, its output going to files, bounded by `timeout` on the host. The SSH channel's shell only waits for
 * it and then prints what it printed and exits with its code (when that shell is gone, the operation removes
 * its directory itself). A lost channel (a dropped link, Cancel, a timeout
 * here) ends the waiting shell, never the operation: it finishes or rolls back on the host, holding the host
 * lock until then, so the next run finds its result. Arguments: DIR LIMIT_S OP_ARGS...
 */
const DETACHED = `d=$1 limit=$2
shift 2
# A closed channel must not stop this shell before it removed the operation's directory.
trap '' PIPE HUP
umask 077
mkdir -p "\${d%/*}" && mkdir "$d" && cat >"$d/op.sh" || {
    rm -rf "$d"
    s=\${d%/*}
    df -Pk "$s" | awk -v d="$s" 'NR == 2 {
        printf "the filesystem of %s (mounted on %s) has %d KiB free\\n", d, $6, $4 }' >&2
    exit 1
}
setsid -w sh -c 'd=$1 limit=$2 waiter=$3; shift 3
timeout -s TERM "$limit" sh "$d/op.sh" "$@" </dev/null >"$d/out" 2>"$d/err"
echo $? >"$d/rc.new" && mv "$d/rc.new" "$d/rc"
kill -0 "$waiter" 2>/dev/null || rm -rf "$d"' sh "$d" "$limit" "$$" "$@" </dev/null >/dev/null 2>&1 &
wait $!
cat "$d/out"
cat "$d/err" >&2
rc=$(cat "$d/rc" 2>/dev/null || echo 255)
rm -rf "$d"
exit "$rc"`;

/**
 * Runs an operation that changes the host; a non-zero exit throws a RemoteError named after it. Returns its
 * `key=value` facts. It runs detached from the SSH channel (DETACHED above) and holds the host lock for its
 * whole run (native/lib.sh `with_lock`): its command line names the lock, the apply log, the wait and this
 * process as the holder. The wait adds to the timeout. A connection lost meanwhile throws ConnectionLost, but only
 * once the operation has ended on the host (or the host stayed unreachable): until then its caller could remove a
 * stage it still reads, or the next step read the host half-way through it.
 */
export async function runScript(
    host: RemoteHost,
    op: string,
    args: string[],
    opts: { timeoutMs?: number } = {},
): Promise<Record<string, string>> {
    const wait = lockWaitS();
    const limitS = Math.ceil((opts.timeoutMs ?? RUN_TIMEOUT_MS) / 1000) + wait;
    const dir = `${OPS_DIR}/${op}-${randomBytes(6).toString("hex")}`;
    const env = sh`MODWSGI_LOCK=${HOST_LOCK} MODWSGI_APPLY_LOG=${APPLY_LOG} MODWSGI_LOCK_WAIT=${wait} `;
    const timeoutMs = limitS * 1000 + 120_000;
    let result;
    try {
        result = await host.exec(env + sh`MODWSGI_HOLDER=${holder} sh -c ${DETACHED} sh ${dir} ${limitS} ${args}`, {
            stdin: scriptSource(op),
            // The host's own limit ends it first, and a stopped config transaction still rolls back and restarts
            // Apache (up to about a minute): this one only covers a host that stopped answering.
            timeoutMs,
            step: op,
        });
    } catch (e) {
        if (!(e instanceof ConnectionLost)) throw e;
        // The operation goes on (or rolls back) on the host. Its caller must not act as if it had stopped (remove
        // its stage, retry, read the host half-way through it): wait until it has ended there, then fail.
        const ended = await operationEnded(host, dir, timeoutMs);
        throw new ConnectionLost(
            `${op} on ${host.name}: the SSH connection was lost while it ran; it went on on the host, ` +
                (ended
                    ? "and has ended there (the next run reads what it did)"
                    : `holding the host lock until it ends (${dir} is there until then; the next run waits for it)`),
        );
    }
    return parseFacts(result.stdout);
}

/** How often, and how long at most without an answer, operationEnded asks the host. */
export const ENDED_POLL = { intervalMs: 1000, unreachableMs: 90_000 };

/**
 * Waits until the operation's directory is gone from the host (its waiting shell, or the operation itself when
 * the waiter is gone, removes it once the operation has ended), over a new connection. False when the host did
 * not answer for ENDED_POLL.unreachableMs, or the operation outlived `limitMs`.
 */
export async function operationEnded(host: RemoteHost, dir: string, limitMs: number): Promise<boolean> {
    const end = Date.now() + limitMs;
    let answered = Date.now();
    while (Date.now() < end && Date.now() - answered < ENDED_POLL.unreachableMs) {
        const r = await host
            .exec(sh`test -d ${dir}`, { nothrow: true, timeoutMs: 30_000, step: "test" })
            .catch(() => undefined);
        if (r !== undefined) {
            answered = Date.now();
            if (r.code === 1) return true;
        }
        await new Promise((res) => setTimeout(res, ENDED_POLL.intervalMs));
    }
    return false;
}

/** What readFiles reports of each path besides its bytes. */
export interface FileMeta {
    /** Owner, group and mode of the file (through a link) as `stat -c '%U:%G %a'` prints them: `root:root 644`. */
    mode?: string;
    /** Where the path points, as an absolute path, when it is a symbolic link (a relative target is resolved). */
    link?: string;
}

/**
 * Reads several files in one round trip (plus, optionally, one command's output, e.g. a tree hash).
 * A file that is missing or unreadable gives undefined. Parts are split on a random marker, so no file
 * content can be mistaken for a boundary. `meta` has each path's owner, group and mode, and its link target when
 * it is a symbolic link: drift of what apply-config.sh sets (root:root, the put's mode) and of enabling links.
 */
export async function readFiles(
    host: RemoteHost,
    paths: string[],
    extra?: string,
): Promise<{ files: (string | undefined)[]; extra: string; meta: FileMeta[] }> {
    const m = `@@modwsgi-${randomBytes(8).toString("hex")}`;
    const res = await host.exec(
        // Each marker starts on a line of its own, so a body is exactly the file's bytes. Its line ends with the
        // file's stat and a link's target (readlink prints one line: our paths have no newline).
        sh`for f in ${paths}; do l=; if [ -L "$f" ]; then l=$(readlink "$f"); fi; ` +
            sh`if [ -f "$f" ] && [ -r "$f" ]; then ` +
            sh`printf '\n%s 1 %s\t%s\n' ${m} "$(stat -L -c '%U:%G %a' "$f")" "$l"; ` +
            sh`cat "$f"; else printf '\n%s 0 \t%s\n' ${m} "$l"; fi; done; printf '\n%s x\n' ${m}; ` +
            (extra === undefined ? "true" : `{ ${extra}; } 2>/dev/null || true`),
        { timeoutMs: 60_000, nothrow: true },
    );
    const parts = res.stdout.split(new RegExp(`(?:^|\n)${m} ([01x])(?: ([^\t\n]*)\t([^\n]*))?\n`));
    // parts: ["", flag, mode, link, body, ..., "x", undefined, undefined, extra].
    const files: (string | undefined)[] = [];
    const meta: FileMeta[] = [];
    for (let i = 1; i + 3 < parts.length && parts[i] !== "x"; i += 4) {
        files.push(parts[i] === "1" ? parts[i + 3] : undefined);
        meta.push(fileMeta(paths[meta.length], parts[i + 1], parts[i + 2]));
    }
    if (files.length !== paths.length)
        throw new Error(`reading ${paths.join(", ")} on ${host.name} failed: ${tail(res.stderr || res.stdout)}`);
    return { files, extra: parts[parts.length - 4] === "x" ? parts[parts.length - 1] : "", meta };
}

function fileMeta(p: string | undefined, mode: string | undefined, link: string | undefined): FileMeta {
    const m: FileMeta = {};
    if (mode) m.mode = mode;
    if (link && p) m.link = path.posix.resolve(path.posix.dirname(p), link);
    return m;
}

/** A resource's `fileModes`: the owner/mode readFiles found of each of `paths` that exists (`meta` in its order). */
export function modesOf(paths: string[], meta: FileMeta[]): Record<string, string> {
    return Object.fromEntries(paths.flatMap((p, n) => (meta[n]?.mode ? [[p, meta[n].mode]] : [])));
}
