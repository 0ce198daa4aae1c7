// The one path from values to Apache config text: validation patterns shared by the schemas,
// word quoting for directive arguments, and the parser that reads managed files back.
import { z } from "zod";
import { createHash } from "node:crypto";

export const HEADER = "# Managed by Pulumi (modwsgi). Edits by hand are reported by `pulumi refresh` and reverted by `pulumi up`.\n";

/** Absolute path made of characters that need no quoting anywhere (shell, Apache, manifests). */
export const absPath = () =>
    z.string().max(4096).regex(/^\/[A-Za-z0-9_.\/@+-]*$/, "must be an absolute path of letters, digits and _ . / @ + -")
        .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

/** A name used in file names and directive arguments. */
export const name = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be 1-64 letters, digits, _ . - (starting with a letter or digit)");

export const posixUser = () =>
    z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a POSIX user or group name (lower case, digits, _ -)");

const BARE = /^[A-Za-z0-9_.\/%{}:@+,=-]+$/;

/** One directive argument: bare when safe, else double-quoted; control characters are refused. */
export function word(value: string | number): string {
    const s = String(value);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(s)) throw new Error(`value ${JSON.stringify(s)} contains a control character`);
    if (s !== "" && BARE.test(s)) return s;
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Splits a directive line into words the way Apache's ap_getword_conf does. */
export function words(line: string): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < line.length) {
        while (i < line.length && /\s/.test(line[i])) i++;
        if (i >= line.length) break;
        let w = "";
        if (line[i] === '"' || line[i] === "'") {
            const q = line[i++];
            while (i < line.length && line[i] !== q) {
                if (line[i] === "\\" && i + 1 < line.length) i++;
                w += line[i++];
            }
            i++;
        } else {
            while (i < line.length && !/\s/.test(line[i])) w += line[i++];
        }
        out.push(w);
    }
    return out;
}

/** The first line starting with `directive`, split into its arguments; undefined when absent. */
export function directive(text: string, name: string): string[] | undefined {
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        const ws = words(line);
        if (ws[0] === name) return ws.slice(1);
    }
    return undefined;
}

/** `key=value` options of a directive as a map (later keys win). */
export function options(args: string[]): Map<string, string> {
    const m = new Map<string, string>();
    for (const a of args) {
        const i = a.indexOf("=");
        if (i > 0) m.set(a.slice(0, i), a.slice(i + 1));
    }
    return m;
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}
