import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { fromStruct, toStruct, secret } from "../../provider/marshal";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { schema, schemaJson } from "../../provider/schema";
import { generate as generateDocs } from "../../provider/docgen";
import { treeSha256, REMOTE_TREE_SHA } from "../../provider/resources/application/source";
import {
    render as renderApp,
    renderLoader,
    renderEnv,
    parse as parseApp,
    normalizeEntry,
    renderInterpreter,
    parseInterpreter,
} from "../../provider/resources/application/render";
import { inputs as appInputs } from "../../provider/resources/application/schema";
import { appFile as appConfigFile } from "../../provider/layout";
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

describe("SDK", () => {
    it("schema.json is the schema GetSchema serves, as `npm run gen:sdk` writes it", () => {
        const committed = fs.readFileSync(path.join(__dirname, "../../schema.json"), "utf8");
        expect(committed === schemaJson() + "\n", "stale schema.json: run `npm run gen:sdk` and commit it").toBe(true);
        expect(JSON.parse(committed).resources["modwsgi:index:Application"]).toBeDefined();
    });

    it("docs/reference.md and docs/reference/*.md are what `npm run gen:docs` generates from the schema", () => {
        const docs = path.join(__dirname, "../../docs");
        const files = generateDocs();
        for (const [rel, text] of Object.entries(files))
            expect(
                fs.existsSync(path.join(docs, rel)) && fs.readFileSync(path.join(docs, rel), "utf8") === text,
                `stale docs/${rel}: run \`npm run gen:docs\` and commit the result`,
            ).toBe(true);
        // One page per resource and function, and none left of a resource that is gone.
        const pages = fs.readdirSync(path.join(docs, "reference")).map((f) => `reference/${f}`);
        expect(pages.sort()).toEqual(
            Object.keys(files)
                .filter((f) => f !== "reference.md")
                .sort(),
        );
        expect(pages).toHaveLength(Object.keys(schema().resources).length + Object.keys(schema().functions).length);
    });

    it("the SDK has every resource, and wraps each secret before it leaves the program", () => {
        const sdk = (f: string) => fs.readFileSync(path.join(__dirname, "../../sdk/nodejs", f), "utf8");
        for (const token of Object.keys(schema().resources)) {
            const name = token.split(":")[2];
            expect(sdk(`${name[0].toLowerCase()}${name.slice(1)}.ts`)).toContain(
                `export class ${name} extends pulumi.CustomResource`,
            );
        }
        const provider = sdk("provider.ts");
        for (const k of ["privateKey", "privateKeyPassphrase", "password", "jumpHosts", "sudoPassword"])
            expect(provider, k).toMatch(new RegExp(`resourceInputs\\["${k}"\\][^;]*pulumi\\.secret\\(args\\.${k}\\)`));
        expect(sdk("application.ts")).toContain('additionalSecretOutputs: ["environment"]');
    });

    // The end-to-end runs skip ts-node's type check (PULUMI_NODEJS_TRANSPILE_ONLY, test/e2e/harness.ts): it is here.
    it("the SDK, the examples, the test and benchmark programs type-check (strict)", { timeout: 60_000 }, () => {
        const repo = path.join(__dirname, "../..");
        const programs = ["examples", "test/e2e/programs", "bench/programs"].flatMap((d) =>
            fs
                .readdirSync(path.join(repo, d))
                .map((p) => `${d}/${p}/index.ts`)
                .filter((f) => fs.existsSync(path.join(repo, f))),
        );
        expect(programs.length).toBeGreaterThan(15);
        // The benchmark's programs import the SDK as users do, `@pulumi/modwsgi` (bench/run.sh unpacks the packaged
        // SDK there): here that name is the SDK's source, as a tsconfig `paths` entry (tsc takes none on its
        // command line).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-typecheck-"));
        const tsconfig = path.join(dir, "tsconfig.json");
        fs.writeFileSync(
            tsconfig,
            JSON.stringify({
                compilerOptions: {
                    noEmit: true,
                    strict: true,
                    esModuleInterop: true,
                    skipLibCheck: true,
                    target: "ES2023",
                    module: "commonjs",
                    moduleResolution: "node",
                    types: ["node"],
                    typeRoots: [path.join(repo, "node_modules/@types")],
                    baseUrl: repo,
                    paths: { "@pulumi/modwsgi": ["sdk/nodejs/index.ts"] },
                },
                files: ["sdk/nodejs/index.ts", ...programs].map((f) => path.join(repo, f)),
            }),
        );
        const r = spawnSync(path.join(repo, "node_modules/.bin/tsc"), ["-p", tsconfig], {
            cwd: repo,
            encoding: "utf8",
        });
        fs.rmSync(dir, { recursive: true, force: true });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });
});

