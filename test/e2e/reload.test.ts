// The reload table, observed: a code-only deploy of one app restarts only its own daemon group; the other
// group's processes and Apache's parent keep their PIDs. Config changes to two groups in one step reload
// Apache gracefully, once, keeping its parent; another mod_wsgi release is a full restart (a new parent); a
// bad change next to a good one in the same step fails alone.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const STEP = 15 * 60_000;
afterAll(destroyStacks);

describe("what a change restarts", () => {
    it(
        "a code-only deploy of app A leaves app B's daemon PIDs and Apache's parent unchanged",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h3");
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "twoapps-"));
            const src = (n: string) => path.join(tmp, n);
            for (const n of ["appa", "appb"])
                fs.cpSync(path.join(REPO, "examples/flask-hello/app"), src(n), { recursive: true });
            const stack = new Stack("twoapps", path.join(REPO, "test/e2e/programs/twoapps"), { refresh: false });
            stack.configHost(h);
            stack.config("appaSource", src("appa"));
            stack.config("appbSource", src("appb"));
            stack.up();
            const [a, b] = JSON.parse(stack.run(["stack", "output", "urls", "--json"])) as string[];
            expect((await get(a)).body).toMatch(/^Hello from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);

            const pids = (group: string) => ssh(h, `pgrep -f '^\\(wsgi:${group}\\)' | sort`).stdout.trim();
            const apacheParent = () => ssh(h, "cat /var/run/apache2/apache2.pid").stdout.trim();
            const before = { a: pids("appa"), b: pids("appb"), parent: apacheParent() };
            expect(before.a).not.toBe("");
            expect(before.b).not.toBe("");

            fs.writeFileSync(
                path.join(src("appa"), "hello.py"),
                fs.readFileSync(path.join(src("appa"), "hello.py"), "utf8").replace("'Hello'", "'Changed'"),
            );
            const out = stack.up();
            expect(out).toMatch(/~ +modwsgi:index:Application +appa +updated/);
            expect(out).not.toMatch(/modwsgi:index:(Application +appb|DaemonProcess).* updated/);
            // mod_wsgi restarts the group on its next request, when it sees the loader's new mtime.
            let body = "";
            for (let i = 0; i < 20 && !body.startsWith("Changed"); i++) {
                body = (await get(a)).body;
                if (!body.startsWith("Changed")) await new Promise((r) => setTimeout(r, 500));
            }
            expect(body).toMatch(/^Changed from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
            expect(pids("appb")).toBe(before.b);
            expect(apacheParent()).toBe(before.parent);
            expect(pids("appa")).not.toBe(before.a);

            // A config change to both groups in one step: both resources update, Apache reloads once.
            const graceful = () =>
                Number(ssh(h, "grep -c 'SIGUSR1 received' /var/log/apache2/error.log || true").stdout.trim());
            const reloads = graceful();
            stack.config("threads", "3");
            const out2 = stack.up();
            expect(out2).toMatch(/~ +modwsgi:index:DaemonProcess +appa +updated/);
            expect(out2).toMatch(/~ +modwsgi:index:DaemonProcess +appb +updated/);
            expect(
                ssh(
                    h,
                    "cat /etc/apache2/modwsgi.d/10-daemon-appa.conf /etc/apache2/modwsgi.d/10-daemon-appb.conf | grep -c 'threads=3'",
                ).stdout.trim(),
            ).toBe("2");
            expect(graceful() - reloads).toBe(1);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
            // A graceful reload keeps Apache's parent process.
            expect(apacheParent()).toBe(before.parent);

            // Another mod_wsgi release is a new .so: a full stop and start (a new parent), not a graceful reload.
            stack.config("moduleVersion", "6.1.0");
            const out3 = stack.up();
            expect(out3).toMatch(/~ +modwsgi:index:WsgiModule +module +updated/);
            expect(apacheParent()).not.toBe(before.parent);
            expect(graceful() - reloads).toBe(1);
            expect((await get(b)).body).toMatch(/^Hello from Flask, served by mod_wsgi\/6\.1\.0 /);
            expect(
                ssh(h, "grep -o 'mod_wsgi/[0-9.]* Python' /var/log/apache2/error.log | tail -n 1").stdout.trim(),
            ).toBe("mod_wsgi/6.1.0 Python");
            expect(stack.output("moduleVersion")).toBe("6.1.0");

            // Two changes in one step, one of them bad: Apache rejects the combined set, each is retried alone,
            // so appa's change lands and only appb fails, with Apache's reason; appb's file stays as it was.
            const appbFile = "/etc/apache2/modwsgi.d/10-daemon-appb.conf";
            const appbBefore = ssh(h, `cat ${appbFile}`).stdout;
            stack.config("appaThreads", "4");
            stack.config("appbUser", "nosuchuser");
            const bad = stack.run(["up", "--yes", "--skip-preview"], "fail");
            expect(bad).toMatch(/~ +modwsgi:index:DaemonProcess +appa +updated/);
            expect(bad).toMatch(/modwsgi:index:DaemonProcess +appb +\*\*updating failed\*\*|bad user name nosuchuser/);
            expect(bad).toMatch(/bad user name nosuchuser/);
            expect(ssh(h, "grep -c 'threads=4' /etc/apache2/modwsgi.d/10-daemon-appa.conf").stdout.trim()).toBe("1");
            expect(ssh(h, `cat ${appbFile}`).stdout).toBe(appbBefore);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
        },
    );
});
