// Pure: DaemonProcess inputs <-> the managed config file.
import { HEADER, option, word, wsgiDirective } from "../../apache";
import { OPTIONS, type DaemonProcessInputs, type Kind } from "./schema";

function format(kind: Kind, v: unknown): string {
    switch (kind) {
        case "onoff":
            return v ? "On" : "Off";
        case "commas":
            return (v as string[]).join(",");
        case "colons":
            return (v as string[]).join(":");
        default:
            return String(v);
    }
}

/** An option's text as its input value (also what modwsgi-adopt maps a hand-written group with). */
export function unformat(kind: Kind, s: string): unknown {
    switch (kind) {
        case "int":
        case "float":
            // A value that is not a clean number stays text: the diff then shows it as changed.
            return /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
        case "onoff":
            return /^on$/i.test(s) ? true : /^off$/i.test(s) ? false : s;
        case "commas":
            return s.split(",");
        case "colons":
            return s.split(":");
        case "text":
            return s;
    }
}

export function render(i: DaemonProcessInputs): string {
    const opts: string[] = [];
    for (const [prop, o] of Object.entries(OPTIONS)) {
        const v = (i as Record<string, unknown>)[prop];
        if (v !== undefined) opts.push(option(o.option, format(o.kind, v)));
    }
    return `${HEADER}WSGIDaemonProcess ${word(i.name)} ${opts.join(" ")}\n`;
}

/** Inputs as the live file states them; undefined when no WSGIDaemonProcess line is there. */
export function parse(text: string): Partial<DaemonProcessInputs> | undefined {
    const d = wsgiDirective(text, "WSGIDaemonProcess", 1);
    if (!d || d.args.length === 0) return undefined;
    const live = d.options;
    const out: Record<string, unknown> = { name: d.args[0] };
    for (const [prop, o] of Object.entries(OPTIONS)) {
        const v = live.get(o.option);
        if (v !== undefined) out[prop] = unformat(o.kind, v);
    }
    return out as Partial<DaemonProcessInputs>;
}
