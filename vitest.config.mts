import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 30_000,
        // End-to-end files destroy their stacks in afterAll: a `pulumi destroy` of several hosts takes longer than
        // vitest's default 10 s for a hook.
        hookTimeout: 10 * 60_000,
        // End-to-end steps share one stack and one host: run files one at a time.
        fileParallelism: false,
        reporters: ["default"],
    },
});
