// The app code both tools deploy: copies of examples/flask-hello/app, one shared by apps 2..N and one for app 1,
// whose greeting a code-only change (P2) rewrites.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./hosts.mjs";

const SRC = path.join(REPO, "bench/.work/src");
export const sources = { source: path.join(SRC, "shared"), app1Source: path.join(SRC, "app1") };

/** Fresh copies of the example's app (a tool's phase starts from the same code). */
export function resetSources() {
    fs.rmSync(SRC, { recursive: true, force: true });
    for (const dir of Object.values(sources)) {
        fs.cpSync(path.join(REPO, "examples/flask-hello/app"), dir, { recursive: true });
    }
}

/** A code-only change of app 1: its default greeting becomes `Hello rN`. Returns the text it will serve. */
export function setRevision(n) {
    const file = path.join(sources.app1Source, "hello.py");
    const text = fs.readFileSync(file, "utf8");
    const next = text.replace(/os\.environ\.get\('GREETING', '[^']*'\)/, `os.environ.get('GREETING', 'Hello r${n}')`);
    if (next === text && !text.includes(`'Hello r${n}'`)) throw new Error(`no greeting to change in ${file}`);
    fs.writeFileSync(file, next);
    return `Hello r${n} from Flask`;
}