describe("application source", () => {
    it("hashes a tree exactly as the host's shell pipeline does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "src-"));
        fs.mkdirSync(path.join(dir, "pkg/__pycache__"), { recursive: true });
        fs.writeFileSync(path.join(dir, "app.wsgi"), "application = None\n");
        fs.writeFileSync(path.join(dir, "pkg/a b.py"), "x = 1\n");
        fs.writeFileSync(path.join(dir, "pkg/Z.py"), "");
        fs.writeFileSync(path.join(dir, "pkg/__pycache__/a.pyc"), "junk");
        const remote = execFileSync("sh", ["-c", REMOTE_TREE_SHA], {
            cwd: dir,
            env: { LC_ALL: "C", PATH: process.env.PATH },
        })
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
            name: "hello",
            mountPoint: "/hello",
            scriptFile: "app.wsgi",
            processGroup: "hello",
            applicationGroup: "%{GLOBAL}",
            entryPoint: undefined,
            passAuthorization: false,
            staticFiles: [],
        });
    });

    it("renders an entry point, Authorization passing and static files, and parses them back (golden: app-full.conf, app-full.wsgi.py)", () => {
        const i = normalizeEntry(
            appInputs.parse({
                name: "shop",
                mountPoint: "/shop",
                source: "/x",
                processGroup: "shop",
                entryPoint: "shop.web:app",
                passAuthorization: true,
                staticFiles: [
                    { urlPath: "/shop/static", directory: "static" },
                    { urlPath: "/favicon.ico", directory: "static/favicon.ico" },
                ],
            }),
        );
        const text = renderApp(i);
        const loader = renderLoader(i);
        expect(text).toBe(fs.readFileSync(path.join(__dirname, "golden/app-full.conf"), "utf8"));
        expect(loader).toBe(fs.readFileSync(path.join(__dirname, "golden/app-full.wsgi.py"), "utf8"));
        expect(parseApp(text, loader, "shop")).toEqual({
            name: "shop",
            mountPoint: "/shop",
            scriptFile: undefined,
            entryPoint: "shop.web:app",
            processGroup: "shop",
            applicationGroup: "%{GLOBAL}",
            passAuthorization: true,
            staticFiles: i.staticFiles,
        });
    });

    it("refuses scriptFile together with entryPoint, and entry points that are not module:callable", () => {
        expect(
            appInputs.safeParse({
                name: "a",
                source: "/x",
                processGroup: "a",
                scriptFile: "a.wsgi",
                entryPoint: "a:app",
            }).success,
        ).toBe(false);
        expect(
            appInputs.safeParse({ name: "a", source: "/x", processGroup: "a", entryPoint: "a:app; import os" }).success,
        ).toBe(false);
        expect(
            appInputs.safeParse({
                name: "a",
                source: "/x",
                processGroup: "a",
                staticFiles: [{ urlPath: "/s", directory: "../etc" }],
            }).success,
        ).toBe(false);
    });

    it("writes interpreter options as a server-scope <WSGIInterpreterOptions> block for the app's groups, and reads them back (golden: app-interpreter-options.conf)", () => {
        const o = {
            perInterpreterGil: true,
            switchInterval: 0.002,
            pythonPath: ["/srv/lib", "/srv/extra"],
            restrictStdin: true,
            restrictStdout: false,
            restrictSignal: true,
        };
        const i = appInputs.parse({
            name: "shop",
            source: "/tmp",
            processGroup: "shop",
            applicationGroup: "shop-main",
            interpreterOptions: o,
        });
        const text = renderInterpreter(i);
        expect(text).toBe(fs.readFileSync(path.join(__dirname, "golden/app-interpreter-options.conf"), "utf8"));
        expect(parseInterpreter(text)).toEqual(o);
        expect(renderInterpreter(appInputs.parse({ name: "a", source: "/x", processGroup: "a" }))).toBe("");
        expect(parseInterpreter("")).toBeUndefined();
    });

    it("refuses interpreter options mod_wsgi would not match or apply", () => {
        const base = { name: "a", source: "/x", processGroup: "a" };
        const gil = appInputs.safeParse({ ...base, interpreterOptions: { perInterpreterGil: true } });
        expect(gil.success).toBe(false);
        expect(gil.error!.issues[0].path).toEqual(["interpreterOptions", "perInterpreterGil"]);
        expect(gil.error!.issues[0].message).toMatch(/main interpreter always shares/);
        const res = appInputs.safeParse({
            ...base,
            applicationGroup: "%{RESOURCE}",
            interpreterOptions: { restrictStdin: true },
        });
        expect(res.error!.issues[0].message).toMatch(/literal group name/);
        expect(
            appInputs.safeParse({ ...base, applicationGroup: "api", interpreterOptions: { perInterpreterGil: true } })
                .success,
        ).toBe(true);
        expect(appInputs.safeParse({ ...base, interpreterOptions: { freeThreading: true } }).success).toBe(false); // process-wide: ApacheHost
        expect(appInputs.safeParse({ ...base, interpreterOptions: { pythonPath: ["relative"] } }).success).toBe(false);
    });

    it("names mount files so Apache reads deeper mount points first ('/' last), whatever the app names", () => {
        const files = [
            appConfigFile("aaa", "/"),
            appConfigFile("zzz", "/shop"),
            appConfigFile("mmm", "/shop/api"),
            appConfigFile("b", "/a/b/c/d/e/f/g/h/i/j"),
        ];
        expect(files.map((f) => path.basename(f))).toEqual([
            "29-app-aaa.conf",
            "28-app-zzz.conf",
            "27-app-mmm.conf",
            "20-app-b.conf",
        ]);
        expect([...files].sort()).toEqual([...files].reverse());
        expect(appConfigFile("x", "/api", "site")).toBe("/etc/apache2/modwsgi-vhosts/site/28-app-x.conf");
    });

    it("writes the environment with sorted keys, so equal maps give equal files", () => {
        expect(renderEnv({ B: "2", A: 'x"y' })).toBe(renderEnv({ A: 'x"y', B: "2" }));
        expect(JSON.parse(renderEnv({ B: "2", A: 'x"y' }))).toEqual({ A: 'x"y', B: "2" });
    });

    it("refuses environment names that are not variable names", () => {
        expect(
            appInputs.safeParse({ name: "a", source: "/x", processGroup: "a", environment: { "A=B": "1" } }).success,
        ).toBe(false);
        expect(
            appInputs.safeParse({ name: "a", source: "/x", processGroup: "a", environment: { A_1: "1" } }).success,
        ).toBe(true);
    });
});

describe("native script facts", () => {
    it("parses key=value lines, keeping = inside values", () => {
        expect(parseFacts("a=1\nnoise\nb=x=y\n")).toEqual({ a: "1", b: "x=y" });
    });
});
