// Facts about the mod_wsgi module on a host: which one this provider loads (its LoadModule file records
// version and ABI), and what the host really has (pip's or dpkg's version, its Python, the .so's hash).
import { directive } from "../apache";
import {
    APACHE_CONF,
    CONF_ENABLED,
    MODS_ENABLED,
    MODULE_LOAD,
    MODULE_LOAD_LINK,
    MODWSGI_D,
    PORTS_CONF,
    SITES_ENABLED,
} from "../layout";
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
    /**
     * What the .so should hash to: recorded in the venv at build time, or (Debian's package) its live hash when dpkg
     * finds it as installed; undefined when nothing records it (a venv an earlier release built).
     */
    builtSha256?: string;
    /** Whether Apache's parent process runs; undefined from an older script. */
    apacheRunning?: boolean;
}

export function parseModuleBuild(f: Record<string, string>): ModuleBuild {
    return {
        version: f.version || undefined,
        python: parsePythonInfo(f),
        moduleSha256: f.module_sha256 || undefined,
        builtSha256: f.built_sha256 || undefined,
        apacheRunning: f.apache_running === undefined ? undefined : f.apache_running === "1",
    };
}

/** What the host has at `so`: built in `venv` (its build record at `record`), or Debian's package when venv is "". */
export const moduleBuild = (so: string, venv: string, record: string): Fact<ModuleBuild> =>
    scriptFact("module-facts", [so, venv, record], parseModuleBuild);

/** Files Apache reads at server scope (Debian's apache2.conf includes these), where a LoadModule can be. */
const SERVER_FILES =
    sh`${APACHE_CONF} ${PORTS_CONF} ${MODS_ENABLED}` +
    "/*.load " +
    sh`${MODS_ENABLED}` +
    "/*.conf " +
    sh`${CONF_ENABLED}` +
    "/*.conf " +
    sh`${SITES_ENABLED}` +
    "/*.conf " +
    sh`${MODWSGI_D}` +
    "/*.conf";

/** An active (not commented) LoadModule of mod_wsgi's id; Apache's directive names are case-insensitive. */
const LOAD_LINE = "^[[:space:]]*LoadModule[[:space:]]+wsgi_module([[:space:]]|$)";

/**
 * Enabled files other than ours that load wsgi_module: Apache keeps the first it reads and skips the rest, so
 * another mod_wsgi may be the one serving. A file that is ours under another name (a link to it) is not one.
 */
export const otherWsgiLoads: Fact<string[]> = {
    name: "other LoadModule wsgi_module lines",
    // One grep over every file (a refresh reads this on each host: one process, not two for each of ~60 files);
    // xargs splits a list too long for one command line (printf is the shell's own: no such limit); -s: a glob that
    // matched nothing or a dangling link is no error; -d/-D skip: only files are read, never a FIFO.
    command:
        sh`ours=$(readlink -f ${MODULE_LOAD} 2>/dev/null || true); printf '%s\\0' ` +
        SERVER_FILES +
        sh` | xargs -0 grep -lisE -d skip -D skip ${LOAD_LINE} --` +
        ` | while IFS= read -r f; do [ "$(readlink -f "$f")" != "$ours" ] || continue; printf '%s\\n' "$f"; done; true`,
    parse: (r) => parseWsgiLoads(r.stdout),
};

/** The scan's output: one path a line; ours (the enabled link) never counts. */
export function parseWsgiLoads(stdout: string): string[] {
    const files = stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("/") && l !== MODULE_LOAD_LINK && l !== MODULE_LOAD);
    return [...new Set(files)];
}
