// typescript-eslint's recommended rules over the provider, the tests and the examples; Prettier owns layout.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", "test/e2e/.work/", "bench/.work/", "sdk/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
            ],
        },
    },
    {
        // The benchmark scripts: plain Node ES modules.
        files: ["bench/**/*.mjs"],
        languageOptions: {
            globals: { console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" },
        },
    },
    {
        // A user's plain CommonJS program (the package test): Node's globals, require.
        files: ["test/e2e/programs/packaged/*.js", "test/e2e/ts-register.cjs"],
        languageOptions: {
            sourceType: "commonjs",
            globals: { require: "readonly", exports: "writable", module: "writable", process: "readonly" },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
