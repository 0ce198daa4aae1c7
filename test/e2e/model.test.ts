// The typed model through the real CLI: cross-resource checks at preview, before anything touches a host.
import { describe, expect, it } from "vitest";
import * as path from "node:path";
import { REPO, Stack, acceptedLogins, sandboxHost } from "./harness";

describe("typed model at preview", () => {
    it("two daemon groups with one name on one host fail preview, naming both resources, without logging in", { timeout: 600_000 }, () => {
        const h = sandboxHost("h2");
        const s = new Stack("duplicate", path.join(REPO, "test/e2e/programs/duplicate"), { refresh: false });
        s.config("host", h.address);
        s.config("hostKey", h.hostKey);
        s.config("privateKeyFile", h.privateKeyFile);
        const before = acceptedLogins(h);
        const out = s.run(["preview"], "fail");
        expect(out).toMatch(/DaemonProcess\.name: daemon process group "web" is already declared on this host by (first|second)/);
        expect(acceptedLogins(h)).toBe(before);
    });
});
