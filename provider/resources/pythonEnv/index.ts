// PythonEnv: a venv made with the module's Python, holding an app's pinned requirements.
import { z } from "zod";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { run, runScript } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { absPath, name } from "../../apache";
import { filesSha256, tarOf, wheelFiles } from "../../wheels";
import type { Ctx, ResourceModule } from "../../resource";

// A requirement line for pip -r: no options (leading -), no line breaks, no shell or path tricks.
const requirement = z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-[\],<>=!~ ;*'"]*$/, "must be a requirement specifier like flask==3.1.2");

export const inputs = z
    .object({
        name: name().describe(
            "Environment name; the venv lives at /opt/modwsgi/envs/<name>. Changing it replaces the venv.",
        ),
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
                "A local requirements.txt (specifiers, comments, --hash options), uploaded and installed after `requirements`.",
            ),
        wheels: z
            .string()
            .min(1)
            .optional()
            .describe(
                "A local directory of .whl files, uploaded; pip then installs from it alone (--no-index), for hosts without PyPI.",
            ),
        requirementsSha256: z
            .string()
            .optional()
            .describe("SHA-256 of requirementsFile and the wheels: computed at preview."),
    })
    .strict();

export type PythonEnvInputs = z.infer<typeof inputs>;
export type PythonEnvState = PythonEnvInputs & {
    path: string;
    pythonVersion: string;
    freezeSha256: string;
    appliedFreezeSha256: string;
};

export const envPath = (name: string) => `/opt/modwsgi/envs/${name}`;

/** The lines pip may get from a requirements file: specifiers, comments, and --hash pins; never other options. */
export function checkRequirementsFile(text: string): string {
    text.split("\n").forEach((raw, n) => {
        const line = raw.replace(/\s+#.*$/, "").trim();
        if (!line || line.startsWith("#")) return;
        // --hash pins may follow the specifier or stand on continuation lines of their own.
        const spec = line
            .replace(/\s*\\$/, "")
            .replace(/(^|\s+)--hash=sha256:[0-9a-f]{64}/g, "")
            .trim();
        if (spec && !requirement.safeParse(spec).success) {
            throw new Error(
                `PythonEnv.requirementsFile: line ${n + 1} ${JSON.stringify(raw.slice(0, 80))} is not a requirement specifier (pip options other than --hash are refused)`,
            );
        }
    });
    return text;
}

function wheels(dir: string): string[] {
    const files = wheelFiles(dir, "PythonEnv.wheels");
    if (files.length === 0) throw new Error(`PythonEnv.wheels: ${path.resolve(dir)} holds no .whl files`);
    return files;
}

/** The requirements file pip gets on the host: the listed specifiers, then the local file's lines. */
export function renderRequirements(requirements: string[], file?: string): string {
    return requirements.join("\n") + (file === undefined ? "" : `\n${file}`) + "\n";
}

/** Reads the local files the inputs name: a change in them is a change of the environment. */
export function normalize(i: PythonEnvInputs): PythonEnvInputs {
    if (!i.requirementsFile && !i.wheels) return i;
    const h = createHash("sha256");
    if (i.requirementsFile) h.update(checkRequirementsFile(fs.readFileSync(path.resolve(i.requirementsFile), "utf8")));
    return { ...i, requirementsSha256: filesSha256(i.wheels ? wheels(i.wheels) : [], h) };
}

async function sync(ctx: Ctx, i: PythonEnvInputs): Promise<PythonEnvState> {
    const venv = envPath(i.name);
    const stage = `/var/lib/modwsgi/stage/env-${i.name}-${randomBytes(6).toString("hex")}`;
    await run(ctx.host, sh`mkdir -p -m 700 ${stage}`);
    const file = i.requirementsFile ? fs.readFileSync(path.resolve(i.requirementsFile), "utf8") : undefined;
    await ctx.host.writeFile(`${stage}/requirements.txt`, renderRequirements(i.requirements, file), 0o600);
    if (i.wheels) {
        const files = wheels(i.wheels);
        ctx.log.status(`uploading ${files.length} wheel(s) for an offline install`);
        await ctx.host.writeFile(`${stage}/wheels.tar`, tarOf(files), 0o600);
    }
    ctx.log.status(`pip install into ${venv}${i.wheels ? " from the uploaded wheels only" : ""}`);
    const facts = await runScript(ctx.host, "sync-venv", [venv, i.python, stage]);
    return {
        ...i,
        path: venv,
        pythonVersion: facts.python_version,
        freezeSha256: facts.freeze_sha256,
        appliedFreezeSha256: facts.freeze_sha256,
    };
}

export const pythonEnv: ResourceModule<PythonEnvInputs, PythonEnvState> = {
    token: "modwsgi:index:PythonEnv",
    description: "A Python virtual environment with pinned requirements, for a daemon group's python-home.",
    inputs,
    outputs: {
        path: { type: "string", description: "Path of the venv (use as DaemonProcess pythonHome)." },
        pythonVersion: { type: "string", description: "Python version of the venv (X.Y.Z)." },
        freezeSha256: { type: "string", description: "SHA-256 of `pip freeze` (live after refresh)." },
        appliedFreezeSha256: { type: "string", description: "SHA-256 of `pip freeze` right after the last apply." },
    },
    replaceOn: ["name"],
    usesModulePython: true,
    claims: (i) => [{ key: `env:${i.name}`, property: "name", what: `Python environment "${i.name}"` }],
    normalize,
    internal: ["requirementsSha256"],
    id: (i) => i.name,
    create: (ctx, i) => sync(ctx, i),
    update: (ctx, _olds, news) => sync(ctx, news),
    async read(ctx, id, olds) {
        const venv = envPath(olds?.name ?? id);
        const res = await run(
            ctx.host,
            sh`${venv + "/bin/python"} -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' && ${venv + "/bin/pip"} freeze --disable-pip-version-check | sha256sum`,
        );
        if (res.code !== 0) return null;
        const [pythonVersion, freeze] = res.stdout.trim().split("\n");
        const freezeSha256 = freeze.split(" ")[0];
        return {
            ...olds,
            name: olds?.name ?? id,
            python: olds?.python ?? "/usr/bin/python3",
            requirements: olds?.requirements ?? [],
            path: venv,
            pythonVersion,
            freezeSha256,
            appliedFreezeSha256: olds?.appliedFreezeSha256 ?? freezeSha256,
        };
    },
    async delete(ctx, olds) {
        await run(ctx.host, sh`rm -rf ${envPath(olds.name)}`);
    },
    drift: (olds) => (olds.freezeSha256 !== olds.appliedFreezeSha256 ? ["freezeSha256"] : []),
};
