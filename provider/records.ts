// The provider's own records beside what it applied on a host (an app's settings.json, a venv's
// modwsgi-inputs.json): the program's inputs no host file shows, written once applied and read back by an import
// (docs/import.md).
import type { z } from "zod";
import type { Ctx } from "./resource";

/** `keys` of the inputs as the JSON record holds them. */
export function renderRecord<I extends object>(i: I, keys: readonly (keyof I)[]): string {
    return JSON.stringify(Object.fromEntries(keys.map((k) => [k, i[k]])), null, 2) + "\n";
}

/** The recorded keys that validate as the program's inputs would; none for a missing or broken file. */
export function parseRecord<I extends object>(
    text: string | undefined,
    keys: readonly (keyof I & string)[],
    shape: Record<string, z.ZodType>,
): Partial<I> {
    let raw: Record<string, unknown>;
    try {
        raw = JSON.parse(text ?? "") as Record<string, unknown>;
    } catch {
        return {};
    }
    const valid = keys.filter((k) => raw[k] !== undefined && shape[k]?.safeParse(raw[k]).success);
    return Object.fromEntries(valid.map((k) => [k, raw[k]])) as Partial<I>;
}

/**
 * Writes a record (root's, mode 600: it may hold what the program marked secret) once what it records is in
 * effect. What it records is deployed by then: a failure costs a later import its values only, so it is a warning.
 */
export async function writeRecord(ctx: Ctx, file: string, text: string, what: string): Promise<void> {
    await ctx.host
        .writeFile(file, text, 0o600)
        .catch((e: Error) =>
            ctx.log.warn(`${what}: ${file} not recorded (an import would read defaults): ${e.message}`),
        );
}
