// Pure: a hand-written WSGIDaemonProcess's options -> DaemonProcess inputs, with what could not be mapped.
import { OPTIONS, REMOVED, inputs as daemonInputs } from "../resources/daemonProcess/schema";
import { unformat } from "../resources/daemonProcess/render";
import type { Value } from "./plan";

/** mod_wsgi's own value for options this provider defaults to upstream's production recommendation. */
export const BUILT_IN: Record<string, Value> = {
    threads: 15,
    queueTimeout: 0,
    socketTimeout: 300, // Apache's Timeout on Debian, which mod_wsgi uses when socket-timeout is unset
    requestTimeout: 0,
    startupTimeout: 0,
    deadlockTimeout: 300,
    // Debian's envvars set LANG=C for Apache and its daemons.
    lang: "C",
    locale: "C",
};

const kebab = (prop: string) => prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const BY_OPTION = new Map(Object.entries(OPTIONS).map(([prop, o]) => [o.option, { prop, kind: o.kind }]));
const REMOVED_BY_OPTION = new Map(Object.entries(REMOVED).map(([prop, why]) => [kebab(prop), why]));

export interface DaemonMapping {
    /** The inputs, without name and pythonHome (the caller's: a new name, the PythonEnv's path). */
    inputs: Record<string, Value>;
    /** The hand python-home, when set. */
    pythonHome?: string;
    /** Why an option was left out, one line each. */
    refused: string[];
    /** Properties given mod_wsgi's built-in value because the hand config did not set them. */
    defaulted: string[];
}

export function mapDaemonOptions(options: Map<string, string>): DaemonMapping {
    const i: Record<string, Value> = {};
    const refused: string[] = [];
    let pythonHome: string | undefined;
    for (const [option, raw] of options) {
        const o = BY_OPTION.get(option);
        if (option === "python-home") pythonHome = raw;
        else if (REMOVED_BY_OPTION.has(option)) refused.push(`option ${option}: ${REMOVED_BY_OPTION.get(option)}`);
        else if (!o) refused.push(`option ${option}: no DaemonProcess input`);
        else i[o.prop] = unformat(o.kind, raw) as Value;
    }
    // Values the schema refuses are left out (and listed), never passed on to fail at preview.
    const check = daemonInputs.safeParse({ name: "x", ...i });
    if (!check.success)
        for (const issue of check.error.issues) {
            const prop = String(issue.path[0]);
            if (prop in i) {
                refused.push(`${prop}: ${issue.message}`);
                delete i[prop];
            }
        }
    const defaulted = Object.keys(BUILT_IN).filter((k) => !(k in i));
    for (const k of defaulted) i[k] = BUILT_IN[k];
    return { inputs: i, pythonHome, refused, defaulted };
}
