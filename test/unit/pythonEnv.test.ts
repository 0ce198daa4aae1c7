import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkRequirementsFile, pythonEnv, renderRequirements } from "../../provider/resources/pythonEnv";
import { checkInputs, type ResourceModule } from "../../provider/resource";

const mod = pythonEnv as unknown as ResourceModule;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "env-"));

describe("PythonEnv render (golden files)", () => {
    it("stages the listed specifiers, then the requirements file (env-requirements.txt)", () => {
        const file = `# from requirements.txt\nwerkzeug==3.1.3 \\\n    --hash=sha256:${"b".repeat(64)}\n`;
        expect(renderRequirements(["flask==3.1.2", "gunicorn>=23"], checkRequirementsFile(file))).toBe(
            fs.readFileSync(path.join(__dirname, "golden", "env-requirements.txt"), "utf8"),
        );
        expect(renderRequirements(["flask==3.1.2"])).toBe("flask==3.1.2\n");
    });
});

describe("PythonEnv requirements file", () => {
    it("accepts specifiers, comments and --hash pins", () => {
        const text = `# pinned\nflask==3.1.2 \\\n    --hash=sha256:${"a".repeat(64)}\nwerkzeug>=3.0 ; python_version >= "3.10"  # why\n\n`;
        expect(() => checkRequirementsFile(text)).not.toThrow();
    });

    it.each([["--index-url http://x/simple"], ["-e git+https://x/y.git"], ["-r other.txt"], ["flask; $(id)"]])(
        "refuses %j naming the line",
        (line) => {
            expect(() => checkRequirementsFile(`flask==3.1.2\n${line}\n`)).toThrow(
                /requirementsFile: line 2 .* is not a requirement specifier/,
            );
        },
    );

    it("fails check naming requirementsFile, and hashes the file so an edit is a change", () => {
        const dir = tmp();
        const file = path.join(dir, "requirements.txt");
        fs.writeFileSync(file, "--extra-index-url http://x\n");
        expect(checkInputs(mod, { name: "e", requirementsFile: file }).failures[0].property).toBe("requirementsFile");
        fs.writeFileSync(file, "flask==3.1.2\n");
        const a = checkInputs(mod, { name: "e", requirementsFile: file }).inputs.requirementsSha256;
        fs.writeFileSync(file, "flask==3.1.1\n");
        const b = checkInputs(mod, { name: "e", requirementsFile: file }).inputs.requirementsSha256;
        expect(a).toMatch(/^[0-9a-f]{64}$/);
        expect(b).not.toBe(a);
    });

    it("refuses a wheels directory without wheels", () => {
        expect(checkInputs(mod, { name: "e", wheels: tmp() }).failures[0]).toEqual({
            property: "wheels",
            reason: expect.stringMatching(/no \.whl files/),
        });
    });
});
