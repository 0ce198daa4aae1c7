// What a resource may do with a host: run a command, write a file. The SSH pool implements it; unit tests
// use a fake. A command that exits non-zero throws (naming the step, the host and the output's tail) unless
// the caller says it expects failure with `nothrow`, as zx's `.nothrow()` does.

export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface ExecOptions {
    stdin?: string | Buffer;
    timeoutMs?: number;
    /** A non-zero exit is an answer (e.g. a read of something that may be gone), not a failure. */
    nothrow?: boolean;
    /** Names the command in its error (default: its first word). */
    step?: string;
}

export interface RemoteHost {
    /** The host's address as configured, for messages. */
    readonly name: string;
    exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
    /** Writes a file as root, atomically, the content on stdin (never on a command line). */
    writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
}

const EXIT_MEANING: Record<number, string> = {
    1: "failed",
    2: "usage error",
    3: "Apache rejected the configuration",
    124: "timed out on the host (it was stopped there, and rolled back where it changes config)",
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

/**
 * The SSH connection died while a command ran: its channel closed without an exit status. Nothing is known about
 * the command's result; it may still be running on the host (the provider's operations are detached and go on).
 * Never an answer to parse, so a read that lost its channel fails instead of reporting what is "missing".
 */
export class ConnectionLost extends Error {}

/**
 * A closed channel's result, from what ssh2 reports at its close: an exit code, or a signal that ended the
 * command; neither means the channel was cut off by a lost connection (ConnectionLost).
 */
export function channelResult(
    host: string,
    code: number | null | undefined,
    signal: string | undefined,
    stdout: string,
    stderr: string,
): ExecResult | ConnectionLost {
    if (typeof code === "number") return { code, stdout, stderr };
    if (signal) return { code: 128, stdout, stderr };
    return new ConnectionLost(
        `the SSH connection to ${host} was lost while the command ran (it may still be running there)` +
            (stderr.trim() ? `\n${tail(stderr)}` : ""),
    );
}

/** The last lines of a command's output, enough to see the error without flooding the CLI. */
export function tail(text: string, lines = 25): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The command's first word, to name it in an error. */
export const stepOf = (command: string) => /^\s*(\S+)/.exec(command)?.[1]?.replace(/^'|'$/g, "") ?? "command";

/** Throws for a non-zero exit unless `nothrow`: the one rule every host implementation applies. */
export function checked(host: string, command: string, r: ExecResult, opts: ExecOptions): ExecResult {
    if (r.code !== 0 && !opts.nothrow) throw new RemoteError(opts.step ?? stepOf(command), host, r);
    return r;
}
