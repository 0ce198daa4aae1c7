// The fake host must never reach this machine's own directories: resources' unit tests run real commands on it.
import { afterEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { FakeHost } from "../fakeHost";

describe("FakeHost", () => {
    const host = new FakeHost();
    afterEach(() => undefined);

    it("maps the provider's host paths into its temp root, both ways", async () => {
        await host.exec("mkdir -p /etc/apache2/modwsgi.d && echo hi >/etc/apache2/modwsgi.d/x.conf");
        expect(host.file("/etc/apache2/modwsgi.d/x.conf")).toBe("hi\n");
        expect(fs.existsSync(host.local("/etc/apache2/modwsgi.d/x.conf"))).toBe(true);
        expect((await host.exec("ls /etc/apache2/modwsgi.d/x.conf")).stdout).toBe("/etc/apache2/modwsgi.d/x.conf\n");
    });

    it("refuses a write to a system directory it does not map (read-only there)", async () => {
        const r = await host.exec("touch /etc/fakehost-escape-check", { nothrow: true });
        expect(r.code).not.toBe(0);
        expect(fs.existsSync("/etc/fakehost-escape-check")).toBe(false);
    });

    it("throws for a failed command unless told it may fail", async () => {
        await expect(host.exec("exit 3")).rejects.toThrow(/exit 3/);
        expect((await host.exec("exit 3", { nothrow: true })).code).toBe(3);
        host.cleanup();
    });
});
