// Runs native/<op>.sh on a host: lib.sh + the operation on stdin to `sh -s -- <quoted args>`.
import * as fs from "node:fs";
import * as path from "node:path";
import { sh } from "./sh";
import type { RemoteHost, ExecResult } from "./ssh";

/** native/ at the repository root, whether this runs compiled (dist/provider/remote) or from source. */
const NATIVE_DIR = ((): string => {
    for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "native", "lib.sh"))) return path.join(dir, "native");
    }
    throw new Error(`native/ not found above ${__dirname}`);
})();
const cache = new Map<string, string>();

function source(op: string): string {
    let text = cache.get(op);
    if (text === undefined) {
        const lib = fs.readFileSync(path.join(NATIVE_DIR, "lib.sh"), "utf8");
        text = lib + "\n" + fs.readFileSync(path.join(NATIVE_DIR, `${op}.sh`), "utf8");
        cache.set(op, text);
    }
    return text;
}

const EXIT_MEANING: Record<number, string> = {
    1: "failed",
    2: "usage error",
    3: "Apache rejected the configuration",
    126: "command cannot execute",
    127: "command not found",
};

export class RemoteError extends Error {
    constructor(
        readonly step: string,
        readonly host: string,
        readonly result: ExecResult,
    ) {
        const meaning = EXIT_MEANING[result.code] ?? "failed";
        super(`${step} on ${host}: ${meaning} (exit ${result.code})\n${tail(result.stderr || result.stdout)}`);
    }
}

/** The last lines of a command's output, enough to see the error without flooding the CLI. */
export function tail(text: string, lines = 25): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
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

export async function runScript(
    host: RemoteHost,
    op: string,
    args: string[],
    opts: { timeoutMs?: number } = {},
): Promise<Record<string, string>> {
    const result = await host.exec(sh`sh -s -- ${args}`, { stdin: source(op), timeoutMs: opts.timeoutMs });
    if (result.code !== 0) throw new RemoteError(op, host.conn.host, result);
    return parseFacts(result.stdout);
}

/** Runs one read-only command; returns its result whatever the exit code. */
export function run(host: RemoteHost, command: string): Promise<ExecResult> {
    return host.exec(command, { timeoutMs: 60_000 });
}
