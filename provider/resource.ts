// The contract every resource folder implements, and the pure pieces shared by all of them:
// input checking (zod issues -> Pulumi check failures) and the per-property diff.
import { z } from "zod";
import type { RemoteHost } from "./remote/host";
import type { Logger } from "./log";
import { unsupported } from "./versions";
import { secretProperties } from "./zodwalk";

export type Props = Record<string, unknown>;

/** What a lifecycle method gets: the host (commands and file writes) and the engine's log. */
export interface Ctx {
    host: RemoteHost;
    log: Logger;
}

/**
 * One resource type: `I` its checked inputs, `O` its state (inputs plus outputs). Both are declared once, as zod
 * schemas in the resource's schema.ts, and the types are inferred from them.
 */
export interface ResourceModule<I extends Props = Props, O extends Props = Props> {
    token: string;
    description: string;
    inputs: z.ZodObject;
    /** Output-only properties (what the host reports), with their docs. */
    outputs: z.ZodObject;
    /** What this resource claims on its host, that no other resource may claim too (checked at preview). */
    claims?(inputs: I): Claim[];
    /** The mod_wsgi this resource puts on its host (WsgiModule: version, label, Python), for the others' checks. */
    declaredModule?(inputs: I): { version: string; label: string; python: string };
    /** Its `python` must be the WsgiModule's (checked at preview against the module the program declares). */
    usesModulePython?: boolean;
    /** Properties that used to exist, with why they are gone: refused with that reason. */
    removed?: Record<string, string>;
    /** Inputs the provider fills in itself at check (not set by programs): outputs in the schema. */
    internal?: string[];
    /** Input properties whose change means delete + create rather than an in-place update. */
    replaceOn: string[];
    /** Extra normalisation after validation (local-only: never touches a host). */
    normalize?(inputs: I): I;
    id(inputs: I): string;
    create(ctx: Ctx, inputs: I): Promise<O>;
    update(ctx: Ctx, olds: O, news: I): Promise<O>;
    /**
     * Live state from the host, or null when the resource is certainly gone. Any input may be missing on the
     * host (that is drift, and the diff shows it); every output is reported.
     */
    read(ctx: Ctx, id: string, olds: O | undefined): Promise<Live<I, O> | null>;
    delete(ctx: Ctx, olds: O): Promise<void>;
    /** Output properties whose live value differs from what was applied (drift beyond inputs). */
    drift?(olds: O, news: I): string[];
    /**
     * Inputs that differ in form but not in effect (a source path whose tree hash is the same; PEM text with
     * other whitespace): no change. Mostly for imports, whose Read cannot know how the program spells a value.
     */
    sameInput?(key: string, olds: O, news: I): boolean;
    /**
     * Inputs an import reads back from the provider's own records that the program may have marked secret (the
     * record cannot say): stored encrypted after an import.
     */
    importSecrets?: string[];
    /** Never changes Apache's config (a venv): config transactions on its host do not wait for its operations. */
    configless?: boolean;
}

/** What Read reports: the inputs as found on the host (some may be missing) and every output. */
export type Live<I, O> = Partial<I> & Omit<O, keyof I>;

/**
 * A resource as the registry and the server hold it: typed where it is written, plain props where the
 * engine's values come in. The compile-time check that a resource implements the contract.
 */
export function defineResource<I extends Props, O extends I>(r: ResourceModule<I, O>): ResourceModule {
    return r;
}

/** Top-level properties always stored encrypted: those whose schema declares a secret anywhere inside. */
export function secretInputs(mod: ResourceModule): string[] {
    return secretProperties(mod.inputs);
}

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Claim {
    /** Unique per host, e.g. `daemon:hello`. */
    key: string;
    /** The property that makes the claim, named in the failure. */
    property: string;
    /** What is claimed, in words: `daemon process group "hello"`. */
    what: string;
}

/**
 * Cross-resource checks: one provider process serves one host, and the engine checks every resource of
 * a deployment with it, so claims seen here cover the whole host as the program declares it.
 */
export class Claims {
    private owners = new Map<string, string>();
    private module?: { version: string; label: string; python: string };

