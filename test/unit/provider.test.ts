import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { fromStruct, toStruct, secret } from "../../provider/marshal";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { schema } from "../../provider/schema";
import { treeSha256, REMOTE_TREE_SHA } from "../../provider/resources/application/source";
import { render as renderApp, renderLoader, renderEnv, parse as parseApp, inputs as appInputs } from "../../provider/resources/application";
import { parseFacts } from "../../provider/remote/scripts";

describe("marshal", () => {
    it("unwraps secrets, remembers which properties held one, and wraps them again", () => {
        const s = Struct.fromJavaScript({ a: "x", b: secret("hidden") as never, c: { d: secret(1) as never } });
        const { props, secrets } = fromStruct(s);
        expect(props).toEqual({ a: "x", b: "hidden", c: { d: 1 } });
        expect([...secrets].sort()).toEqual(["b", "c"]);
        const back = toStruct(props, secrets).toJavaScript() as Record<string, unknown>;
        expect(back.b).toEqual(secret("hidden"));
        expect(back.a).toBe("x");
    });

    it("drops undefined values instead of throwing", () => {
        expect(toStruct({ a: undefined, b: 1 }).toJavaScript()).toEqual({ b: 1 });
    });
});

describe("schema and SDK agree", () => {
    const sdk = fs.readFileSync(path.join(__dirname, "../../sdk/nodejs/index.ts"), "utf8");
    const s = schema();
    const argNames = (iface: string) => {
        const block = sdk.slice(sdk.indexOf(`export interface ${iface} `));
        return [...block.slice(0, block.indexOf("\n}")).matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]);
    };
    it("Provider: the SDK's ProviderArgs (with HopArgs) are exactly the provider config", () => {
        expect([...argNames("HopArgs"), ...argNames("ProviderArgs")].sort()).toEqual(Object.keys(s.provider.inputProperties).sort());
    });
    for (const [token, res] of Object.entries(s.resources) as [string, { inputProperties: object; properties: object }][]) {
        const cls = token.split(":")[2];
        it(`${cls}: every schema input is an SDK argument and every SDK argument is in the schema`, () => {
            const block = sdk.slice(sdk.indexOf(`export interface ${cls}Args {`));
            const body = block.slice(0, block.indexOf("\n}"));
            const sdkProps = [...body.matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1]).sort();
            expect(sdkProps).toEqual(Object.keys(res.inputProperties).filter((k) => k !== "sourceSha256").sort());
        });
        it(`${cls}: SDK output names exist in the schema`, () => {
            const m = sdk.match(new RegExp(`class ${cls} [\\s\\S]*?static readonly outputs = \\[([^\\]]*)\\]`));
            const outs = [...m![1].matchAll(/"(\w+)"/g)].map((x) => x[1]);
            for (const o of outs) expect(Object.keys(res.properties)).toContain(o);
        });
    }
});

describe("application source", () => {
    it("hashes a tree exactly as the host's shell pipeline does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "src-"));
        fs.mkdirSync(path.join(dir, "pkg/__pycache__"), { recursive: true });
        fs.writeFileSync(path.join(dir, "app.wsgi"), "application = None\n");
        fs.writeFileSync(path.join(dir, "pkg/a b.py"), "x = 1\n");
        fs.writeFileSync(path.join(dir, "pkg/Z.py"), "");
        fs.writeFileSync(path.join(dir, "pkg/__pycache__/a.pyc"), "junk");
        const remote = execFileSync("sh", ["-c", REMOTE_TREE_SHA], { cwd: dir, env: { LC_ALL: "C", PATH: process.env.PATH } })
            .toString()
            .trim();
        expect(treeSha256(dir)).toBe(remote);
    });

    it("renders the mount and the loader, and parses both back (golden: app-hello.conf, app-hello.wsgi.py)", () => {
        const i = appInputs.parse({ name: "hello", mountPoint: "/hello", source: "/x", processGroup: "hello" });
        const text = renderApp(i);
        const loader = renderLoader(i);
        expect(text).toBe(fs.readFileSync(path.join(__dirname, "golden/app-hello.conf"), "utf8"));
        expect(loader).toBe(fs.readFileSync(path.join(__dirname, "golden/app-hello.wsgi.py"), "utf8"));
        expect(parseApp(text, loader, "hello")).toEqual({
            name: "hello", mountPoint: "/hello", scriptFile: "app.wsgi", processGroup: "hello", applicationGroup: "%{GLOBAL}",
        });
    });

    it("writes the environment with sorted keys, so equal maps give equal files", () => {
        expect(renderEnv({ B: "2", A: "x\"y" })).toBe(renderEnv({ A: "x\"y", B: "2" }));
        expect(JSON.parse(renderEnv({ B: "2", A: "x\"y" }))).toEqual({ A: 'x"y', B: "2" });
    });

    it("refuses environment names that are not variable names", () => {
        expect(appInputs.safeParse({ name: "a", source: "/x", processGroup: "a", environment: { "A=B": "1" } }).success).toBe(false);
        expect(appInputs.safeParse({ name: "a", source: "/x", processGroup: "a", environment: { A_1: "1" } }).success).toBe(true);
    });
});

describe("native script facts", () => {
    it("parses key=value lines, keeping = inside values", () => {
        expect(parseFacts("a=1\nnoise\nb=x=y\n")).toEqual({ a: "1", b: "x=y" });
    });
});
