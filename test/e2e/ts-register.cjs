// Loads the test programs' TypeScript (and the TypeScript SDK they import) through esbuild: the harness runs
// them with `typescript: false` and this file in `nodeargs` (test/e2e/harness.ts). Pulumi's own path, ts-node with
// the TypeScript compiler and source-mapped stack traces, cost ~0.7 s of CPU per program run, over the suite's ~700
// runs; the programs are type-checked once, by the unit tests (test/unit/provider.test.ts). The examples, the
// README's quickstart and the out-of-repo package test still run the way a user's program does.
"use strict";
const fs = require("node:fs");
const esbuild = require("esbuild");

require.extensions[".ts"] = (module, filename) => {
    const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), {
        loader: "ts",
        format: "cjs",
        target: "node22",
        sourcefile: filename,
        // As ts-node compiles them for Pulumi: a class field is assigned in the constructor, not defined over
        // what the base class set.
        tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
    });
    module._compile(code, filename);
};
