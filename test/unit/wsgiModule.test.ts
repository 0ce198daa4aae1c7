import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { inputs, renderConf, renderLoad, venvFor } from "../../provider/resources/wsgiModule";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const SO = "/opt/modwsgi/module/mod_wsgi-6.1.1-python3/lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi-py311.cpython-311-x86_64-linux-gnu.so";

describe("WsgiModule render (golden files)", () => {
    it("loads the built .so under the id wsgi_module (module-load.conf)", () => {
        expect(renderLoad(SO)).toBe(golden("module-load.conf"));
    });

    it("restricts embedded mode and includes the provider's directory (module-conf.conf)", () => {
        expect(renderConf()).toBe(golden("module-conf.conf"));
    });

    it("builds each version and Python in a venv of its own, so the running module is never touched", () => {
        expect(venvFor(inputs.parse({}))).toBe("/opt/modwsgi/module/mod_wsgi-6.1.1-python3");
        expect(venvFor(inputs.parse({ version: "6.0.5", python: "/usr/bin/python3.13" }))).toBe("/opt/modwsgi/module/mod_wsgi-6.0.5-python3.13");
    });
});
