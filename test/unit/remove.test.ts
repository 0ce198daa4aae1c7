import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ownedPathError, removeOwned } from "../../provider/remote/remove";
import { FakeHost } from "../fakeHost";

describe("removeOwned: the one guard in front of every recursive removal", () => {
    let host: FakeHost;
    beforeEach(() => {
        host = new FakeHost();
    });
    afterEach(() => host.cleanup());

    it.each([
        ["/", /empty, \. or \.\. component/],
        ["/opt", /not strictly inside/],
        ["/opt/modwsgi", /not strictly inside/],
        ["/usr/local", /not strictly inside/],
        ["/usr/local/lib", /not strictly inside/],
        ["/usr/local/lib/python3.11/site-packages", /not strictly inside/],
        // The roots themselves: everything the provider owns of that kind.
        ["/opt/modwsgi/module", /is .*itself/],
        ["/opt/modwsgi/envs", /is .*itself/],
        ["/srv/modwsgi", /is .*itself/],
        ["/var/lib/modwsgi/stage", /is .*itself/],
        ["/etc/apache2/modwsgi-vhosts", /is .*itself/],
        ["/etc/apache2/modwsgi.d", /not strictly inside/],
        // Trailing slash and dot games.
        ["/opt/modwsgi/module/", /empty, \. or \.\. component/],
        ["/opt/modwsgi/module/.", /empty, \. or \.\. component/],
        ["/opt/modwsgi/module/..", /empty, \. or \.\. component/],
        ["/opt/modwsgi/module/../..", /empty, \. or \.\. component/],
        ["/opt/modwsgi/module/../../../usr/local", /empty, \. or \.\. component/],
        ["/opt/modwsgi/module//x", /empty, \. or \.\. component/],
        ["/opt/modwsgi/envs/a/../../module", /empty, \. or \.\. component/],
        // Prefixes that are not path components.
        ["/opt/modwsgi/module-other/x", /not strictly inside/],
        ["/opt/modwsgi/modulex", /not strictly inside/],
        ["/srv/modwsgi2/app", /not strictly inside/],
        // Only the vhost include dirs in modwsgi.d, not its files or the dir itself.
        ["/etc/apache2/modwsgi.d/00-server.conf", /not strictly inside/],
        ["/etc/apache2/modwsgi.d/vhost-", /not strictly inside/],
        // Relative paths and odd characters.
        ["", /absolute/],
        ["opt/modwsgi/module/x", /absolute/],
        ["./opt/modwsgi/module/x", /absolute/],
        ["~/x", /absolute/],
        ["/opt/modwsgi/module/a b", /letters, digits/],
        ["/opt/modwsgi/module/a\nb", /letters, digits/],
        ["/opt/modwsgi/module/x\n/usr/local", /letters, digits/],
        ["/opt/modwsgi/module/*", /letters, digits/],
        ["/opt/modwsgi/module/$(id)", /letters, digits/],
    ])("refuses %j", async (p, reason) => {
        expect(ownedPathError(p)).toMatch(reason);
        await expect(removeOwned(host, [p], "Test.path")).rejects.toThrow(/^Test\.path: refusing to remove/);
        // Nothing ran: refused before the host is asked anything.
        expect(host.commands).toEqual([]);
    });

    it.each([
        "/opt/modwsgi/module/mod_wsgi-6.1.1-python3",
        "/opt/modwsgi/module/mod_wsgi-6.1.1-python3.13-a42d11ba45d2",
        "/opt/modwsgi/module/src",
        "/opt/modwsgi/envs/site",
        "/srv/modwsgi/main",
        "/var/lib/modwsgi/stage/app-main-0a1b2c",
        "/etc/apache2/modwsgi-vhosts/site",
        "/etc/apache2/modwsgi.d/vhost-site",
        "/etc/apache2/modwsgi.d/vhost-site/29-app-main.conf",
    ])("accepts %j and removes it (and only it)", async (p) => {
        expect(ownedPathError(p)).toBeUndefined();
        host.put(`${p}/sub/file`, "x\n");
        host.put(`${p}-sibling/file`, "keep\n");
        await removeOwned(host, [p], "Test.path");
        expect(host.exists(p)).toBe(false);
        expect(host.exists(`${p}-sibling/file`)).toBe(true);
        expect(host.commands.map((c) => c.command)).toEqual([`rm -rf -- '${p}'`]);
    });

    it("refuses the whole list when one path is bad (nothing is removed)", async () => {
        host.put("/opt/modwsgi/envs/site/keep", "x\n");
        await expect(removeOwned(host, ["/opt/modwsgi/envs/site", "/opt"], "Test.path")).rejects.toThrow(
            /"\/opt" is not strictly inside/,
        );
        expect(host.exists("/opt/modwsgi/envs/site/keep")).toBe(true);
        expect(host.commands).toEqual([]);
    });

    it("does nothing for an empty list, and a missing path is not an error", async () => {
        await removeOwned(host, [], "Test.path");
        expect(host.commands).toEqual([]);
        await removeOwned(host, ["/opt/modwsgi/envs/never-made"], "Test.path");
        expect(host.commands).toHaveLength(1);
    });

    it("a removal the host refuses throws (naming the step), it is not ignored", async () => {
        host.stub("rm", "#!/bin/sh\necho 'rm: cannot remove: Operation not permitted' >&2\nexit 1\n");
        await expect(removeOwned(host, ["/opt/modwsgi/envs/site"], "Test.path")).rejects.toThrow(
            /Operation not permitted/,
        );
    });
});
