import { describe, expect, it } from "vitest";
import { Claims, UNKNOWN, type ResourceModule } from "../../provider/resource";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { application } from "../../provider/resources/application";
import { wsgiModule } from "../../provider/resources/wsgiModule";

const d = daemonProcess as unknown as ResourceModule;
const a = application;
const w = wsgiModule;
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::modwsgi:index:${type}::${name}`;

describe("cross-resource checks on one host", () => {
    it("refuses a second daemon group of the same name, naming the first", () => {
        const c = new Claims();
        expect(c.check(urn("DaemonProcess", "a"), d, { name: "web" })).toEqual([]);
        expect(c.check(urn("DaemonProcess", "b"), d, { name: "web" })).toEqual([
            {
                property: "name",
                reason: 'DaemonProcess.name: daemon process group "web" is already declared on this host by a',
            },
        ]);
        expect(c.check(urn("DaemonProcess", "b"), d, { name: "api" })).toEqual([]);
    });

    it("lets a resource keep or change its own claim across checks", () => {
        const c = new Claims();
        c.check(urn("DaemonProcess", "a"), d, { name: "web" });
        expect(c.check(urn("DaemonProcess", "a"), d, { name: "web" })).toEqual([]);
        expect(c.check(urn("DaemonProcess", "a"), d, { name: "web2" })).toEqual([]);
        expect(c.check(urn("DaemonProcess", "b"), d, { name: "web" })).toEqual([]); // released by a
    });

    it("refuses two apps on one mount point and a second WsgiModule", () => {
        const c = new Claims();
        c.check(urn("Application", "x"), a, { name: "x", mountPoint: "/" });
        expect(c.check(urn("Application", "y"), a, { name: "y", mountPoint: "/" })[0].property).toBe("mountPoint");
        c.check(urn("WsgiModule", "m1"), w, {});
        expect(c.check(urn("WsgiModule", "m2"), w, {})[0].reason).toMatch(/exactly one mod_wsgi/);
    });

    it("ignores values still unknown in preview", () => {
        const c = new Claims();
        c.check(urn("DaemonProcess", "a"), d, { name: UNKNOWN });
        expect(c.check(urn("DaemonProcess", "b"), d, { name: UNKNOWN })).toEqual([]);
    });
});
