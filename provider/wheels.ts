// Local directories of wheels (PythonEnv.wheels, WsgiModule.buildWheels): listed, hashed at preview so a
// change of them is a change of the resource, and packed as one tar for the upload.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The .whl files in `dir`, sorted; `property` (e.g. `PythonEnv.wheels`) names the input in errors. */
export function wheelFiles(dir: string, property: string): string[] {
    const d = path.resolve(dir);
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new Error(`${property}: ${d} is not a directory`);
    return fs
        .readdirSync(d)
        .filter((f) => f.endsWith(".whl"))
        .sort()
        .map((f) => path.join(d, f));
}

/** Names and contents of the files, as one hash. */
export function filesSha256(files: string[], h = createHash("sha256")): string {
    for (const f of files) h.update(path.basename(f)).update(fs.readFileSync(f));
    return h.digest("hex");
}

/**
 * The files (all in one directory) as an uncompressed tar. Names go after `--`, so a file named like an
 * option (`--use-compress-program=...`) is packed as a file, never run.
 */
export function tarOf(files: string[]): Buffer {
    const names = files.map((f) => path.basename(f));
    return execFileSync("tar", ["-cf", "-", "-C", path.dirname(files[0]), "--", ...names], { maxBuffer: 2 ** 30 });
}
