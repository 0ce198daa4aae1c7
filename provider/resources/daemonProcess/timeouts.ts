// Pure: how a group's request-timeout plays out against its socket-timeout and queue-timeout (mod_wsgi 6), as
// warnings at preview. Not errors: each setting is valid alone, only the combination does not do what it says.
import type { DaemonProcessInputs } from "./schema";

/** Debian's Apache `Timeout` (apache2.conf): what socket-timeout=0 falls back to. */
export const APACHE_TIMEOUT = 300;

/** When mod_wsgi 6 acts on a stuck request: each thread alone, after request-timeout x (1 + ln threads). */
export function effectiveRequestTimeout(requestTimeout: number, threads: number): number {
    return requestTimeout * (1 + Math.log(Math.max(1, threads)));
}

const s = (n: number) => `${Math.round(n * 10) / 10} s`;

export function timeoutWarnings(i: Partial<DaemonProcessInputs>): string[] {
    const threads = i.threads ?? 15;
    const request = i.requestTimeout ?? 0;
    const interrupt = i.interruptTimeout ?? 0;
    const socket = i.socketTimeout || APACHE_TIMEOUT;
    const queue = i.queueTimeout ?? 0;
    const out: string[] = [];
    const group = `DaemonProcess ${i.name ?? "?"}`;
    // A service-script group (threads=0) takes no requests; with no request-timeout nothing is interrupted.
    if (threads > 0 && request > 0 && interrupt > 0) {
        const eff = effectiveRequestTimeout(request, threads);
        if (socket <= eff) {
            out.push(
                `${group}: the effective request timeout is ${s(eff)} (requestTimeout ${request} s x ` +
                    `(1 + ln ${threads} threads)), not less than socketTimeout ${socket} s: the client gets a 504 ` +
                    `from socket-timeout at ${socket} s while the request goes on running; interruptTimeout ` +
                    `${interrupt} s ends it only at ${s(eff)}. Raise socketTimeout above ${s(eff)} or lower ` +
                    "requestTimeout (or threads).",
            );
        }
    }
    if (queue > 0 && queue >= socket) {
        out.push(
            `${group}: queueTimeout ${queue} s is not less than socketTimeout ${socket} s: a queued request is ` +
                `cut off by socket-timeout first, so queue-timeout never fires. Keep queueTimeout below it.`,
        );
    }
    return out;
}
