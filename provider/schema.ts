// The Pulumi package schema, derived from each resource's zod inputs and outputs: one source.
import { z } from "zod";
import { resources } from "./registry";
import { functions } from "./functions";
import { connectionSchema } from "./remote/connection";
import { unwrap } from "./zodwalk";
import { PROVIDER_VERSION } from "./version";

export { PROVIDER_VERSION };

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
    const u = unwrap(s);
    const spec = typeSpec(u.inner);
    if (u.description) spec.description = u.description;
    // Pulumi schema defaults are primitives only; list and map defaults are documented, not declared.
    if (u.default !== undefined && (u.default === null || typeof u.default !== "object")) spec.default = u.default;
    if (u.secret) spec.secret = true;
    return { spec, required: u.required };
}

/** A named object type (`Tls`, `Hop`, ...) in the schema. */
export interface ObjectTypeSpec {
    type: "object";
    description?: string;
    properties: Record<string, PropSpec>;
    required: string[];
}

/** One resource in the schema. */
export interface ResourceSpec {
    description: string;
    inputProperties: Record<string, PropSpec>;
    requiredInputs: string[];
    properties: Record<string, PropSpec>;
    required: string[];
}

/** Named object types (zod `.meta({ id })`), collected while walking the properties. */
const types: Record<string, ObjectTypeSpec> = {};

function typeSpec(s: z.ZodType): PropSpec {
    if (s instanceof z.ZodString) return { type: "string" };
    if (s instanceof z.ZodNumber) return { type: s.format === "safeint" ? "integer" : "number" };
    if (s instanceof z.ZodBoolean) return { type: "boolean" };
    if (s instanceof z.ZodArray) return { type: "array", items: typeSpec(s.element as z.ZodType) };
    if (s instanceof z.ZodRecord) return { type: "object", additionalProperties: typeSpec(s.valueType as z.ZodType) };
    if (s instanceof z.ZodUnion) {
        // Alternatives of one JSON type (e.g. a name or a #id) are that type.
        const specs = (s.options as z.ZodType[]).map(typeSpec);
        if (specs.every((x) => JSON.stringify(x) === JSON.stringify(specs[0]))) return specs[0];
        throw new Error("schema: a union of different types");
    }
    if (s instanceof z.ZodEnum) return { type: "string", enum: s.options };
    if (s instanceof z.ZodObject) {
        const meta = z.globalRegistry.get(s);
        if (typeof meta?.id !== "string") throw new Error("schema: a nested object needs .meta({ id })");
        const token = `modwsgi:index:${meta.id}`;
        const description = typeof meta.description === "string" ? meta.description : undefined;
        types[token] ??= { type: "object", description, ...objectSpec(s.shape) };
        return { $ref: `#/types/${token}` };
    }
    throw new Error(`schema: unsupported zod type ${s.def.type}`);
}

function objectSpec(shape: Record<string, z.ZodType>) {
    const properties: Record<string, PropSpec> = {};
    const required: string[] = [];
    for (const [k, v] of Object.entries(shape)) {
        const d = describe(v);
        properties[k] = d.spec;
        if (d.required) required.push(k);
    }
    return { properties, required };
}

export function schema() {
    const conn = objectSpec(connectionSchema.shape);
    const res: Record<string, ResourceSpec> = {};
    for (const m of resources) {
        const internal = m.internal ?? [];
        const inputs: Record<string, z.ZodType> = m.inputs.shape;
        const ins = objectSpec(Object.fromEntries(Object.entries(inputs).filter(([k]) => !internal.includes(k))));
        const outs: Record<string, PropSpec> = { ...ins.properties };
        for (const k of internal) outs[k] = describe(inputs[k]).spec;
        for (const [k, o] of Object.entries(m.outputs.shape as Record<string, z.ZodType>)) outs[k] = describe(o).spec;
        // An input with a default is always in the state (Check fills it in): an output the SDKs can type as set.
        const defaulted = Object.keys(ins.properties).filter((k) => unwrap(inputs[k]).default !== undefined);
        res[m.token] = {
            description: m.description,
            inputProperties: ins.properties,
            requiredInputs: ins.required,
            properties: outs,
            required: [...new Set([...ins.required, ...defaulted, ...internal, ...Object.keys(m.outputs.shape)])],
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
        functions: functionSpecs(),
        // For Pulumi's code generators (scripts/sdkgen). The npm name is the one scripts/package.sh publishes;
        // the Go module path is a placeholder until the repository has a public home to `go get` from.
        language: {
            nodejs: { packageName: "pulumi-modwsgi", respectSchemaVersion: true },
            python: { packageName: "pulumi_modwsgi", pyproject: { enabled: true }, respectSchemaVersion: true },
            go: { importBasePath: "example.com/pulumi-modwsgi/sdk/go/modwsgi", respectSchemaVersion: true },
        },
    };
}

/** Provider functions (invokes): inputs and outputs as object types, like a resource's properties. */
export function functionSpecs() {
    return Object.fromEntries(
        functions.map((f) => [
            f.token,
            {
                description: f.description,
                inputs: { type: "object", ...objectSpec(f.inputs.shape) },
                outputs: { type: "object", ...objectSpec(f.outputs.shape) },
            },
        ]),
    );
}

export function schemaJson(): string {
    return JSON.stringify(schema(), null, 2);
}
