// e2e-group: sdks (no sandbox host; run beside the host groups, since building the generator takes minutes cold)
// The generated SDKs work for their languages: the Go SDK compiles into a real program, the Python SDK builds as
// a wheel that imports and type-checks. Both fetch their tools and dependencies on first use (Go modules from the
// module proxy, a PyPI venv in $MODWSGI_CACHE/py-sdk) and are cached after that.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "../..");
const GO_EXAMPLE = path.join(REPO, "examples/go-build");

/** The version of a module a go.mod requires. */
function required(goMod: string, module: string): string | undefined {
    const text = fs.readFileSync(goMod, "utf8");
    return new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[./]/g, "\\$&")} (v\\S+)`, "m").exec(text)?.[1];
}

describe("Go SDK (sdk/go)", () => {
    it("examples/go-build uses the Pulumi Go SDK version the generated go.mod asks for", () => {
        const wanted = required(path.join(REPO, "sdk/go/go.mod"), "github.com/pulumi/pulumi/sdk/v3");
        expect(wanted).toMatch(/^v3\./);
        expect(required(path.join(GO_EXAMPLE, "go.mod"), "github.com/pulumi/pulumi/sdk/v3")).toBe(wanted);
    });

    it("compiles into examples/go-build (go build, module replaced by sdk/go)", { timeout: 20 * 60_000 }, () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "go-build-"));
        try {
            const r = spawnSync("go", ["build", "-o", path.join(out, "go-build"), "."], {
                cwd: GO_EXAMPLE,
                encoding: "utf8",
                // readonly: the committed go.sum must pin everything; the test never edits go.mod.
                env: { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly -buildvcs=false" },
                timeout: 20 * 60_000,
            });
            expect(r.status, `go build failed:\n${r.stderr}`).toBe(0);
            expect(fs.statSync(path.join(out, "go-build")).size).toBeGreaterThan(1_000_000);
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });
});

describe("Python SDK (sdk/python)", () => {
    it("builds as a wheel that imports; a program type-checks with mypy and pyright", { timeout: 20 * 60_000 }, () => {
        const r = spawnSync("sh", [path.join(REPO, "scripts/sdkgen/check-python.sh")], {
            cwd: REPO,
            encoding: "utf8",
            timeout: 20 * 60_000,
        });
        expect(r.status, `check-python.sh failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/^imports: pulumi_modwsgi .*\bApplication\b.*\bWsgiModule\b/m);
        expect(r.stderr).toMatch(/wrong_types\.py: each of its [1-9]\d* wrong lines refused by mypy and pyright/);
    });
});

describe("TypeScript SDK from Pulumi's generator (sdk/nodejs)", () => {
    it(
        "type-checks with its own tsconfig (strict), against this repository's @pulumi/pulumi",
        { timeout: 5 * 60_000 },
        () => {
            const r = spawnSync(
                path.join(REPO, "node_modules/.bin/tsc"),
                ["-p", "sdk/nodejs/tsconfig.json", "--noEmit"],
                { cwd: REPO, encoding: "utf8", timeout: 5 * 60_000 },
            );
            expect(r.status, `tsc failed:\n${r.stdout}${r.stderr}`).toBe(0);
        },
    );
});
