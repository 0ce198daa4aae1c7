// Settings by the mod_wsgi release that introduced them: refused for older modules (Debian's 4.9/5.0),
// or left out when they are mod_wsgi's own default anyway.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { compareVersions, unsupported, withInert, withoutInert } from "../../provider/versions";
import { Claims, UNKNOWN, type ResourceModule } from "../../provider/resource";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { inputs as daemonInputs } from "../../provider/resources/daemonProcess/schema";
import { parse, render } from "../../provider/resources/daemonProcess/render";
import { wsgiModule } from "../../provider/resources/wsgiModule";
import { inputs as moduleInputs } from "../../provider/resources/wsgiModule/schema";
import { application } from "../../provider/resources/application";
import { apacheHost } from "../../provider/resources/apacheHost";
import { pythonEnv } from "../../provider/resources/pythonEnv";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::modwsgi:index:${type}::${name}`;

describe("compareVersions", () => {
    it.each([
        ["4.9.4", "6.0.0", -1],
        ["5.0.2", "6.0.0", -1],
        ["6.0.0", "6.0.0", 0],
        ["6.1.1", "6.0.0", 1],
        ["6.10.0", "6.9.9", 1],
        ["6.0", "6.0.0", 0],
    ])("%s vs %s", (a, b, sign) => {
        expect(Math.sign(compareVersions(a, b))).toBe(sign);
    });
});

describe("settings a module lacks", () => {
    it("are refused naming the property and both versions", () => {
        expect(unsupported("DaemonProcess", { switchInterval: 0.01, threads: 5 }, "5.0.2")).toEqual([
            {
                property: "switchInterval",
                reason: "DaemonProcess.switchInterval: the switch-interval option is new in mod_wsgi 6.0; the module on this host is 5.0.2",
            },
        ]);
        expect(
            unsupported("ApacheHost", { perInterpreterGil: true, telemetrySocket: "/run/t.sock" }, "4.9.4").map(
                (f) => f.property,
            ),
        ).toEqual(["perInterpreterGil", "telemetrySocket"]);
        expect(unsupported("Application", { interpreterOptions: { restrictStdin: true } }, "4.9.4")[0].property).toBe(
            "interpreterOptions",
        );
    });

    it("are fine on 6.x", () => {
        expect(
            unsupported(
                "DaemonProcess",
                { switchInterval: 0.01, interruptTimeout: 10, responseFlushDelay: 5 },
                "6.0.0",
            ),
        ).toEqual([]);
        expect(unsupported("ApacheHost", { perInterpreterGil: true, freeThreading: true }, "6.1.1")).toEqual([]);
    });

    it("are not refused but left out when they hold mod_wsgi's own default (the provider's defaults stay usable)", () => {
        expect(unsupported("DaemonProcess", { interruptTimeout: 0 }, "4.9.4")).toEqual([]);
        expect(unsupported("DaemonProcess", { interruptTimeout: 5 }, "4.9.4")[0].property).toBe("interruptTimeout");
        expect(withoutInert("DaemonProcess", { interruptTimeout: 0, threads: 5 }, "4.9.4")).toEqual({ threads: 5 });
        expect(withoutInert("DaemonProcess", { interruptTimeout: 0, threads: 5 }, "6.1.1")).toEqual({
            interruptTimeout: 0,
            threads: 5,
        });
        expect(withInert("DaemonProcess", { threads: 5 }, "4.9.4")).toEqual({ interruptTimeout: 0, threads: 5 });
        expect(withInert("DaemonProcess", { threads: 5 }, "6.1.1")).toEqual({ threads: 5 });
    });

    it("the default daemon group for Debian's 4.9 module has no interrupt-timeout and reads back to the same inputs (daemon-defaults-4.9.conf)", () => {
        const i = daemonInputs.parse({ name: "hello" });
        const text = render(withoutInert("DaemonProcess", i, "4.9.4"));
        expect(text).toBe(golden("daemon-defaults-4.9.conf"));
        expect(text).not.toMatch(/interrupt-timeout/);
        expect(withInert("DaemonProcess", parse(text)!, "4.9.4")).toEqual(i);
    });
});

describe("at preview, against the WsgiModule the program declares", () => {
    const m = wsgiModule;
    const d = daemonProcess as unknown as ResourceModule;

    it("Debian's package: 6.0 settings of the other resources fail, naming the property", () => {
        const c = new Claims();
        expect(
            c.check(urn("WsgiModule", "m"), m, moduleInputs.parse({ source: "distro", allowDistroPackage: true })),
        ).toEqual([]);
        const f = c.check(urn("DaemonProcess", "d"), d, daemonInputs.parse({ name: "web", switchInterval: 0.01 }));
        expect(f).toEqual([
            {
                property: "switchInterval",
                reason: expect.stringMatching(
                    /^DaemonProcess\.switchInterval: the switch-interval option is new in mod_wsgi 6\.0; the WsgiModule declared is Debian's package/,
                ),
            },
        ]);
        expect(c.check(urn("DaemonProcess", "d"), d, daemonInputs.parse({ name: "web" }))).toEqual([]);
        expect(c.check(urn("ApacheHost", "h"), apacheHost, { perInterpreterGil: true })[0].property).toBe(
            "perInterpreterGil",
        );
        expect(
            c.check(urn("Application", "a"), application, {
                name: "a",
                mountPoint: "/",
                interpreterOptions: { restrictStdout: true },
            })[0].property,
        ).toBe("interpreterOptions");
    });

    it("a 6.x module: nothing is refused", () => {
        const c = new Claims();
        c.check(urn("WsgiModule", "m"), m, moduleInputs.parse({}));
        expect(
            c.check(urn("DaemonProcess", "d"), d, daemonInputs.parse({ name: "web", switchInterval: 0.01 })),
        ).toEqual([]);
    });

    it("a PythonEnv with another Python than the module's fails, naming python; the module's own passes", () => {
        const c = new Claims();
        c.check(urn("WsgiModule", "m"), m, moduleInputs.parse({ python: "/usr/bin/python3.13" }));
        const env = pythonEnv;
        expect(c.check(urn("PythonEnv", "e"), env, { name: "e", python: "/usr/bin/python3" })).toEqual([
            {
                property: "python",
                reason: expect.stringMatching(
                    /^PythonEnv\.python: \/usr\/bin\/python3 is not the WsgiModule's \/usr\/bin\/python3\.13; .*encodings/,
                ),
            },
        ]);
        expect(c.check(urn("PythonEnv", "e"), env, { name: "e", python: "/usr/bin/python3.13" })).toEqual([]);
        expect(c.check(urn("PythonEnv", "e"), env, { name: "e", python: UNKNOWN })).toEqual([]);
    });
});
