// PythonEnv inputs and outputs: a venv made with the module's Python, holding an app's pinned requirements.
import { z } from "zod";
import { absPath, name } from "../../apache";
import { ENV_ROOT } from "../../layout";

/** A requirement line for pip -r: no options (leading -), no line breaks, no shell or path tricks. */
export const requirement = z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-[\],<>=!~ ;*'"]*$/, "must be a requirement specifier like flask==3.1.2");

export const inputs = z
    .object({
        name: name().describe(`Environment name; the venv lives at ${ENV_ROOT}/<name>. Changing it replaces the venv.`),
        python: absPath()
            .default("/usr/bin/python3")
            .describe("Interpreter for the venv: must be the one the WsgiModule is built with."),
        requirements: z
            .array(requirement)
            .max(500)
            .default([])
            .describe("pip requirement specifiers, ideally pinned (flask==3.1.2)."),
        requirementsFile: z
            .string()
            .min(1)
            .optional()
            .describe(
                "A local requirements.txt (specifiers, comments, --hash options), " +
                    "uploaded and installed after `requirements`.",
            ),
        wheels: z
            .string()
            .min(1)
            .optional()
            .describe(
                "A local directory of .whl files, uploaded; " +
                    "pip then installs from it alone (--no-index), for hosts without PyPI.",
            ),
        requirementsSha256: z
            .string()
            .optional()
            .describe("SHA-256 of requirementsFile and the wheels: computed at preview."),
    })
    .strict();

export const outputs = z.object({
    path: z.string().describe("Path of the venv (use as DaemonProcess pythonHome)."),
    pythonVersion: z.string().describe("Python version of the venv (X.Y.Z)."),
    freezeSha256: z.string().describe("SHA-256 of `pip freeze` (live after refresh)."),
    appliedFreezeSha256: z.string().describe("SHA-256 of `pip freeze` right after the last apply."),
});

export type PythonEnvInputs = z.infer<typeof inputs>;
export type PythonEnvState = PythonEnvInputs & z.infer<typeof outputs>;
