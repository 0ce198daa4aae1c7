// What an import reads back (docs/import.md): the settings records, and inputs that differ only in form.
import { describe, expect, it } from "vitest";
import { application } from "../../provider/resources/application";
import { inputs as appInputs } from "../../provider/resources/application/schema";
import { parseSettings, renderSettings } from "../../provider/resources/application/settings";
import { virtualHost } from "../../provider/resources/virtualHost";
import { apacheHost } from "../../provider/resources/apacheHost";
import { z } from "zod";
import { diff, type Props, type ResourceModule } from "../../provider/resource";
import { withDefaults } from "../../provider/server";
import { throwawayTls } from "../tlsMaterial";

const app = appInputs.parse({
    name: "shop",
    source: "/src/shop",
    processGroup: "shop",
    releaseCommands: [["python", "manage.py", "migrate"]],
    dataDirs: ["media"],
    keepReleases: 3,
    healthCheck: { path: "/healthz", expectStatus: 200 },
});

describe("Application settings record", () => {
    it("reads back exactly what it recorded", () => {
        const back = parseSettings(renderSettings(app));
        for (const k of ["releaseCommands", "dataDirs", "keepReleases", "healthCheck", "deleteDataOnDestroy"] as const)
            expect(back[k], k).toEqual(app[k]);
    });

    it("drops what does not validate and survives a broken file", () => {
        expect(parseSettings('{"keepReleases": 0, "dataDirs": ["../etc"], "releaseCommands": [["true"]]}')).toEqual({
            releaseCommands: [["true"]],
        });
        expect(parseSettings("{not json")).toEqual({});
        expect(parseSettings(undefined)).toEqual({});
    });
});

describe("inputs that differ in form, not in effect", () => {
    it("diff takes a module's word that two values are the same", () => {
        const mod = {
            token: "modwsgi:index:Fake",
            inputs: z.object({ a: z.string(), b: z.string() }),
            replaceOn: [],
            sameInput: (k: string, o: Props, n: Props) => k === "a" && String(o.a).trim() === String(n.a).trim(),
        } as unknown as ResourceModule;
        expect(diff(mod, { a: "x", b: "y" }, { a: " x\n", b: "y" }).changed).toEqual([]);
        expect(diff(mod, { a: "x", b: "y" }, { a: "z", b: "y " }).changed).toEqual(["a", "b"]);
    });

    it("a source path with the live tree's hash is no change; another hash is", () => {
        const same = application.sameInput!;
        const olds = { ...app, source: "", sourceSha256: "abc" } as Props;
        expect(same("source", olds, { ...app, sourceSha256: "abc" })).toBe(true);
        expect(same("source", olds, { ...app, sourceSha256: "def" })).toBe(false);
        expect(same("processGroup", olds, { ...app, sourceSha256: "abc" })).toBe(false);
    });

    it("TLS PEM text with other whitespace is no change; another key is", () => {
        const { certificate: cert, privateKey: key } = throwawayTls("import.test");
        const other = throwawayTls("other.test").privateKey;
        const same = virtualHost.sameInput!;
        const olds = { tls: { certificate: cert.trim(), privateKey: key.trim() } } as Props;
        expect(same("tls", olds, { tls: { certificate: `${cert.trim()}\n\n`, privateKey: `\n${key}` } })).toBe(true);
        expect(same("tls", olds, { tls: { certificate: cert, privateKey: other } })).toBe(false);
        expect(same("tls", olds, {})).toBe(false);
    });

    it("an MPM the program leaves alone is no change; one it sets is compared", () => {
        const same = apacheHost.sameInput!;
        expect(same("mpm", { mpm: "prefork" }, {})).toBe(true);
        expect(same("mpm", { mpm: "prefork" }, { mpm: "event" })).toBe(false);
    });
});

describe("an import's defaults", () => {
    it("fill each missing input even when the others do not validate (an imported app has no source path)", () => {
        const m = application as unknown as ResourceModule;
        const got = withDefaults(m, { name: "shop", source: "", processGroup: "shop", keepReleases: 3 });
        expect(got.source).toBe("");
        expect(got.keepReleases).toBe(3);
        expect(got.mountPoint).toBe("/");
        expect(got.releaseCommands).toEqual([]);
        expect(got.deleteDataOnDestroy).toBe(false);
        // Every input with a default is there: the schema lists them as always-set outputs.
        const shape = appInputs.shape as Record<string, z.ZodType>;
        const defaulted = Object.keys(shape).filter((k) => shape[k].safeParse(undefined).data !== undefined);
        expect(defaulted.length).toBeGreaterThan(5);
        for (const k of defaulted) expect(got[k], k).toBeDefined();
    });
});
