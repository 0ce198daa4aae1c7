import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { apacheHost, inputs, parse, renderListen, renderWsgi } from "../../provider/resources/apacheHost";
import { checkInputs, type ResourceModule } from "../../provider/resource";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const mod = apacheHost as unknown as ResourceModule;
const every = inputs.parse({
    restrictEmbedded: true,
    socketPrefix: "/var/run/apache2/modwsgi",
    socketRotation: false,
    pythonHome: "/opt/py",
    pythonPath: ["/srv/a", "/srv/b"],
    perInterpreterGil: false,
    freeThreading: false,
    switchInterval: 0.005,
    telemetrySocket: "/run/mod_wsgi-telemetry.sock",
    mpm: "worker",
    listenPorts: [8080, 8443],
});

describe("ApacheHost render (golden files)", () => {
    it("writes only WSGIRestrictEmbedded On by default (apachehost-defaults.conf)", () => {
        expect(renderWsgi(inputs.parse({}))).toBe(golden("apachehost-defaults.conf"));
    });

    it("writes every server-wide mod_wsgi setting (apachehost-every.conf) and the Listen ports (apachehost-listen.conf)", () => {
        expect(renderWsgi(every)).toBe(golden("apachehost-every.conf"));
        expect(renderListen(every)).toBe(golden("apachehost-listen.conf"));
    });

    it("reads its files back to the same settings (the MPM comes from the host's facts)", () => {
        const { mpm: _m, ensurePackages: _e, ...rest } = every;
        expect(parse(renderWsgi(every), renderListen(every))).toEqual(rest);
    });
});

describe("ApacheHost check", () => {
    it.each([
        [{ listenPorts: [80] }, "listenPorts[0]", /ports\.conf/],
        [{ mpm: "threaded" }, "mpm", /event|worker|prefork/],
        [{ socketPrefix: "relative/path" }, "socketPrefix", /absolute path/],
        [{ switchInterval: 0 }, "switchInterval", />=0\.0001/],
    ])("refuses %j naming %s", (value, property, message) => {
        expect(checkInputs(mod, value).failures[0]).toEqual({ property, reason: expect.stringMatching(message) });
    });
});
