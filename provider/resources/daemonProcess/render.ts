// Pure: DaemonProcess inputs <-> the managed config file.
import { HEADER, directive, options, word } from "../../apache";
import { OPTIONS, type DaemonProcessInputs } from "./schema";

export const configFile = (name: string) => `/etc/apache2/modwsgi.d/10-daemon-${name}.conf`;

export function render(i: DaemonProcessInputs): string {
    const opts: string[] = [];
    for (const [prop, [option]] of Object.entries(OPTIONS)) {
        const v = (i as Record<string, unknown>)[prop];
        if (v !== undefined) opts.push(word(`${option}=${v}`));
    }
    return `${HEADER}WSGIDaemonProcess ${word(i.name)} ${opts.join(" ")}\n`;
}

/** Inputs as the live file states them; undefined when no WSGIDaemonProcess line is there. */
export function parse(text: string): Partial<DaemonProcessInputs> | undefined {
    const args = directive(text, "WSGIDaemonProcess");
    if (!args || args.length === 0) return undefined;
    const live = options(args.slice(1));
    const out: Record<string, unknown> = { name: args[0] };
    for (const [prop, [option, schema]] of Object.entries(OPTIONS)) {
        const v = live.get(option);
        if (v === undefined) continue;
        const numeric = (schema as { safeParse(v: unknown): { success: boolean } }).safeParse(1).success;
        out[prop] = numeric && /^-?\d+$/.test(v) ? Number(v) : v;
    }
    return out as Partial<DaemonProcessInputs>;
}
