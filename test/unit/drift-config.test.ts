// Drift of the config files applyConfig writes (issue 12, classes 11 and 12) on the fake host: a vhost disabled
// (a2dissite) or edited, and the owner or mode of a managed config or key file changed by hand. Each is reported
// naming a property, `update` repairs it, and the next read is clean. Files of others are never reported.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { applyConfig, modesDiffer, putMode, putModes } from "../../provider/remote/apply";
import { modesOf, readFiles } from "../../provider/remote/scripts";
import { diff, type ResourceModule } from "../../provider/resource";
import { virtualHost } from "../../provider/resources/virtualHost";
import { inputs as vhostInputs, normalize } from "../../provider/resources/virtualHost/schema";
import { render as renderVhost } from "../../provider/resources/virtualHost/render";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { inputs as daemonInputs } from "../../provider/resources/daemonProcess/schema";
import { apacheHost } from "../../provider/resources/apacheHost";
import { inputs as hostInputs } from "../../provider/resources/apacheHost/schema";
import {
    APACHE_DIR,
    CONF_AVAILABLE,
    CONF_ENABLED,
    LISTEN_FILE,
    LISTEN_LINK,
    SERVER_FILE,
    certFile,
    daemonFile,
    keyFile,
    vhostFile,
    vhostLink,
} from "../../provider/layout";
import { FakeHost } from "../fakeHost";
import { throwawayTls } from "../tlsMaterial";

const { certificate: CERT, privateKey: KEY } = throwawayTls("example.org");
const plain = normalize(vhostInputs.parse({ name: "site", serverName: "example.org" }));
const secure = normalize(
    vhostInputs.parse({ name: "secure", serverName: "example.org", tls: { certificate: CERT, privateKey: KEY } }),
);
const hello = daemonInputs.parse({ name: "hello", threads: 4 });
const server = hostInputs.parse({ socketRotation: false, listenPorts: [8080] });

let host: FakeHost;
beforeEach(() => {
    host = new FakeHost();
});
afterEach(() => host.cleanup());

const chown = (p: string, uid: number, gid: number) => fs.chownSync(host.local(p), uid, gid);
const chmod = (p: string, mode: number) => fs.chmodSync(host.local(p), mode);
const stat = (p: string) => {
    const s = fs.statSync(host.local(p));
    return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
};
/** A link as a2ensite/a2enconf make it: relative to the enabled directory. */
const relativeLink = (target: string, link: string) => {
    fs.rmSync(host.local(link), { force: true });
    fs.symlinkSync(target, host.local(link));
};
const NOBODY = 65534;

/** Read, then the diff against the program: the properties the engine would plan to update. */
async function changed<I>(mod: ResourceModule, id: string, state: Record<string, unknown>, news: I) {
    const live = await mod.read(host.ctx(), id, state);
    expect(live).not.toBeNull();
    return diff(mod, live!, news as Record<string, unknown>).changed;
}

