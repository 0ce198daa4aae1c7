// The Application inputs nothing on the host shows (release commands, the health check, how many releases to
// keep, the data directories, what destroy removes), recorded beside the app as settings.json (root's, mode 600)
// so that `pulumi import` reads them back exactly; a refresh keeps what the state says.
import { inputs, type ApplicationInputs } from "./schema";

export const SETTINGS_KEYS = [
    "releaseCommands",
    "dataDirs",
    "deleteDataOnDestroy",
    "healthCheck",
    "keepReleases",
] as const satisfies readonly (keyof ApplicationInputs)[];

type Settings = Pick<ApplicationInputs, (typeof SETTINGS_KEYS)[number]>;

export function renderSettings(i: ApplicationInputs): string {
    return JSON.stringify(Object.fromEntries(SETTINGS_KEYS.map((k) => [k, i[k]])), null, 2) + "\n";
}

/** The recorded settings, each validated as the program's would be; none for a missing or unreadable file. */
export function parseSettings(text: string | undefined): Partial<Settings> {
    if (!text) return {};
    let raw: Record<string, unknown>;
    try {
        raw = JSON.parse(text) as Record<string, unknown>;
    } catch {
        return {};
    }
    const out: Partial<Record<string, unknown>> = {};
    for (const k of SETTINGS_KEYS) {
        const parsed = inputs.shape[k].safeParse(raw[k]);
        if (parsed.success && raw[k] !== undefined) out[k] = parsed.data;
    }
    return out as Partial<Settings>;
}
