// The Application inputs nothing on the host shows (release commands, the health check, how many releases to
// keep, the data directories, what destroy removes), recorded beside the app as settings.json (provider/records.ts)
// so that `pulumi import` reads them back exactly; a refresh keeps what the state says.
import { parseRecord, renderRecord } from "../../records";
import { inputs, type ApplicationInputs } from "./schema";

export const SETTINGS_KEYS = [
    "releaseCommands",
    "dataDirs",
    "deleteDataOnDestroy",
    "healthCheck",
    "keepReleases",
] as const satisfies readonly (keyof ApplicationInputs)[];

export const renderSettings = (i: ApplicationInputs): string => renderRecord(i, SETTINGS_KEYS);

/** The recorded settings, each validated as the program's would be; none for a missing or unreadable file. */
export const parseSettings = (text: string | undefined): Partial<ApplicationInputs> =>
    parseRecord<ApplicationInputs>(text, SETTINGS_KEYS, inputs.shape);
