// Generates the reference from the package schema: docs/reference.md (the provider's settings and an index) and
// one page per resource and function under docs/reference/, each with every property's type, default and meaning,
// a minimal program in TypeScript, Python and YAML, and how to import it. `npm run gen:docs` writes them; a unit
// test fails when any is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { schema, type PropSpec as Prop } from "./schema";
import { resources } from "./registry";

type Schema = ReturnType<typeof schema>;

const shortName = (token: string) => token.split(":").pop()!;
const pageOf = (token: string) => `${shortName(token)}.md`;
const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function typeText(p: Prop, link: (token: string) => string): string {
    if (p.$ref) return link(p.$ref.replace("#/types/", ""));
    if (p.enum) return p.enum.map((e) => `\`${JSON.stringify(e)}\``).join(" or ");
    if (p.type === "array") return `list of ${typeText(p.items!, link)}`;
    if (p.type === "object") return `map of ${typeText(p.additionalProperties!, link)}`;
    return p.type ?? "";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function table(props: Record<string, Prop>, required: string[], link: (token: string) => string): string {
    const rows = Object.entries(props).map(([k, p]) => {
        const name = `\`${k}\`${required.includes(k) ? " (required)" : ""}`;
        const type = `${cell(typeText(p, link))}${p.secret ? ", secret" : ""}`;
        const def = p.default !== undefined ? `\`${cell(JSON.stringify(p.default))}\`` : "";
        return `| ${name} | ${type} | ${def} | ${cell(p.description ?? "")} |`;
    });
    return ["| property | type | default | description |", "|---|---|---|---|", ...rows].join("\n");
}

/** The named object types a set of properties reaches, directly or through other types, in schema order. */
function typesReached(s: Schema, props: Record<string, Prop>): string[] {
    const seen = new Set<string>();
    const visit = (p: Prop) => {
        const token = p.$ref?.replace("#/types/", "");
        if (token && !seen.has(token)) {
            seen.add(token);
            Object.values(s.types[token].properties).forEach(visit);
        }
        if (p.items) visit(p.items);
        if (p.additionalProperties) visit(p.additionalProperties);
    };
    Object.values(props).forEach(visit);
    return Object.keys(s.types).filter((t) => seen.has(t));
}

/** The types' sections, headed `<heading> <Name>`, and the link to one of them (GitHub's anchor of that heading). */
function typeSections(s: Schema, tokens: string[], heading: string): string[] {
    const link = typeLink(heading);
    return tokens.flatMap((token) => {
        const t = s.types[token];
        return [
            `${heading} ${shortName(token)}`,
            "",
            t.description ?? "",
            "",
            table(t.properties, t.required, link),
            "",
        ];
    });
}

const typeLink = (heading: string) => (token: string) => {
    const title = `${heading.replace(/^#+\s*/, "")} ${shortName(token)}`.trim();
    return `[${shortName(token)}](#${title
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-")})`;
};

/** A placeholder value of a required input, for the examples: what the property is, not a working value. */
function sample(k: string, p: Prop): { ts: string; py: string; yaml: string } {
    if (p.enum) return { ts: JSON.stringify(p.enum[0]), py: JSON.stringify(p.enum[0]), yaml: String(p.enum[0]) };
    if (p.type === "integer" || p.type === "number") return { ts: "1", py: "1", yaml: "1" };
    if (p.type === "boolean") return { ts: "true", py: "True", yaml: "true" };
    const v = k === "source" ? "./app" : k === "serverName" ? "www.example.org" : `my-${k.toLowerCase()}`;
    return { ts: JSON.stringify(v), py: JSON.stringify(v), yaml: v };
}

function examples(token: string, required: string[], props: Record<string, Prop>): string[] {
    const name = shortName(token);
    const values = required.map((k) => ({ k, ...sample(k, props[k]) }));
    const ts = [
        'import * as modwsgi from "pulumi-modwsgi";',
        "",
        `const example = new modwsgi.${name}("example", {`,
        ...values.map((v) => `    ${v.k}: ${v.ts},`),
        "}, { provider }); // provider: a modwsgi.Provider for the host",
    ];
    const py = [
        "import pulumi",
        "import pulumi_modwsgi as modwsgi",
        "",
        `example = modwsgi.${name}("example",`,
        ...values.map((v) => `    ${camelToSnake(v.k)}=${v.py},`),
        "    opts=pulumi.ResourceOptions(provider=provider))",
    ];
    const yaml = [
        "resources:",
        "  example:",
        `    type: ${token}`,
        ...(values.length ? ["    properties:", ...values.map((v) => `      ${v.k}: ${v.yaml}`)] : []),
        "    options:",
        "      provider: ${provider}",
    ];
    return [
        "## Example",
        "",
        "The required inputs only (placeholder values); every other input takes its default.",
        "",
        "```ts",
        ...ts,
        "```",
        "",
        "```python",
        ...py,
        "```",
        "",
        "```yaml",
        ...yaml,
        "```",
        "",
    ];
}

/** What `pulumi import` takes as this type's ID: a fixed word (one per host) or the resource's name. */
function importId(token: string): string {
    const m = resources.find((r) => r.token === token)!;
    const probe = "\u0000name";
    const id = m.id({ name: probe } as never);
    return id === probe ? "its `name`" : `\`${id}\` (one per host)`;
}

function resourcePage(s: Schema, token: string): string {
    const r = s.resources[token];
    const name = shortName(token);
    const link = typeLink("## Type:");
    const outputs = Object.fromEntries(Object.entries(r.properties).filter(([k]) => !(k in r.inputProperties)));
    return [
        `# ${name} (\`${token}\`)`,
        "",
        "Generated by `npm run gen:docs` from the provider schema. Do not edit by hand. " +
            "[All resources](../reference.md).",
        "",
        r.description,
        "",
        ...examples(token, r.requiredInputs, r.inputProperties),
        "## Inputs",
        "",
        table(r.inputProperties, r.requiredInputs, link),
        "",
        "## Outputs (besides the inputs)",
        "",
        table(outputs, [], link),
        "",
        ...typeSections(s, typesReached(s, r.inputProperties), "## Type:"),
        "## Import",
        "",
        `ID: ${importId(token)}. The connection comes from the resource's provider ([docs/import.md](../import.md)):`,
        "",
        "```sh",
        `pulumi import ${token} example <id> --provider '<provider URN>'`,
        "```",
        "",
    ].join("\n");
}

function functionPage(s: Schema, token: string): string {
    const f = s.functions[token];
    const link = typeLink("## Type:");
    const props = { ...f.inputs.properties, ...f.outputs.properties };
    return [
        `# ${shortName(token)}() (\`${token}\`, a function)`,
        "",
        "Generated by `npm run gen:docs` from the provider schema. Do not edit by hand. " +
            "[All resources](../reference.md).",
        "",
        f.description,
        "",
        ...(Object.keys(f.inputs.properties).length
            ? ["## Arguments", "", table(f.inputs.properties, f.inputs.required, link), ""]
            : []),
        "## Result",
        "",
        table(f.outputs.properties, f.outputs.required, link),
        "",
        ...typeSections(s, typesReached(s, props), "## Type:"),
    ].join("\n");
}

function indexPage(s: Schema): string {
    const link = typeLink("###");
    return [
        "# modwsgi reference",
        "",
        "Generated by `npm run gen:docs` from the provider schema. Do not edit by hand.",
        "",
        "| resource | what it is |",
        "|---|---|",
        ...Object.entries(s.resources).map(
            ([token, r]) => `| [${shortName(token)}](reference/${pageOf(token)}) | ${cell(r.description)} |`,
        ),
        ...Object.entries(s.functions).map(
            ([token, f]) => `| [${shortName(token)}()](reference/${pageOf(token)}) | ${cell(f.description)} |`,
        ),
        "",
        "## Provider (connection)",
        "",
        s.provider.description,
        "",
        table(s.provider.inputProperties, s.provider.requiredInputs, link),
        "",
        ...typeSections(s, typesReached(s, s.provider.inputProperties), "###"),
    ].join("\n");
}

/** Every reference file, by its path under docs/. */
export function generate(): Record<string, string> {
    const s = schema();
    const files: Record<string, string> = { "reference.md": indexPage(s) };
    for (const token of Object.keys(s.resources)) files[`reference/${pageOf(token)}`] = resourcePage(s, token);
    for (const token of Object.keys(s.functions)) files[`reference/${pageOf(token)}`] = functionPage(s, token);
    return files;
}

/** Writes the reference into `docsDir`; pages of resources that no longer exist are removed. */
export function write(docsDir: string): void {
    const files = generate();
    fs.rmSync(path.join(docsDir, "reference"), { recursive: true, force: true });
    fs.mkdirSync(path.join(docsDir, "reference"), { recursive: true });
    for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(docsDir, rel), text);
}

if (require.main === module) write(process.argv[2] ?? "docs");
