// Imported first by main.ts: the engine starts the plugin for every `pulumi` command, and compiling its modules
// was about a third of its start-up CPU. Node's compile cache keeps V8's compiled code between starts. The cache
// lives in a directory of the user's own (not Node's default under /tmp): compiled code read from a directory
// others can write would run as this user. Already on when NODE_COMPILE_CACHE is set; off when Node lacks it.
import * as fs from "node:fs";
import { enableCompileCache, getCompileCacheDir } from "node:module";
import * as os from "node:os";
import * as path from "node:path";

function privateCacheDir(): string | undefined {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    const dir = path.join(base, "pulumi-resource-modwsgi", "compile-cache");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0 ? dir : undefined;
}

// Already on also when the packaged plugin's entry turned it on before loading the bundle (which imports this too).
const alreadyOn = () => !!process.env.NODE_COMPILE_CACHE || !!getCompileCacheDir?.();

if (typeof enableCompileCache === "function" && !alreadyOn()) {
    try {
        const dir = privateCacheDir();
        if (dir) enableCompileCache(dir);
    } catch {
        // A cache is only an optimisation: a home without a writable .cache starts the plugin as before.
    }
}
