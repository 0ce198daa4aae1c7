// Cancel drops the work still queued in the provider: after it, no command starts on any host (work already
// running on a host finishes or rolls back there, see connectionLost.test.ts). Its own file: the flag is global.
import { describe, expect, it } from "vitest";
import { cancelAll, host } from "../../provider/remote/ssh";
import { connectionSchema } from "../../provider/remote/connection";

describe("Cancel", () => {
    it("refuses every command afterwards without connecting, naming the step and the host", async () => {
        // 192.0.2.0/24 is TEST-NET-1: nothing answers there, so a connection attempt would hang, not fail fast.
        const conn = connectionSchema.parse({ host: "192.0.2.7", hostKey: "acceptAny", password: "x" });
        cancelAll();
        const started = Date.now();
        await expect(host(conn).exec("true", { step: "probe" })).rejects.toThrow(
            /^probe on .*192\.0\.2\.7.*: not started, the update was cancelled$/,
        );
        expect(Date.now() - started).toBeLessThan(1000);
    });
});
