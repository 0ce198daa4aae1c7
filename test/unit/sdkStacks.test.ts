// The TypeScript SDK's resource classes register with stack traces paused (scripts/sdkgen/quiet-stacks.mjs): Pulumi
// records a stack for each promise behind every property Output and reads them only for PULUMI_DEBUG_PROMISE_LEAKS.
// Counted here as the stacks V8 formats while one DaemonProcess (49 properties) is constructed under Pulumi's mocks.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";

// Loaded untyped: the SDK is type-checked with its own tsconfig (provider.test.ts), not the tests' stricter one.
const SDK: string = "../../sdk/nodejs/daemonProcess";
let DaemonProcess: new (name: string, args: { name: string }, opts?: pulumi.CustomResourceOptions) => unknown;

/** Stacks with at least one frame that V8 formats while `f` runs. */
function framedStacks(f: () => void): number {
    const before = Error.prepareStackTrace;
    let n = 0;
    Error.prepareStackTrace = (e, frames) => {
        if (frames.length > 0) n++;
        return before ? before(e, frames) : `${e}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    };
    try {
        f();
    } finally {
        Error.prepareStackTrace = before;
    }
    return n;
}

describe("SDK resource constructors and stack traces", () => {
    beforeAll(async () => {
        ({ DaemonProcess } = await import(SDK));
        pulumi.runtime.setMocks(
            {
                newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
                call: (a) => a.inputs,
            },
            "project",
            "stack",
            true,
        );
    });
    afterEach(() => {
        delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    });

    it("formats almost no stacks while a DaemonProcess registers, and restores Error.stackTraceLimit", () => {
        const limit = Error.stackTraceLimit;
        const quiet = framedStacks(() => new DaemonProcess("quiet", { name: "quiet" }));
        expect(Error.stackTraceLimit).toBe(limit);
        // Pulumi's own source-position lookup (Resource.callsites) still records one: its limit is its own.
        expect(quiet).toBeLessThan(10);
    });

    it("records every stack as before when PULUMI_DEBUG_PROMISE_LEAKS is set", () => {
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
        // Four promises per declared property: 49 inputs and the outputs.
        expect(framedStacks(() => new DaemonProcess("loud", { name: "loud" }))).toBeGreaterThan(4 * 49);
    });

    it("gives an error thrown during registration a stack from the program's line", () => {
        const limit = Error.stackTraceLimit;
        let err: Error | undefined;
        try {
            // Pulumi refuses a parent that is not a resource, inside the constructor's super().
            new DaemonProcess("orphan", { name: "orphan" }, { parent: {} as pulumi.Resource });
        } catch (e) {
            err = e as Error;
        }
        expect(Error.stackTraceLimit).toBe(limit);
        expect(err, "the constructor should have thrown").toBeInstanceOf(Error);
        expect(err!.stack).toContain(err!.message);
        expect(err!.stack).toContain("sdkStacks.test.ts");
    });
});
