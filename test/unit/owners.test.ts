// Ownership across stacks on a (fake) host: the first stack's claim is recorded; another stack's claim of the same
// thing fails naming the owner and records nothing; release drops only one's own records; import takes over.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import {
    claimKey,
    claimOwnership,
    foreignOwner,
    ownerOf,
    releaseOwnership,
    takeOwnership,
} from "../../provider/owners";
import { OWNERS_DIR } from "../../provider/layout";
import type { Claim } from "../../provider/resource";
import { FakeHost } from "../fakeHost";

const A = "urn:pulumi:prod::shop::modwsgi:index:DaemonProcess::web";
const B = "urn:pulumi:dev::blog::modwsgi:index:DaemonProcess::web";
const daemon: Claim = { key: "daemon:web", property: "name", what: 'daemon process group "web"' };
const app: Claim = { key: "app:web", property: "name", what: 'application "web"' };

describe("ownership records", () => {
    let host: FakeHost;
    beforeEach(() => (host = new FakeHost()));
    afterEach(() => host.cleanup());
    const records = () => (fs.existsSync(host.local(OWNERS_DIR)) ? fs.readdirSync(host.local(OWNERS_DIR)).sort() : []);

    it("names owners by stack and project, and records claims by hash (no claim text in a path)", () => {
        expect(ownerOf(A)).toBe("stack prod of project shop");
        expect(claimKey({ ...daemon, key: "url:*:/../../etc" })).toMatch(/^[0-9a-f]{40}$/);
    });

    it("a second stack's claim fails naming the first stack and the property, and records nothing", async () => {
        await claimOwnership(host, A, "DaemonProcess", [daemon]);
        expect(records()).toEqual([claimKey(daemon)]);
        expect(host.file(`${OWNERS_DIR}/${claimKey(daemon)}`)).toBe(`stack prod of project shop\n${A}\n`);
        const err = await claimOwnership(host, B, "DaemonProcess", [app, daemon]).catch((e: Error) => e);
        expect(String(err)).toMatch(
            /DaemonProcess\.name: daemon process group "web" on fake belongs to stack prod of project shop \(urn:pulumi:prod::shop::/,
        );
        expect(String(err)).toContain("pulumi import");
        // The free claim (app) was not recorded either: all or nothing.
        expect(records()).toEqual([claimKey(daemon)]);
        // The owner itself may claim again (an update).
        await claimOwnership(host, A, "DaemonProcess", [daemon, app]);
        expect(records()).toEqual([claimKey(daemon), claimKey(app)].sort());
    });

    it("release drops only the releasing stack's records; import takes a claim over", async () => {
        await claimOwnership(host, A, "DaemonProcess", [daemon]);
        await releaseOwnership(host, B, [daemon]);
        expect(records()).toEqual([claimKey(daemon)]);
        expect(await foreignOwner(host, B, [daemon])).toBe("stack prod of project shop");
        expect(await foreignOwner(host, A, [daemon])).toBeUndefined();
        await takeOwnership(host, B, [daemon]);
        expect(await foreignOwner(host, A, [daemon])).toBe("stack dev of project blog");
        await releaseOwnership(host, B, [daemon]);
        expect(records()).toEqual([]);
        await claimOwnership(host, A, "DaemonProcess", [daemon]);
    });
});
