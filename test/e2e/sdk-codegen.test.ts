// e2e-group: sdks (no sandbox host; run beside the host groups, since building the generator takes minutes cold)
// sdk/nodejs, sdk/python and sdk/go are written by Pulumi's own code generators (scripts/sdkgen.sh) from
// schema.json: regenerating into a temp directory must give the committed trees byte for byte.
// The first run on a machine builds the generator from the Go module proxy (minutes, see scripts/sdkgen.sh);
// later runs reuse the cached binary and take a few seconds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");
const LANGUAGES = ["nodejs", "python", "go"];
// What building or installing an SDK in place leaves behind (each generated .gitignore lists these): not output.
const LOCAL_ONLY = new Set(["node_modules", "bin", "__pycache__", ".mypy_cache", "build", "dist"]);

function generate(schemaFile: string): string {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "sdkgen-"));
    const r = spawnSync("sh", [path.join(REPO, "scripts/sdkgen.sh"), schemaFile, out], {
        cwd: REPO,
        encoding: "utf8",
        timeout: 20 * 60_000,
    });
    expect(r.status, `scripts/sdkgen.sh failed:\n${r.stderr}`).toBe(0);
    return out;
}

/** Every file under dir, relative path -> contents. */
function tree(dir: string): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const p = path.join(rel, e.name);
            if (e.isDirectory()) {
                if (!LOCAL_ONLY.has(e.name) && !e.name.endsWith(".egg-info")) walk(p);
            } else files.set(p, fs.readFileSync(path.join(dir, p)));
        }
    };
    walk("");
    return files;
}

/** Paths that differ between two trees (missing on either side or different bytes). */
function differences(a: string, b: string): string[] {
    const ta = tree(a);
    const tb = tree(b);
    const names = [...new Set([...ta.keys(), ...tb.keys()])].sort();
    return names.filter((n) => !ta.has(n) || !tb.has(n) || !ta.get(n)!.equals(tb.get(n)!));
}

describe("SDKs from Pulumi's code generators", () => {
    let out = "";
    beforeAll(() => {
        out = generate(path.join(REPO, "schema.json"));
    }, 20 * 60_000);
    afterAll(() => {
        if (out) fs.rmSync(out, { recursive: true, force: true });
    });

    it.each(LANGUAGES)("sdk/%s is what scripts/sdkgen.sh generates from schema.json", (language) => {
        const diff = differences(path.join(REPO, "sdk", language), path.join(out, language));
        expect(diff, `stale sdk/${language}: run \`npm run gen:sdk\` and commit the result`).toEqual([]);
        expect(tree(path.join(out, language)).size).toBeGreaterThan(10);
    });

    it("a changed schema.json gives different SDKs (the comparison above catches a stale sdk/)", () => {
        const schema = JSON.parse(fs.readFileSync(path.join(REPO, "schema.json"), "utf8"));
        const app = schema.resources["modwsgi:index:Application"];
        app.inputProperties.mountPoint.description += " Changed.";
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdkgen-schema-"));
        const changed = path.join(dir, "schema.json");
        fs.writeFileSync(changed, JSON.stringify(schema, null, 2) + "\n");
        const out = generate(changed);
        try {
            for (const language of LANGUAGES) {
                const diff = differences(path.join(REPO, "sdk", language), path.join(out, language));
                expect(diff.length, `sdk/${language} did not change`).toBeGreaterThan(0);
            }
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
