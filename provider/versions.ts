// Which mod_wsgi release introduced each setting this provider writes, so a setting the host's module
// does not know is refused naming the property (Apache would refuse the whole config instead).
// Only matters for the pre-6.0 modules Debian packages (WsgiModule source "distro": 4.9 or 5.0).

/** Assumed when no module is loaded yet: the provider's own default release. */
export const LATEST = "6.1.1";

interface Feature {
    since: string;
    /** mod_wsgi's own default: when a module predates the feature, this value is simply not written. */
    inert?: unknown;
    what: string;
}

export const FEATURES: Record<string, Record<string, Feature>> = {
    DaemonProcess: {
        interruptTimeout: { since: "6.0.0", inert: 0, what: "the interrupt-timeout option" },
        responseFlushDelay: { since: "6.0.0", what: "the response-flush-delay option" },
        switchInterval: { since: "6.0.0", what: "the switch-interval option" },
    },
    ApacheHost: {
        perInterpreterGil: { since: "6.0.0", inert: false, what: "WSGIPerInterpreterGIL" },
        freeThreading: { since: "6.0.0", inert: false, what: "WSGIFreeThreading" },
        switchInterval: { since: "6.0.0", what: "WSGISwitchInterval" },
        telemetrySocket: { since: "6.0.0", what: "WSGITelemetryService" },
    },
    Application: {
        interpreterOptions: { since: "6.0.0", what: "<WSGIInterpreterOptions>" },
    },
};

/** Negative, zero or positive as a is older, equal or newer than b ("4.9.4" < "5.0.2" < "6.1.1"). */
export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map((n) => parseInt(n, 10) || 0);
    const pb = b.split(".").map((n) => parseInt(n, 10) || 0);
    for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
        const d = (pa[k] ?? 0) - (pb[k] ?? 0);
        if (d) return d;
    }
    return 0;
}

/** Settings the module `version` lacks, as `Resource.property: reason` messages. */
export function unsupported(
    resource: string,
    inputs: Record<string, unknown>,
    version: string,
    module = `the module on this host is ${version}`,
): { property: string; reason: string }[] {
    const out: { property: string; reason: string }[] = [];
    for (const [prop, f] of Object.entries(FEATURES[resource] ?? {})) {
        const v = inputs[prop];
        if (v === undefined || v === f.inert || compareVersions(version, f.since) >= 0) continue;
        out.push({
            property: prop,
            reason: `${resource}.${prop}: ${f.what} is new in mod_wsgi ${f.since.replace(/\.0$/, "")}; ${module}`,
        });
    }
    return out;
}

/** The inputs with every inert setting the module does not know removed (so it is not written). */
export function withoutInert<T extends Record<string, unknown>>(resource: string, inputs: T, version: string): T {
    const out: Record<string, unknown> = { ...inputs };
    for (const [prop, f] of Object.entries(FEATURES[resource] ?? {})) {
        if (compareVersions(version, f.since) < 0 && out[prop] === f.inert) delete out[prop];
    }
    return out as T;
}

/** The live inputs with the inert settings a module lacks filled back in: not writing them is no drift. */
export function withInert<T extends Record<string, unknown>>(resource: string, live: T, version: string): T {
    const out: Record<string, unknown> = { ...live };
    for (const [prop, f] of Object.entries(FEATURES[resource] ?? {})) {
        if (compareVersions(version, f.since) < 0 && out[prop] === undefined && f.inert !== undefined)
            out[prop] = f.inert;
    }
    return out as T;
}

/** Throws the first unsupported setting (at apply, once the host's module version is known). */
export function requireSupported(resource: string, inputs: Record<string, unknown>, version: string): void {
    const bad = unsupported(resource, inputs, version);
    if (bad.length) throw new Error(bad.map((b) => b.reason).join("; "));
}
