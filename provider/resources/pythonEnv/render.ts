// Pure: the requirements file pip gets on the host, and the check of a local requirements file's lines.
import { requirement } from "./schema";

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
                `PythonEnv.requirementsFile: line ${n + 1} ${JSON.stringify(raw.slice(0, 80))} ` +
                    "is not a requirement specifier (pip options other than --hash are refused)",
            );
        }
    });
    return text;
}

/** The requirements file pip gets on the host: the listed specifiers, then the local file's lines. */
export function renderRequirements(requirements: string[], file?: string): string {
    return requirements.join("\n") + (file === undefined ? "" : `\n${file}`) + "\n";
}
