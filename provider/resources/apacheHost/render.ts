// Pure: ApacheHost inputs <-> its managed files (the server-wide WSGI directives and the Listen ports).
import { directives, firstArg, flag, HEADER, onOff, word } from "../../apache";
import { MPMS, type ApacheHostInputs, type Mpm } from "./schema";

export function renderWsgi(i: ApacheHostInputs): string {
    const lines = [`WSGIRestrictEmbedded ${onOff(i.restrictEmbedded)}`];
    if (i.socketPrefix) lines.push(`WSGISocketPrefix ${word(i.socketPrefix)}`);
    if (i.socketRotation !== undefined) lines.push(`WSGISocketRotation ${onOff(i.socketRotation)}`);
    if (i.pythonHome) lines.push(`WSGIPythonHome ${word(i.pythonHome)}`);
    if (i.pythonPath?.length) lines.push(`WSGIPythonPath ${word(i.pythonPath.join(":"))}`);
    if (i.perInterpreterGil !== undefined) lines.push(`WSGIPerInterpreterGIL ${onOff(i.perInterpreterGil)}`);
    if (i.freeThreading !== undefined) lines.push(`WSGIFreeThreading ${onOff(i.freeThreading)}`);
    if (i.switchInterval !== undefined) lines.push(`WSGISwitchInterval ${i.switchInterval}`);
    if (i.telemetrySocket) lines.push(`WSGITelemetryService ${word(`unix:${i.telemetrySocket}`)}`);
    return `${HEADER}${lines.join("\n")}\n`;
}

export function renderListen(i: ApacheHostInputs): string {
    return `${HEADER}${i.listenPorts.map((p) => `Listen ${p}\n`).join("")}`;
}

/** The inputs as the live files state them (the MPM comes from the host's facts, see `liveMpm`). */
export function parse(wsgi: string, listen: string): Partial<ApacheHostInputs> {
    const one = (d: string) => firstArg(wsgi, d);
    return {
        restrictEmbedded: flag(wsgi, "WSGIRestrictEmbedded") ?? false,
        socketPrefix: one("WSGISocketPrefix"),
        socketRotation: flag(wsgi, "WSGISocketRotation"),
        pythonHome: one("WSGIPythonHome"),
        pythonPath: one("WSGIPythonPath")?.split(":"),
        perInterpreterGil: flag(wsgi, "WSGIPerInterpreterGIL"),
        freeThreading: flag(wsgi, "WSGIFreeThreading"),
        switchInterval: one("WSGISwitchInterval") === undefined ? undefined : Number(one("WSGISwitchInterval")),
        telemetrySocket: one("WSGITelemetryService")?.replace(/^unix:/, ""),
        listenPorts: directives(listen, "Listen").map(([p]) => Number(p)),
    };
}

/** The MPM the host reports, as the `mpm` input; undefined when it is none this resource can set. */
export function liveMpm(apacheMpm: string): Mpm | undefined {
    return MPMS.find((m) => m === apacheMpm);
}
