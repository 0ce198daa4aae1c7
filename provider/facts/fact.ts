// A fact, the pyinfra way: one command on the host and one pure parser of its result. Resources read the
// host only through facts, so every read is named, testable without a host, and combinable into one round trip.
import { randomBytes } from "node:crypto";
import { sh } from "../remote/sh";
import { scriptCommand, scriptSource, parseFacts } from "../remote/scripts";
import { tail, type ExecResult, type RemoteHost } from "../remote/host";

export interface Fact<T> {
    /** What is read, named in errors. */
    name: string;
    command: string;
    /** A native operation's source (script facts); such a fact runs alone. */
    stdin?: string;
    /** Pure: the command's result (any exit code) to the fact's value. */
    parse(r: ExecResult): T;
}

/** A fact from native/<op>.sh, whose `key=value` lines the parser receives. */
export function scriptFact<T>(
    op: string,
    args: string[],
    parse: (facts: Record<string, string>, r: ExecResult) => T,
): Fact<T> {
    return {
        name: op,
        command: scriptCommand(args),
        stdin: scriptSource(op),
        parse: (r) => parse(parseFacts(r.stdout), r),
    };
}

/** Reads one fact. */
export async function gather<T>(host: RemoteHost, fact: Fact<T>): Promise<T> {
    const r = await host.exec(fact.command, { stdin: fact.stdin, nothrow: true, timeoutMs: 120_000, step: fact.name });
    return fact.parse(r);
}

type Values<T extends readonly Fact<unknown>[]> = { [K in keyof T]: T[K] extends Fact<infer V> ? V : never };

/**
 * Reads several command facts in one round trip. Each runs in a subshell of its own; its output and exit
 * code are framed by a random marker, so no output can be mistaken for a boundary.
 */
export async function gatherAll<const T extends readonly Fact<unknown>[]>(
    host: RemoteHost,
    facts: T,
): Promise<Values<T>> {
    if (facts.some((f) => f.stdin !== undefined)) throw new Error("gatherAll: script facts run alone (gather)");
    const m = `@@fact-${randomBytes(8).toString("hex")}`;
    const command = facts
        .map((f) => `printf '%s b\\n' ${sh`${m}`}; (${f.command}); printf '\\n%s e %s\\n' ${sh`${m}`} "$?"`)
        .join("; ");
    const r = await host.exec(command, { nothrow: true, timeoutMs: 120_000, step: facts.map((f) => f.name).join("+") });
    const frames = [...r.stdout.matchAll(new RegExp(`${m} b\\n([\\s\\S]*?)\\n${m} e (\\d+)\\n`, "g"))];
    if (frames.length !== facts.length) {
        throw new Error(
            `reading ${facts.map((f) => f.name).join(", ")} on ${host.name} failed: ${tail(r.stderr || r.stdout)}`,
        );
    }
    return facts.map((f, i) => f.parse({ code: Number(frames[i][2]), stdout: frames[i][1], stderr: "" })) as Values<T>;
}
