// PythonEnv lifecycle: a venv made with the module's Python (checked against the loaded mod_wsgi's ABI),
// holding an app's pinned requirements; drift is a change of `pip freeze`.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { removeOwned } from "../../remote/remove";
import { readFiles, runScript } from "../../remote/scripts";
import { parseRecord, renderRecord, writeRecord } from "../../records";
import { sh } from "../../remote/sh";
import { MODULE_LOAD, STAGE_ROOT, envInputsFile, envPath } from "../../layout";
import { gather, venvState } from "../../facts";
import { filesSha256, tarOf, wheelFiles } from "../../wheels";
import { defineResource, type Ctx } from "../../resource";
import { inputs, outputs, type PythonEnvInputs, type PythonEnvState } from "./schema";
import { checkRequirementsFile, renderRequirements } from "./render";

function wheels(dir: string): string[] {
    const files = wheelFiles(dir, "PythonEnv.wheels");
    if (files.length === 0) throw new Error(`PythonEnv.wheels: ${path.resolve(dir)} holds no .whl files`);
    return files;
}

/** Reads the local files the inputs name: a change in them is a change of the environment. */
function normalize(i: PythonEnvInputs): PythonEnvInputs {
    if (!i.requirementsFile && !i.wheels) return i;
    const h = createHash("sha256");
    if (i.requirementsFile) h.update(checkRequirementsFile(fs.readFileSync(path.resolve(i.requirementsFile), "utf8")));
    return { ...i, requirementsSha256: filesSha256(i.wheels ? wheels(i.wheels) : [], h) };
}

async function sync(ctx: Ctx, i: PythonEnvInputs): Promise<PythonEnvState> {
    const venv = envPath(i.name);
    const stage = `${STAGE_ROOT}/env-${i.name}-${randomBytes(6).toString("hex")}`;
    await ctx.host.exec(sh`mkdir -p -m 700 ${stage}`);
    const file = i.requirementsFile ? fs.readFileSync(path.resolve(i.requirementsFile), "utf8") : undefined;
    await ctx.host.writeFile(`${stage}/requirements.txt`, renderRequirements(i.requirements, file), 0o600);
    if (i.wheels) {
        const files = wheels(i.wheels);
        ctx.log.status(`uploading ${files.length} wheel(s) for an offline install`);
        await ctx.host.writeFile(`${stage}/wheels.tar`, tarOf(files), 0o600);
    }
    ctx.log.status(`pip install into ${venv}${i.wheels ? " from the uploaded wheels only" : ""}`);
    const facts = await runScript(ctx.host, "sync-venv", [venv, i.python, stage, MODULE_LOAD]);
    // What the program asked for (freeze lists every dependency too): what an import reads back.
    await writeRecord(ctx, envInputsFile(venv), renderRecord(i, RECORDED), "PythonEnv.name");
    return {
        ...i,
        path: venv,
        pythonVersion: facts.python_version,
        freezeSha256: facts.freeze_sha256,
        appliedFreezeSha256: facts.freeze_sha256,
    };
}

/** The inputs nothing in the venv shows, recorded in it. */
const RECORDED = ["python", "requirements", "requirementsFile", "wheels", "requirementsSha256"] as const;

export const pythonEnv = defineResource<PythonEnvInputs, PythonEnvState>({
    token: "modwsgi:index:PythonEnv",
    description: "A Python virtual environment with pinned requirements, for a daemon group's python-home.",
    inputs,
    outputs,
    replaceOn: ["name"],
    usesModulePython: true,
    claims: (i) => [{ key: `env:${i.name}`, property: "name", what: `Python environment "${i.name}"` }],
    normalize,
    internal: ["requirementsSha256"],
    // A requirement may carry a token (git+https://token@...).
    importSecrets: ["requirements"],
    configless: true,
    id: (i) => i.name,
    create: (ctx, i) => sync(ctx, i),
    update: (ctx, _olds, news) => sync(ctx, news),
    async read(ctx, id, olds) {
        const venv = envPath(olds?.name ?? id);
        const live = await gather(ctx.host, venvState(venv));
        if (!live) return null;
        // An import: what the program asked for, as the last sync recorded it.
        const [text] = olds ? [] : (await readFiles(ctx.host, [envInputsFile(venv)])).files;
        const asked = parseRecord<PythonEnvInputs>(text, RECORDED, inputs.shape);
        return {
            ...asked,
            ...olds,
            name: olds?.name ?? id,
            python: olds?.python ?? asked.python ?? "/usr/bin/python3",
            requirements: olds?.requirements ?? asked.requirements ?? [],
            path: venv,
            pythonVersion: live.python.version,
            freezeSha256: live.freezeSha256,
            appliedFreezeSha256: olds?.appliedFreezeSha256 ?? live.freezeSha256,
        };
    },
    async delete(ctx, olds) {
        await removeOwned(ctx.host, [envPath(olds.name)], "PythonEnv.name");
    },
    drift: (olds) => (olds.freezeSha256 !== olds.appliedFreezeSha256 ? ["freezeSha256"] : []),
});
