// Reading zod schemas as data, with zod's own classes (no casts): the wrappers around a property, its
// default, and which properties are declared secret (`secret(...)`, a zod meta flag).
import { z } from "zod";

/** Marks a property secret: stored encrypted in state and wrapped by the SDKs. Declared, never inferred from names. */
export const secret = <T extends z.ZodType>(s: T): T => s.meta({ secret: true });

/** The schema inside optional/default/pipe wrappers, whether it may be left out, its default and description. */
export function unwrap(s: z.ZodType): {
    inner: z.ZodType;
    required: boolean;
    default?: unknown;
    description?: string;
    secret: boolean;
} {
    let required = true;
    let def: unknown;
    let description = s.description;
    let isSecret = z.globalRegistry.get(s)?.secret === true;
    let cur: z.ZodType = s;
    for (;;) {
        if (cur instanceof z.ZodOptional) {
            required = false;
            cur = cur.unwrap() as z.ZodType;
        } else if (cur instanceof z.ZodDefault) {
            required = false;
            def = cur.def.defaultValue;
            cur = cur.unwrap() as z.ZodType;
        } else if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
        else break;
        description ??= cur.description;
        isSecret ||= z.globalRegistry.get(cur)?.secret === true;
    }
    return { inner: cur, required, default: def, description, secret: isSecret };
}

/** Whether the property is secret itself or holds a secret anywhere inside (object fields, list items, map values). */
export function holdsSecret(s: z.ZodType): boolean {
    const { inner, secret: own } = unwrap(s);
    if (own) return true;
    if (inner instanceof z.ZodObject) return Object.values(inner.shape as Record<string, z.ZodType>).some(holdsSecret);
    if (inner instanceof z.ZodArray) return holdsSecret(inner.element as z.ZodType);
    if (inner instanceof z.ZodRecord) return holdsSecret(inner.valueType as z.ZodType);
    return false;
}

/** The top-level properties of an object schema that are, or hold, secrets: what state keeps encrypted. */
export function secretProperties(o: z.ZodObject): string[] {
    return Object.entries(o.shape as Record<string, z.ZodType>)
        .filter(([, v]) => holdsSecret(v))
        .map(([k]) => k);
}

/** The object schema's properties that are declared secret themselves. */
export function declaredSecrets(o: z.ZodObject): string[] {
    return Object.entries(o.shape as Record<string, z.ZodType>)
        .filter(([, v]) => unwrap(v).secret)
        .map(([k]) => k);
}
