// Facts about the mod_wsgi module on a host: which one this provider loads (its LoadModule file records
// version and ABI), and what the host really has (pip's or dpkg's version, its Python, the .so's hash).
import { directive } from "../apache";
import { MODULE_LOAD } from "../layout";
import { sh } from "../remote/sh";
import { scriptFact, type Fact } from "./fact";
import { parsePythonInfo, type PythonInfo } from "./python";

export interface LoadedModule {
    version: string;
    abi: string;
    modulePath: string;
}

/** Version and Python ABI of the module, from the LoadModule file's `# mod_wsgi X for ABI` line. */
export function parseLoad(text: string): LoadedModule {
    const m = /^# mod_wsgi (\S+) for (\S+)$/m.exec(text);
    return {
        version: m?.[1] ?? "unknown",
        abi: m?.[2] ?? "unknown",
        modulePath: directive(text, "LoadModule")?.[1] ?? "",
    };
}

/** The module this provider loads on the host; undefined when there is none yet. */
export const loadedModule: Fact<LoadedModule | undefined> = {
    name: "loaded module",
    command: sh`cat ${MODULE_LOAD}`,
    parse: (r) => (r.code === 0 ? parseLoad(r.stdout) : undefined),
};

export interface ModuleBuild {
    /** The version pip (or dpkg, for Debian's package) reports; undefined when the venv is gone. */
    version?: string;
    python?: PythonInfo;
    /** undefined when the .so is missing. */
    moduleSha256?: string;
}

export function parseModuleBuild(f: Record<string, string>): ModuleBuild {
    return { version: f.version || undefined, python: parsePythonInfo(f), moduleSha256: f.module_sha256 || undefined };
}

/** What the host has at `so`: built in `venv`, or Debian's package when venv is "". */
export const moduleBuild = (so: string, venv: string): Fact<ModuleBuild> =>
    scriptFact("module-facts", [so, venv], parseModuleBuild);
