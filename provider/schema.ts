// The Pulumi package schema, derived from the zod input schemas and output tables: one source.
import { z } from "zod";
import { resources } from "./registry";
import { connectionSchema, connectionSecrets } from "./remote/connection";

export const PROVIDER_VERSION = "0.1.0";

/** One property in the package schema (the subset this provider uses). */
export interface PropSpec {
    type?: string;
    $ref?: string;
    items?: PropSpec;
    additionalProperties?: PropSpec;
    enum?: unknown[];
    description?: string;
    default?: unknown;
    secret?: boolean;
}

function describe(s: z.ZodType): { spec: PropSpec; required: boolean } {
    let required = true;
    let def: unknown;
    let desc = s.description;
    let cur = s as z.ZodType;
    for (;;) {
        const t = cur._zod.def.type;
        if (t === "optional") required = false;
        else if (t === "default") {
            required = false;
            const d = (cur._zod.def as unknown as { defaultValue: unknown }).defaultValue;
            def = typeof d === "function" ? (d as () => unknown)() : d;
        } else if (t !== "pipe") break;
        cur = ((cur._zod.def as unknown as { innerType?: z.ZodType; in?: z.ZodType }).innerType ??
            (cur._zod.def as unknown as { in: z.ZodType }).in) as z.ZodType;
        desc ??= cur.description;
    }
    const spec = typeSpec(cur);
    if (desc) spec.description = desc;
    // Pulumi schema defaults are primitives only; list and map defaults are documented, not declared.
    if (def !== undefined && (def === null || typeof def !== "object")) spec.default = def;
    return { spec, required };
}

/** Named object types (zod `.meta({ id })`), collected while walking the properties. */
const types: Record<string, unknown> = {};

function typeSpec(s: z.ZodType): PropSpec {
    const def = s._zod.def as unknown as {
        type: string;
        element?: z.ZodType;
        valueType?: z.ZodType;
        entries?: Record<string, string>;
    };
    switch (def.type) {
        case "string":
            return { type: "string" };
        case "number":
            return { type: (s as unknown as { format?: string }).format === "safeint" ? "integer" : "number" };
        case "boolean":
            return { type: "boolean" };
        case "array":
            return { type: "array", items: typeSpec(def.element!) };
        case "record":
            return { type: "object", additionalProperties: typeSpec(def.valueType!) };
        case "union": {
            // Alternatives of one JSON type (e.g. a name or a #id) are that type.
            const specs = (def as unknown as { options: z.ZodType[] }).options.map(typeSpec);
            if (specs.every((x) => JSON.stringify(x) === JSON.stringify(specs[0]))) return specs[0];
            throw new Error("schema: a union of different types");
        }
        case "enum":
            return { type: "string", enum: Object.values(def.entries!) };
        case "object": {
            const meta = z.globalRegistry.get(s) as { id?: string; description?: string } | undefined;
            if (!meta?.id) throw new Error("schema: a nested object needs .meta({ id })");
            const token = `modwsgi:index:${meta.id}`;
            types[token] ??= {
                type: "object",
                description: meta.description,
                ...objectSpec((s as z.ZodObject).shape as Record<string, z.ZodType>, connectionSecrets),
            };
            return { $ref: `#/types/${token}` };
        }
        default:
            throw new Error(`schema: unsupported zod type ${def.type}`);
    }
}

function objectSpec(shape: Record<string, z.ZodType>, secrets: readonly string[] = []) {
    const properties: Record<string, PropSpec> = {};
    const required: string[] = [];
    for (const [k, v] of Object.entries(shape)) {
        const d = describe(v);
        if (secrets.includes(k)) d.spec.secret = true;
        properties[k] = d.spec;
        if (d.required) required.push(k);
    }
    return { properties, required };
}

export function schema() {
    const conn = objectSpec(connectionSchema.shape as Record<string, z.ZodType>, connectionSecrets);
    const res: Record<string, unknown> = {};
    for (const m of resources) {
        const internal = m.internal ?? [];
        const shape = Object.fromEntries(
            Object.entries(m.inputs.shape as Record<string, z.ZodType>).filter(([k]) => !internal.includes(k)),
        );
        const ins = objectSpec(shape, m.secrets);
        const outs: Record<string, PropSpec> = { ...ins.properties };
        for (const k of internal) outs[k] = describe((m.inputs.shape as Record<string, z.ZodType>)[k]).spec;
        for (const [k, o] of Object.entries(m.outputs))
            outs[k] = { type: o.type, ...(o.items ? { items: o.items } : {}), description: o.description };
        res[m.token] = {
            description: m.description,
            inputProperties: ins.properties,
            requiredInputs: ins.required,
            properties: outs,
            required: [...new Set([...ins.required, ...internal, ...Object.keys(m.outputs)])],
        };
    }
    return {
        name: "modwsgi",
        version: PROVIDER_VERSION,
        displayName: "modwsgi",
        description:
            "Deploy Python WSGI applications on Apache httpd with mod_wsgi, on Linux servers reached over SSH.",
        license: "Apache-2.0",
        config: { variables: conn.properties, defaults: conn.required },
        provider: {
            description: "The SSH connection to one Apache host.",
            inputProperties: conn.properties,
            requiredInputs: conn.required,
        },
        types,
        resources: res,
        language: { nodejs: { packageName: "@modwsgi/pulumi" } },
    };
}

export function schemaJson(): string {
    return JSON.stringify(schema(), null, 2);
}
