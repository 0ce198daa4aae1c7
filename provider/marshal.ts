// google.protobuf.Struct <-> plain values. Secrets arrive wrapped; we unwrap them for the code
// and wrap the same top-level properties again on the way out so state stays encrypted.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { Props } from "./resource";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecret(v: unknown): v is { value: unknown } {
    return !!v && typeof v === "object" && (v as Props)[SIG] === SECRET_SIG;
}

function unwrap(v: unknown, found: { secret: boolean }): unknown {
    if (isSecret(v)) {
        found.secret = true;
        return unwrap(v.value, found);
    }
    if (Array.isArray(v)) return v.map((x) => unwrap(x, found));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x, found)]));
    return v;
}

/** Plain properties plus the names of top-level properties that held a secret anywhere inside. */
export function fromStruct(s: Struct | undefined): { props: Props; secrets: Set<string> } {
    const raw = (s?.toJavaScript() ?? {}) as Props;
    const props: Props = {};
    const secrets = new Set<string>();
    for (const [k, v] of Object.entries(raw)) {
        const found = { secret: false };
        props[k] = unwrap(v, found);
        if (found.secret) secrets.add(k);
    }
    return { props, secrets };
}

export function secret(value: unknown) {
    return { [SIG]: SECRET_SIG, value };
}

/** Struct from plain props; `undefined` dropped (Struct.fromJavaScript throws on it), secrets re-wrapped. */
export function toStruct(props: Props, secrets: Iterable<string> = []): Struct {
    const wrap = new Set(secrets);
    const out: Props = {};
    for (const [k, v] of Object.entries(props)) {
        if (v === undefined) continue;
        const clean = JSON.parse(JSON.stringify(v));
        out[k] = wrap.has(k) ? secret(clean) : clean;
    }
    return Struct.fromJavaScript(out as never);
}