describe("readFiles reports each path's owner, group, mode and link target (the shared mechanism)", () => {
    it("a file's `stat` as root:root 644, a changed owner or mode as such, a link's target resolved, missing ones", async () => {
        const a = `${CONF_AVAILABLE}/a.conf`;
        const b = `${CONF_AVAILABLE}/b.conf`;
        host.put(a, "A\n", 0o644);
        host.put(b, "B\n", 0o600);
        chown(b, NOBODY, NOBODY);
        relativeLink("../conf-available/a.conf", `${CONF_ENABLED}/a.conf`);
        fs.symlinkSync(host.local(`${CONF_AVAILABLE}/gone.conf`), host.local(`${CONF_ENABLED}/gone.conf`));
        const paths = [a, b, `${CONF_ENABLED}/a.conf`, `${CONF_ENABLED}/gone.conf`, `${CONF_AVAILABLE}/none.conf`];
        const r = await readFiles(host, paths, "echo extra");
        expect(r.files).toEqual(["A\n", "B\n", "A\n", undefined, undefined]);
        expect(r.meta).toEqual([
            { mode: "root:root 644" },
            { mode: "nobody:nogroup 600" },
            { mode: "root:root 644", link: a },
            { link: `${CONF_AVAILABLE}/gone.conf` },
            {},
        ]);
        expect(r.extra).toBe("extra\n");
        expect(modesOf(paths, r.meta)).toEqual({
            [a]: "root:root 644",
            [b]: "nobody:nogroup 600",
            [`${CONF_ENABLED}/a.conf`]: "root:root 644",
        });
    });

    it("modesDiffer: only a file both name and whose owner/mode differ; no live modes (an old state) is no drift", () => {
        const want = { "/x": putMode(), "/k": putMode(0o600) };
        expect(want).toEqual({ "/x": "root:root 644", "/k": "root:root 600" });
        expect(
            modesDiffer({ "/x": "root:root 644", "/k": "root:root 600", "/other": "nobody:nogroup 777" }, want),
        ).toBe(false);
        expect(modesDiffer({ "/x": "root:root 644", "/k": "root:root 644" }, want)).toBe(true);
        expect(modesDiffer({ "/x": "nobody:root 644" }, want)).toBe(true);
        expect(modesDiffer({}, want)).toBe(false);
        expect(modesDiffer(undefined, want)).toBe(false);
        expect(
            putModes([
                { op: "put", target: "/k", content: "", mode: 0o600 },
                { op: "del", target: "/d" },
            ]),
        ).toEqual({
            "/k": "root:root 600",
        });
    });
});

