// The one quoting path for everything that reaches a remote shell: POSIX single quotes, no exceptions.

/** Quotes a value for POSIX sh; throws on values that cannot be represented safely. */
export function quote(value: string | number): string {
    if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new Error(`cannot quote non-finite number ${value}`);
        return String(value);
    }
    if (typeof value !== "string") throw new Error(`cannot quote ${typeof value}`);
    if (value.includes("\0")) throw new Error("cannot quote a value containing a NUL byte");
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Raw shell text that `sh` must not quote (only for literals written in this code base). */
export class Raw {
    constructor(readonly text: string) {}
}
export const raw = (text: string) => new Raw(text);

type Arg = string | number | Raw | readonly (string | number)[];

/** Tagged template: every interpolated value is quoted; arrays become quoted words. */
export function sh(strings: TemplateStringsArray, ...values: Arg[]): string {
    let out = strings[0];
    values.forEach((v, i) => {
        if (v === undefined || v === null) throw new Error(`sh: value ${i} is ${v}`);
        if (v instanceof Raw) out += v.text;
        else if (Array.isArray(v)) out += v.map((x) => quote(x)).join(" ");
        else out += quote(v as string | number);
        out += strings[i + 1];
    });
    return out;
}
