// The quickstart on a Debian 13 sandbox host (Apache 2.4 from trixie, Python 3.13): mod_wsgi 6.1.1 is
// built against that Python, serves Flask, reads back without drift, and goes away on destroy.
import { afterAll, describe, expect, it } from "vitest";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const STEP = 15 * 60_000;
afterAll(destroyStacks);

describe("Debian 13", () => {
    it(
        "pulumi up serves Flask through mod_wsgi 6.1.1 on Python 3.13; refresh finds no drift; destroy cleans up",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h7");
            expect(ssh(h, ". /etc/os-release; echo $VERSION_ID").stdout.trim()).toBe("13");
            const stack = new Stack("debian13", path.join(REPO, "examples/flask-hello"));
            stack.config("host", h.address);
            stack.config("hostKey", h.hostKey);
            stack.up();
            const url = stack.output("url");
            expect(stack.output("pythonAbi")).toBe("cpython-313-x86_64-linux-gnu");
            const res = await get(url);
            expect(res.status).toBe(200);
            expect(res.body).toMatch(
                /^Hello from Flask, served by mod_wsgi\/6\.1\.1 in daemon group 'hello' \(Python 3\.13\./,
            );
            expect(
                ssh(h, "grep -o 'mod_wsgi/[0-9.]* Python/[0-9.]*' /var/log/apache2/error.log | tail -n 1").stdout,
            ).toMatch(/^mod_wsgi\/6\.1\.1 Python\/3\.13/);
            stack.run(["preview", "--refresh", "--expect-no-changes"]);
            stack.run(["destroy", "--yes", "--skip-preview"]);
            expect((await get(url, 404)).status).toBe(404);
        },
    );
});