describe("apply-config.sh puts every file as root:root with the change's mode (the desired state)", () => {
    it("a target owned by nobody with mode 666 becomes root:root 644, a key root:root 600", async () => {
        const conf = `${CONF_AVAILABLE}/c.conf`;
        const key = "/etc/modwsgi/tls/k.key";
        host.put(conf, "old\n", 0o666);
        host.put(key, "old\n", 0o666);
        // A leftover of an interrupted swap: cp writes into it and would keep its owner.
        host.put(`${key}.modwsgi-new`, "", 0o666);
        for (const p of [conf, key, `${key}.modwsgi-new`]) chown(p, NOBODY, NOBODY);
        await applyConfig(
            host,
            [
                { op: "put", target: conf, content: "new\n" },
                { op: "put", target: key, content: "new\n", mode: 0o600 },
            ],
            "none",
        );
        expect(stat(conf)).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(stat(key)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
        expect((await readFiles(host, [conf, key])).meta.map((m) => m.mode)).toEqual([putMode(), putMode(0o600)]);
    });
});

describe("class 11: a VirtualHost disabled (a2dissite) or its file edited", () => {
    it("a2dissite: enabled false is the one changed property; update links it again; then clean", async () => {
        const state = await virtualHost.create(host.ctx(), plain);
        fs.rmSync(host.local(vhostLink("site")));
        expect(await changed(virtualHost, "site", state, plain)).toEqual(["enabled"]);
        const repaired = await virtualHost.update(host.ctx(), state, plain);
        expect(fs.readlinkSync(host.local(vhostLink("site")))).toBe(host.local(vhostFile("site")));
        // Through a configtested transaction: the create's configtest, then the repair's.
        expect(host.apacheCalls().filter((c) => c === "-t")).toHaveLength(2);
        expect(await changed(virtualHost, "site", repaired, plain)).toEqual([]);
    });

    it("a link pointing at another site, or a copy instead of the link, is not enabled; up relinks it", async () => {
        const state = await virtualHost.create(host.ctx(), plain);
        host.put(`${APACHE_DIR}/sites-available/000-default.conf`, "<VirtualHost *:80>\n</VirtualHost>\n");
        relativeLink("../sites-available/000-default.conf", vhostLink("site"));
        expect(await changed(virtualHost, "site", state, plain)).toEqual(["enabled"]);
        fs.rmSync(host.local(vhostLink("site")));
        host.put(vhostLink("site"), renderVhost(plain));
        expect(await changed(virtualHost, "site", state, plain)).toEqual(["enabled"]);
        await virtualHost.update(host.ctx(), state, plain);
        expect(fs.lstatSync(host.local(vhostLink("site"))).isSymbolicLink()).toBe(true);
        expect(await changed(virtualHost, "site", state, plain)).toEqual([]);
    });

    it("a2dissite then a2ensite (a relative link) is enabled again: no drift", async () => {
        const state = await virtualHost.create(host.ctx(), plain);
        relativeLink("../sites-available/modwsgi-site.conf", vhostLink("site"));
        const live = await virtualHost.read(host.ctx(), "site", state);
        expect(live!.enabled).toBe(true);
        expect(diff(virtualHost, live!, plain).changed).toEqual([]);
    });

    it("its file edited: the changed input, or configSha256 for a line no input explains; update restores it", async () => {
        const state = await virtualHost.create(host.ctx(), plain);
        host.put(vhostFile("site"), renderVhost({ ...plain, serverName: "other.example.org" }));
        expect(await changed(virtualHost, "site", state, plain)).toEqual(["serverName"]);
        host.put(
            vhostFile("site"),
            renderVhost(plain).replace("</VirtualHost>", "    Redirect / http://x/\n</VirtualHost>"),
        );
        expect(await changed(virtualHost, "site", state, plain)).toEqual(["configSha256"]);
        await virtualHost.update(host.ctx(), state, plain);
        expect(host.file(vhostFile("site"))).toBe(renderVhost(plain));
        expect(await changed(virtualHost, "site", state, plain)).toEqual([]);
    });
});

describe("class 12: owner or mode of a managed config or key file changed", () => {
    it("VirtualHost: `chmod 644` on the TLS key is fileModes; update makes it root:root 600 again", async () => {
        const state = await virtualHost.create(host.ctx(), secure);
        expect(state.fileModes).toEqual({
            [vhostFile("secure")]: "root:root 644",
            [certFile("secure")]: "root:root 644",
            [keyFile("secure")]: "root:root 600",
        });
        expect(await changed(virtualHost, "secure", state, secure)).toEqual([]);
        chmod(keyFile("secure"), 0o644);
        const live = await virtualHost.read(host.ctx(), "secure", state);
        expect((live!.fileModes as Record<string, string>)[keyFile("secure")]).toBe("root:root 644");
        expect(diff(virtualHost, live!, secure).changed).toEqual(["fileModes"]);
        await virtualHost.update(host.ctx(), live!, secure);
        expect(stat(keyFile("secure"))).toEqual({ uid: 0, gid: 0, mode: 0o600 });
        expect(await changed(virtualHost, "secure", state, secure)).toEqual([]);
    });

    it("VirtualHost: the certificate or the site file given to nobody is fileModes; update gives them back to root", async () => {
        const state = await virtualHost.create(host.ctx(), secure);
        chown(certFile("secure"), NOBODY, 0);
        expect(await changed(virtualHost, "secure", state, secure)).toEqual(["fileModes"]);
        chown(certFile("secure"), 0, 0);
        chown(vhostFile("secure"), NOBODY, NOBODY);
        expect(await changed(virtualHost, "secure", state, secure)).toEqual(["fileModes"]);
        chown(certFile("secure"), NOBODY, 0);
        await virtualHost.update(host.ctx(), state, secure);
        expect(stat(certFile("secure"))).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(stat(vhostFile("secure"))).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(await changed(virtualHost, "secure", state, secure)).toEqual([]);
    });

    it("DaemonProcess: `chown nobody` or `chmod 600` on its conf file is fileModes; update makes it root:root 644", async () => {
        const state = await daemonProcess.create(host.ctx(), hello);
        expect(state.fileModes).toEqual({ [daemonFile("hello")]: "root:root 644" });
        expect(await changed(daemonProcess, "hello", state, hello)).toEqual([]);
        chown(daemonFile("hello"), NOBODY, NOBODY);
        expect(await changed(daemonProcess, "hello", state, hello)).toEqual(["fileModes"]);
        chown(daemonFile("hello"), 0, 0);
        chmod(daemonFile("hello"), 0o600);
        expect(await changed(daemonProcess, "hello", state, hello)).toEqual(["fileModes"]);
        chown(daemonFile("hello"), NOBODY, NOBODY);
        await daemonProcess.update(host.ctx(), state, hello);
        expect(stat(daemonFile("hello"))).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(await changed(daemonProcess, "hello", state, hello)).toEqual([]);
    });

    it("ApacheHost: 00-server.conf or the Listen file changed owner/mode is fileModes; update repairs both", async () => {
        const state = await apacheHost.create(host.ctx(), server);
        expect(state.fileModes).toEqual({ [SERVER_FILE]: "root:root 644", [LISTEN_FILE]: "root:root 644" });
        expect(await changed(apacheHost, "apache", state, server)).toEqual([]);
        chmod(SERVER_FILE, 0o600);
        chown(LISTEN_FILE, NOBODY, NOBODY);
        expect(await changed(apacheHost, "apache", state, server)).toEqual(["fileModes"]);
        await apacheHost.update(host.ctx(), state, server);
        expect(stat(SERVER_FILE)).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(stat(LISTEN_FILE)).toEqual({ uid: 0, gid: 0, mode: 0o644 });
        expect(await changed(apacheHost, "apache", state, server)).toEqual([]);
    });

    it("ApacheHost: a2disconf modwsgi-listen drops its ports: listenPorts is the changed property; update relinks", async () => {
        const state = await apacheHost.create(host.ctx(), server);
        fs.rmSync(host.local(LISTEN_LINK));
        expect(await changed(apacheHost, "apache", state, server)).toEqual(["listenPorts"]);
        await apacheHost.update(host.ctx(), state, server);
        expect(fs.readlinkSync(host.local(LISTEN_LINK))).toBe(host.local(LISTEN_FILE));
        expect(await changed(apacheHost, "apache", state, server)).toEqual([]);
        // a2enconf's relative link counts as enabled.
        relativeLink("../conf-available/modwsgi-listen.conf", LISTEN_LINK);
        expect(await changed(apacheHost, "apache", state, server)).toEqual([]);
    });

    it("a state from before fileModes was recorded (not refreshed) is not drift", () => {
        const old = { ...hello, configFile: daemonFile("hello"), configSha256: "", moduleVersion: undefined };
        expect(daemonProcess.drift!(old as never, hello)).not.toContain("fileModes");
    });
});

describe("files we do not own are never reported", () => {
    it("other sites, others' conf-enabled files, Debian's 000-default disabled: our resources read clean", async () => {
        const ctx = host.ctx();
        const states = {
            vhost: await virtualHost.create(ctx, secure),
            daemon: await daemonProcess.create(ctx, hello),
            server: await apacheHost.create(ctx, server),
        };
        const clean = async () => {
            expect(await changed(virtualHost, "secure", states.vhost, secure)).toEqual([]);
            expect(await changed(daemonProcess, "hello", states.daemon, hello)).toEqual([]);
            expect(await changed(apacheHost, "apache", states.server, server)).toEqual([]);
        };
        await clean();
        // Debian's default site, disabled (a2dissite 000-default); another site edited, given away, disabled.
        const sites = `${APACHE_DIR}/sites-available`;
        host.put(`${sites}/000-default.conf`, "<VirtualHost *:80>\n</VirtualHost>\n");
        host.put(`${sites}/other.conf`, "<VirtualHost *:80>\n    ServerName other.org\n</VirtualHost>\n", 0o600);
        chown(`${sites}/other.conf`, NOBODY, NOBODY);
        relativeLink("../sites-available/other.conf", `${APACHE_DIR}/sites-enabled/other.conf`);
        host.put(`${sites}/modwsgi-other.conf`, "# a name like ours, not in this program\n", 0o600);
        // Others' conf files and their conf-enabled links; another provider's TLS key with any mode.
        host.put(`${CONF_AVAILABLE}/security.conf`, "ServerTokens Full\n", 0o666);
        chown(`${CONF_AVAILABLE}/security.conf`, NOBODY, NOBODY);
        relativeLink("../conf-available/security.conf", `${CONF_ENABLED}/security.conf`);
        host.put(`${CONF_ENABLED}/local.conf`, "LogLevel debug\n", 0o600);
        host.put("/etc/modwsgi/tls/other.key", "x\n", 0o644);
        host.put(daemonFile("someone-else"), "WSGIDaemonProcess someone-else\n", 0o600);
        await clean();
    });
});
