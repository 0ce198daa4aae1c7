// Rewrites the TypeScript SDK that Pulumi's generator wrote (the directory given): every resource class registers
// itself with stack traces paused, through `pauseStackTraces`, appended to its utilities.ts.
//
// Why: Pulumi's Node SDK records `new Error().stack` for the four promises behind each property Output of a
// resource, and reads those stacks only when PULUMI_DEBUG_PROMISE_LEAKS is set. Formatting them through the
// program's source maps was about 0.9 s of a 3 hosts x 10 apps no-op preview (5.08 -> 4.15 s, README.md):
// DaemonProcess declares 49 properties, Application 24. With that variable set, nothing changes.
//
// Usage: node scripts/sdkgen/quiet-stacks.mjs <sdk/nodejs>
import console from "node:console";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

const HELPER = `
/**
 * Stack traces paused while a resource's constructor registers it (added by scripts/sdkgen/quiet-stacks.mjs).
 * Pulumi records a stack for each of the four promises behind every property Output and reads them only when
 * PULUMI_DEBUG_PROMISE_LEAKS is set; formatting them was most of what constructing these resources cost. With that
 * variable set, stacks are recorded as usual. An error thrown meanwhile gets its stack from the resource's
 * constructor (the program's line that made the resource).
 */
export function pauseStackTraces(): { rethrow(e: unknown): never; resume(): void } {
    const limit = Error.stackTraceLimit;
    if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
    const resume = () => {
        Error.stackTraceLimit = limit;
    };
    function rethrow(e: unknown): never {
        resume();
        if (e instanceof Error && !/\\n\\s+at /.test(e.stack ?? "")) Error.captureStackTrace(e, rethrow);
        throw e;
    }
    return { rethrow, resume };
}
`;

// Pulumi's generator ends each resource constructor with this call.
const SUPER = /^( *)super\((\w+)\.__pulumiType, name, resourceInputs, opts\);$/m;

function quiet(source, file) {
    const m = SUPER.exec(source);
    if (!m) throw new Error(`${file}: no \`super(X.__pulumiType, name, resourceInputs, opts);\` to wrap`);
    const [line, pad, cls] = m;
    const block = [
        "const stacks = utilities.pauseStackTraces();",
        "try {",
        `    super(${cls}.__pulumiType, name, resourceInputs, opts);`,
        "} catch (e) {",
        "    stacks.rethrow(e);",
        "} finally {",
        "    stacks.resume();",
        "}",
    ].map((l) => pad + l);
    return source.replace(line, block.join("\n"));
}

const dir = process.argv[2];
if (!dir) {
    console.error("usage: node scripts/sdkgen/quiet-stacks.mjs <sdk/nodejs>");
    process.exit(2);
}
let classes = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const file = path.join(dir, f);
    const source = fs.readFileSync(file, "utf8");
    if (!/static readonly __pulumiType = /.test(source)) continue;
    fs.writeFileSync(file, quiet(source, file));
    classes++;
}
if (classes === 0) throw new Error(`${dir}: no resource class (static readonly __pulumiType)`);
fs.appendFileSync(path.join(dir, "utilities.ts"), HELPER);
console.error(`quiet-stacks: ${classes} resource classes`);
