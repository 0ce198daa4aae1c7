// The one path from values to Apache config text: validation patterns shared by the schemas,
// word quoting for directive arguments, and the parser that reads managed files back.
import { z } from "zod";
import { createHash } from "node:crypto";

export const HEADER =
    "# Managed by Pulumi (modwsgi). Edits by hand are reported by `pulumi refresh` and reverted by `pulumi up`.\n";

/** Absolute path made of characters that need no quoting anywhere (shell, Apache, manifests). */
export const absPath = () =>
    z
        .string()
        .max(4096)
        .regex(/^\/[A-Za-z0-9_./@+-]*$/, "must be an absolute path of letters, digits and _ . / @ + -")
        .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

/** A name used in file names and directive arguments. */
export const name = () =>
    z
        .string()
        .regex(
            /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
            "must be 1-64 letters, digits, _ . - (starting with a letter or digit)",
        );

export const posixUser = () =>
    z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a POSIX user or group name (lower case, digits, _ -)");

const BARE = /^[A-Za-z0-9_./%{}:@+,=-]+$/;

/** One directive argument: bare when safe, else double-quoted; control characters are refused. */
export function word(value: string | number): string {
    const s = String(value);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(s)) throw new Error(`value ${JSON.stringify(s)} contains a control character`);
    if (s !== "" && BARE.test(s)) return s;
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** `name=value` as mod_wsgi reads options (wsgi_parse_option): a bare name, then the value as one word. */
export function option(name: string, value: string | number): string {
    return `${name}=${word(value)}`;
}

/**
 * One word at `i` as Apache's ap_getword_conf reads it: quoted ("..." or '...', where a backslash before
 * the quote or another backslash escapes it) or up to the next space. Returns the word and the index after it.
 */
function readWord(line: string, i: number): [string, number] {
    while (i < line.length && /\s/.test(line[i])) i++;
    const q = line[i] === '"' || line[i] === "'" ? line[i] : "";
    if (q) i++;
    let w = "";
    while (i < line.length && (q ? line[i] !== q : !/\s/.test(line[i]))) {
        if (line[i] === "\\" && (line[i + 1] === "\\" || (q && line[i + 1] === q))) i++;
        w += line[i++];
    }
    return [w, q ? i + 1 : i];
}

/** Splits a directive line into words the way Apache does. */
export function words(line: string): string[] {
    const out: string[] = [];
    let i = 0;
    for (;;) {
        while (i < line.length && /\s/.test(line[i])) i++;
        if (i >= line.length) return out;
        const [w, next] = readWord(line, i);
        out.push(w);
        i = next;
    }
}

/** The first line starting with `directive`, split into its arguments; undefined when absent. */
export function directive(text: string, name: string): string[] | undefined {
    return directives(text, name)[0];
}

/** A flag as mod_wsgi's directives write it. */
export const onOff = (b: boolean) => (b ? "On" : "Off");

/** The first argument of the first `name` line; undefined when absent. */
export const firstArg = (text: string, name: string) => directive(text, name)?.[0];

/** An On/Off directive read back; undefined when absent. */
export function flag(text: string, name: string): boolean | undefined {
    const v = firstArg(text, name);
    return v === undefined ? undefined : /^on$/i.test(v);
}

/** Every line starting with `directive`, each split into its arguments. */
export function directives(text: string, name: string): string[][] {
    const out: string[][] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        const [first, next] = readWord(line, 0);
        if (first === name) out.push(words(line.slice(next)));
    }
    return out;
}

function rawDirective(text: string, name: string): string | undefined {
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        const [first, next] = readWord(line, 0);
        if (first === name) return line.slice(next);
    }
    return undefined;
}

/**
 * A mod_wsgi directive (WSGIDaemonProcess, WSGIScriptAlias): `leading` plain words, then `name=value`
 * options read the way mod_wsgi reads them. Undefined when the directive is absent.
 */
export function wsgiDirective(
    text: string,
    name: string,
    leading: number,
): { args: string[]; options: Map<string, string> } | undefined {
    const line = rawDirective(text, name);
    if (line === undefined) return undefined;
    const args: string[] = [];
    let i = 0;
    for (let n = 0; n < leading && i < line.length; n++) {
        const [w, next] = readWord(line, i);
        args.push(w);
        i = next;
    }
    const options = new Map<string, string>();
    for (;;) {
        while (i < line.length && /\s/.test(line[i])) i++;
        if (i >= line.length) break;
        const eq = line.indexOf("=", i);
        const space = line.slice(i).search(/\s/);
        if (eq < 0 || (space >= 0 && i + space < eq)) {
            // Not name=value: mod_wsgi rejects it; keep it visible as an option with no value.
            const [w, next] = readWord(line, i);
            options.set(w, "");
            i = next;
            continue;
        }
        const [value, next] = readWord(line, eq + 1);
        options.set(line.slice(i, eq), value);
        i = next;
    }
    return { args, options };
}

export function sha256(text: string | Buffer): string {
    return createHash("sha256").update(text).digest("hex");
}

/** The `fileModes` output of resources whose files applyConfig writes (provider/remote/apply.ts putModes). */
export const fileModes = () =>
    z
        .record(z.string(), z.string())
        .optional()
        .describe(
            "Owner, group and mode of each managed file, by path, as `stat -c '%U:%G %a'` prints them " +
                "(`root:root 644`; TLS keys `root:root 600`); live after refresh, and a difference is drift " +
                "that up repairs.",
        );
