// Facts about Python on a host: an interpreter's version and ABI (native/lib.sh's python_info, the one
// place that asks), and a venv's state (its Python and a hash of `pip freeze`).
import { scriptFact, type Fact } from "./fact";

export interface PythonInfo {
    version: string;
    abi: string;
    executable: string;
    shared: boolean;
}

/** python_info's facts; undefined when the interpreter did not answer. */
export function parsePythonInfo(f: Record<string, string>): PythonInfo | undefined {
    if (!f.python_version) return undefined;
    return {
        version: f.python_version,
        abi: f.python_abi ?? "",
        executable: f.python_executable ?? "",
        shared: f.python_shared === "1",
    };
}

export interface VenvState {
    python: PythonInfo;
    freezeSha256: string;
}

export function parseVenv(f: Record<string, string>): VenvState | undefined {
    const python = parsePythonInfo(f);
    return python && f.freeze_sha256 ? { python, freezeSha256: f.freeze_sha256 } : undefined;
}

/** The venv at `venv`; undefined when there is none (or it cannot run). */
export const venvState = (venv: string): Fact<VenvState | undefined> =>
    scriptFact("venv-facts", [venv], (f, r) => (r.code === 0 ? parseVenv(f) : undefined));
