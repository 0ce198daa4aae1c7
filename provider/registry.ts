// Every resource this provider manages, by type name: the one-file answer to "what does it manage?".
import type { ResourceModule } from "./resource";
import { wsgiModule } from "./resources/wsgiModule";
import { pythonEnv } from "./resources/pythonEnv";
import { daemonProcess } from "./resources/daemonProcess";
import { application } from "./resources/application";
import { virtualHost } from "./resources/virtualHost";
import { apacheHost } from "./resources/apacheHost";
import { telemetry } from "./resources/telemetry";

export const resources: ResourceModule[] = [
    apacheHost,
    wsgiModule,
    pythonEnv,
    daemonProcess,
    virtualHost,
    application,
    telemetry,
];

export function moduleFor(type: string): ResourceModule {
    const m = resources.find((r) => r.token === type);
    if (!m) throw new Error(`unknown resource type ${type}`);
    return m;
}
