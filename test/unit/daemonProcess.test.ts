import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { inputs } from "../../provider/resources/daemonProcess/schema";
import { render, parse } from "../../provider/resources/daemonProcess/render";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { checkInputs, diff, UNKNOWN } from "../../provider/resource";
import type { ResourceModule } from "../../provider/resource";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = daemonProcess as unknown as ResourceModule;

describe("DaemonProcess render", () => {
    it("writes the upstream recommended defaults (golden: daemon-defaults.conf)", () => {
        expect(render(inputs.parse({ name: "hello" }))).toBe(golden("daemon-defaults.conf"));
    });

    it("writes user, group, python-home and processes when set (golden: daemon-full.conf)", () => {
        const i = inputs.parse({ name: "api", processes: 2, threads: 8, pythonHome: "/opt/modwsgi/envs/api", user: "www-data", group: "www-data" });
        expect(render(i)).toBe(golden("daemon-full.conf"));
    });

    it("parses its own output back to the same inputs", () => {
        const i = inputs.parse({ name: "api", processes: 2, threads: 8, pythonHome: "/opt/x", user: "app" });
        expect(parse(render(i))).toEqual(i);
    });
});

describe("DaemonProcess check", () => {
    it("names the property and the reason for a bad value", () => {
        const { failures } = checkInputs(mod, { name: "hello", threads: -1 });
        expect(failures).toEqual([{ property: "threads", reason: expect.stringMatching(/^DaemonProcess\.threads: .*>=0/) }]);
    });

    it("refuses root as the daemon user", () => {
        const { failures } = checkInputs(mod, { name: "hello", user: "root" });
        expect(failures[0].reason).toMatch(/root is refused/);
    });

    it("refuses names that would break out of the directive", () => {
        const { failures } = checkInputs(mod, { name: "a b\nWSGIDaemonProcess evil" });
        expect(failures[0].property).toBe("name");
    });

    it("refuses unknown properties", () => {
        const { failures } = checkInputs(mod, { name: "hello", newrelicConfigFile: "/x" });
        expect(failures[0].reason).toMatch(/no property "newrelicConfigFile"/);
    });

    it("lets values still unknown in preview through", () => {
        const { inputs: out, failures } = checkInputs(mod, { name: "hello", pythonHome: UNKNOWN });
        expect(failures).toEqual([]);
        expect(out.pythonHome).toBe(UNKNOWN);
        expect(out.threads).toBe(5);
    });
});

describe("DaemonProcess diff", () => {
    const applied = { ...inputs.parse({ name: "hello" }), configFile: "f", configSha256: "" };
    applied.configSha256 = require("node:crypto").createHash("sha256").update(render(applied)).digest("hex");

    it("reports nothing when the live state matches", () => {
        expect(diff(mod, applied, inputs.parse({ name: "hello" }))).toEqual({ changed: [], replaces: [] });
    });

    it("reports the changed property, and a name change as a replace", () => {
        expect(diff(mod, applied, inputs.parse({ name: "hello", threads: 9 })).changed).toEqual(["threads"]);
        expect(diff(mod, applied, inputs.parse({ name: "other" })).replaces).toEqual(["name"]);
    });

    it("reports a hand edit no input explains through the file fingerprint", () => {
        expect(diff(mod, { ...applied, configSha256: "edited" }, inputs.parse({ name: "hello" })).changed).toEqual(["configSha256"]);
    });
});