    /** Records the resource's claims; failures for those another resource already holds. */
    check(urn: string, mod: ResourceModule, inputs: Props): CheckFailure[] {
        const claims = mod.claims?.(inputs).filter((c) => !c.key.includes(UNKNOWN)) ?? [];
        for (const [k, owner] of this.owners) if (owner === urn) this.owners.delete(k);
        const failures: CheckFailure[] = [];
        if (mod.declaredModule) this.module = mod.declaredModule(inputs);
        // Settings the declared module lacks fail here, before anything touches the host.
        else if (this.module) {
            const known = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== UNKNOWN));
            failures.push(...unsupported(mod.token.split(":")[2], known, this.module.version, this.module.label));
            const python = known.python;
            if (
                mod.usesModulePython &&
                typeof python === "string" &&
                this.module.python &&
                python !== this.module.python
            ) {
                failures.push({
                    property: "python",
                    reason:
                        `${mod.token.split(":")[2]}.python: ${python} is not the WsgiModule's ${this.module.python}; ` +
                        `a venv from another Python makes the daemons die with "No module named 'encodings'" ` +
                        "(use python: module.python)",
                });
            }
        }
        for (const c of claims) {
            const owner = this.owners.get(c.key);
            if (owner && owner !== urn) {
                failures.push({
                    property: c.property,
                    reason:
                        `${mod.token.split(":")[2]}.${c.property}: ${c.what} ` +
                        `is already declared on this host by ${owner.split("::").pop()}`,
                });
            } else this.owners.set(c.key, urn);
        }
        return failures;
    }
}

export interface CheckFailure {
    property: string;
    reason: string;
}

/** Validates inputs; values still unknown in preview are passed through unchecked. */
export function checkInputs(mod: ResourceModule, news: Props): { inputs: Props; failures: CheckFailure[] } {
    const name = mod.token.split(":")[2];
    const removed = Object.keys(news).filter((k) => mod.removed?.[k] !== undefined);
    const gone = removed.map((k) => ({ property: k, reason: `${name}.${k}: ${mod.removed![k]}` }));
    const unknownKeys = new Set(Object.keys(news).filter((k) => news[k] === UNKNOWN));
    const known = Object.fromEntries(Object.entries(news).filter(([k]) => !unknownKeys.has(k) && !removed.includes(k)));
    const res = mod.inputs.safeParse(known);
    // Issues about values still unknown in preview (e.g. a required property being computed) wait for up.
    // Cross-field rules (zod refinements) cannot be judged while any value is unknown: they wait for up too.
    const issues = res.success
        ? []
        : res.error.issues.filter(
              (i) => !unknownKeys.has(String(i.path[0])) && !(unknownKeys.size && i.code === "custom"),
          );
    const failures = [...gone, ...issues.map((i) => ({ property: propertyPath(i), reason: reason(mod, i) }))];
    if (!res.success || failures.length) return { inputs: news, failures };
    let inputs = res.data as Props;
    if (unknownKeys.size === 0 && mod.normalize) {
        try {
            inputs = mod.normalize(inputs);
        } catch (e) {
            // Normalizers name the property as `Type.property: reason`.
            const reason = (e as Error).message;
            return { inputs: news, failures: [{ property: /^\w+\.(\w+):/.exec(reason)?.[1] ?? "", reason }] };
        }
    }
    for (const k of unknownKeys) inputs[k] = UNKNOWN;
    return { inputs, failures: [] };
}

function propertyPath(issue: z.core.$ZodIssue): string {
    const at = issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
        .join(".")
        .replace(/\.\[/g, "[");
    if (issue.code === "unrecognized_keys") return at ? `${at}.${issue.keys[0]}` : issue.keys.join(",");
    return issue.path
        .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
        .join(".")
        .replace(/\.\[/g, "[");
}

function reason(mod: ResourceModule, issue: z.core.$ZodIssue): string {
    const name = mod.token.split(":")[2];
    if (issue.code === "unrecognized_keys") {
        const at = issue.path.length ? `.${issue.path.join(".")}` : "";
        return `${name}${at} has no property ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    }
    return `${name}.${propertyPath(issue)}: ${issue.message}`;
}

export function deepEqual(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v as object)
                .sort()
                .filter((k) => (v as Props)[k] !== undefined)
                .map((k) => [k, canonical((v as Props)[k])]),
        );
    }
    return v;
}

export interface DiffResult {
    changed: string[];
    replaces: string[];
}

/** Desired inputs (news) against the last known (or live, after refresh) state (olds). */
export function diff(mod: ResourceModule, olds: Props, news: Props, ignore: string[] = []): DiffResult {
    const keys = Object.keys(mod.inputs.shape).filter((k) => !ignore.includes(k));
    const changed = keys.filter(
        (k) => news[k] === UNKNOWN || !(deepEqual(olds[k], news[k]) || mod.sameInput?.(k, olds, news)),
    );
    // Hand edits that no input explains (e.g. an extra line) show up as a changed fingerprint.
    if (mod.drift && changed.length === 0 && !Object.values(news).includes(UNKNOWN)) {
        for (const k of mod.drift(olds, news)) if (!ignore.includes(k)) changed.push(k);
    }
    return { changed, replaces: changed.filter((k) => mod.replaceOn.includes(k)) };
}

/** The inputs part of a live state, as Read must return it for drift and import. */
export function projectInputs(mod: ResourceModule, state: Props): Props {
    return Object.fromEntries(
        Object.keys(mod.inputs.shape)
            .filter((k) => state[k] !== undefined)
            .map((k) => [k, state[k]]),
    );
}
