// PythonEnv: a venv made with the module's Python, holding an app's pinned requirements.
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { run, runScript } from "../../remote/scripts";
import { sh } from "../../remote/sh";
import { absPath, name } from "../../apache";
import type { Ctx, ResourceModule } from "../../resource";

// A requirement line for pip -r: no options (leading -), no line breaks, no shell or path tricks.
const requirement = z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ;*'"]*$/, "must be a requirement specifier like flask==3.1.2");

export const inputs = z
    .object({
        name: name().describe("Environment name; the venv lives at /opt/modwsgi/envs/<name>. Changing it replaces the venv."),
        python: absPath().default("/usr/bin/python3").describe("Interpreter for the venv: must be the one the WsgiModule is built with."),
        requirements: z.array(requirement).max(500).default([]).describe("pip requirement specifiers, ideally pinned (flask==3.1.2)."),
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

async function sync(ctx: Ctx, i: PythonEnvInputs): Promise<PythonEnvState> {
    const path = envPath(i.name);
    const reqs = `/var/lib/modwsgi/stage/requirements-${randomBytes(6).toString("hex")}.txt`;
    await run(ctx.host, sh`mkdir -p -m 700 /var/lib/modwsgi/stage`);
    await ctx.host.writeFile(reqs, i.requirements.join("\n") + "\n", 0o600);
    ctx.log.status(`pip install ${i.requirements.length} requirement(s) into ${path}`);
    const facts = await runScript(ctx.host, "sync-venv", [path, i.python, reqs]);
    return { ...i, path, pythonVersion: facts.python_version, freezeSha256: facts.freeze_sha256, appliedFreezeSha256: facts.freeze_sha256 };
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
    claims: (i) => [{ key: `env:${i.name}`, property: "name", what: `Python environment "${i.name}"` }],
    id: (i) => i.name,
    create: (ctx, i) => sync(ctx, i),
    update: (ctx, _olds, news) => sync(ctx, news),
    async read(ctx, id, olds) {
        const path = envPath(olds?.name ?? id);
        const res = await run(
            ctx.host,
            sh`${path + "/bin/python"} -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' && ${path + "/bin/pip"} freeze --disable-pip-version-check | sha256sum`,
        );
        if (res.code !== 0) return null;
        const [pythonVersion, freeze] = res.stdout.trim().split("\n");
        const freezeSha256 = freeze.split(" ")[0];
        return {
            name: olds?.name ?? id,
            python: olds?.python ?? "/usr/bin/python3",
            requirements: olds?.requirements ?? [],
            path,
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
