// Apache under systemd, as on real servers: on h10, whose PID 1 is systemd (sandbox.sh up-systemd), every reload
// the provider makes goes through `systemctl` and shows in apache2.service's journal. A daemon-option change is one
// `systemctl reload` (Apache's main PID stays); a code-only change reloads nothing and restarts only its own daemon
// group; a hand-broken config file makes the next change fail while Apache stays active on the last good config,
// and once it is gone `up` converges; an Apache stopped by hand is started again by the next config change;
// destroy removes the site (unloading mod_wsgi with a `systemctl restart`) and leaves apache2.service active.
import { afterAll, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const STEP = 15 * 60_000;
afterAll(destroyStacks);

describe("Apache under systemd (h10)", () => {
    it(
        "reloads through systemctl, restarts only the changed group, survives a broken file, restarts a stopped Apache",
        { timeout: STEP },
        async () => {
            const h = sandboxHost("h10");
            const run = (cmd: string) => ssh(h, cmd).stdout.trim();
            // The premise: systemd is PID 1 and runs Apache (else this file would test the apache2ctl path again).
            expect(run("readlink /proc/1/exe")).toBe("/usr/lib/systemd/systemd");
            expect(run("systemctl is-active apache2")).toBe("active");

            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "systemd-"));
            const src = (n: string) => path.join(tmp, n);
            for (const n of ["appa", "appb"])
                fs.cpSync(path.join(REPO, "examples/flask-hello/app"), src(n), { recursive: true });
            const stack = new Stack("systemd-twoapps", path.join(REPO, "test/e2e/programs/twoapps"));
            stack.configHost(h);
            stack.config("appaSource", src("appa"));
            stack.config("appbSource", src("appb"));
            stack.up();
            const [a, b] = JSON.parse(stack.run(["stack", "output", "urls", "--json"])) as string[];
            expect((await get(a)).body).toMatch(/^Hello from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
            // The provider saw the host as a systemd host.
            expect(run("test -d /run/systemd/system && command -v systemctl")).toBe("/usr/bin/systemctl");

            // What systemd did to apache2.service, counted in its journal ("Reloaded ...", "Started ...").
            const journal = (verb: string) =>
                Number(run(`journalctl -u apache2 -o cat --no-pager | grep -c '^${verb} apache2.service' || true`));
            const mainPid = () => run("systemctl show -p MainPID --value apache2");
            const pids = (group: string) => run(`pgrep -f '^\\(wsgi:${group}\\)' | sort`);
            const threadsIn = (group: string) =>
                run(`sed -n 's/.* threads=\\([0-9]*\\).*/\\1/p' /etc/apache2/modwsgi.d/10-daemon-${group}.conf`);

            // A daemon-option change: one `systemctl reload apache2` (its ExecReload), the same main process.
            const start = { reloaded: journal("Reloaded"), started: journal("Started"), main: mainPid() };
            expect(start.main).toMatch(/^[1-9][0-9]*$/);
            expect(run("cat /run/apache2/apache2.pid")).toBe(start.main);
            stack.config("threads", "3");
            const out = stack.up();
            expect(out).toMatch(/~ +modwsgi:index:DaemonProcess +appa +updated/);
            expect(out).toMatch(/~ +modwsgi:index:DaemonProcess +appb +updated/);
            expect([threadsIn("appa"), threadsIn("appb")]).toEqual(["3", "3"]);
            expect(journal("Reloaded") - start.reloaded).toBe(1);
            expect(journal("Started")).toBe(start.started);
            expect(mainPid()).toBe(start.main);
            expect((await get(a)).body).toMatch(/^Hello from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);

            // A code-only change of appa: no reload at all; only appa's daemon group restarts.
            const before = { a: pids("appa"), b: pids("appb"), reloaded: journal("Reloaded") };
            expect(before.a).not.toBe("");
            expect(before.b).not.toBe("");
            fs.writeFileSync(
                path.join(src("appa"), "hello.py"),
                fs.readFileSync(path.join(src("appa"), "hello.py"), "utf8").replace("'Hello'", "'Changed'"),
            );
            const out2 = stack.up();
            expect(out2).toMatch(/~ +modwsgi:index:Application +appa +updated/);
            expect(out2).not.toMatch(/modwsgi:index:(Application +appb|DaemonProcess).* updated/);
            // mod_wsgi restarts the group on its next request, when it sees the loader's new mtime.
            let body = "";
            for (let i = 0; i < 20 && !body.startsWith("Changed"); i++) {
                body = (await get(a)).body;
                if (!body.startsWith("Changed")) await new Promise((r) => setTimeout(r, 500));
            }
            expect(body).toMatch(/^Changed from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
            expect(pids("appa")).not.toBe(before.a);
            expect(pids("appb")).toBe(before.b);
            expect(journal("Reloaded")).toBe(before.reloaded);
            expect(mainPid()).toBe(start.main);

            // A file someone broke by hand: the next change fails with Apache's reason, nothing is reloaded, and
            // apache2.service stays active serving the last good config.
            const broken = "/etc/apache2/conf-enabled/zz-broken.conf";
            expect(ssh(h, `echo 'NoSuchDirective on' > ${broken}`).code).toBe(0);
            stack.config("threads", "4");
            const bad = stack.run(["up", "--yes", "--skip-preview"], "fail");
            expect(bad).toMatch(/Invalid command 'NoSuchDirective'/);
            expect(run("systemctl is-active apache2")).toBe("active");
            expect(mainPid()).toBe(start.main);
            expect(journal("Reloaded")).toBe(before.reloaded);
            expect([threadsIn("appa"), threadsIn("appb")]).toEqual(["3", "3"]);
            expect((await get(a)).status).toBe(200);
            expect((await get(b)).status).toBe(200);

            // The file gone, `up` converges (one reload) and nothing is left to change.
            expect(ssh(h, `rm ${broken}`).code).toBe(0);
            stack.up();
            expect([threadsIn("appa"), threadsIn("appb")]).toEqual(["4", "4"]);
            expect(journal("Reloaded") - before.reloaded).toBe(1);
            expect(mainPid()).toBe(start.main);
            stack.run(["preview", "--expect-no-changes"]);

            // Apache stopped with systemctl: drift (apacheRunning); the next up starts it again (`systemctl
            // start`, a new main process), and both apps answer.
            expect(ssh(h, "systemctl stop apache2").code).toBe(0);
            expect(run("systemctl is-active apache2 || true")).toBe("inactive");
            expect((await get(a, 200, 1)).status).toBe(0);
            const stopped = { reloaded: journal("Reloaded"), started: journal("Started") };
            stack.config("threads", "5");
            stack.up();
            expect(run("systemctl is-active apache2")).toBe("active");
            // WsgiModule reads Apache stopped (apacheRunning) and starts it first; the daemon groups' change
            // then reloads it once at most.
            expect(journal("Started") - stopped.started).toBe(1);
            expect(journal("Reloaded") - stopped.reloaded).toBeLessThanOrEqual(1);
            expect(mainPid()).not.toBe(start.main);
            expect([threadsIn("appa"), threadsIn("appb")]).toEqual(["5", "5"]);
            expect((await get(a)).body).toMatch(/^Changed from Flask/);
            expect((await get(b)).body).toMatch(/^Hello from Flask/);
            stack.run(["preview", "--expect-no-changes"]);

            // Destroy: the site is gone; unloading mod_wsgi is a full `systemctl restart` (a new main process), and
            // apache2.service runs on.
            const live = { started: journal("Started"), main: mainPid() };
            stack.run(["destroy", "--yes", "--skip-preview"]);
            expect((await get(a, 404)).status).toBe(404);
            expect((await get(b, 404)).status).toBe(404);
            expect(run("systemctl is-active apache2")).toBe("active");
            expect(journal("Started") - live.started).toBe(1);
            expect(mainPid()).not.toBe(live.main);
            expect(run("ls /etc/apache2/modwsgi.d/ | grep -c -e daemon-app -e app-app || true")).toBe("0");
            expect(ssh(h, "test -e /srv/modwsgi/appa || test -e /srv/modwsgi/appb").code).not.toBe(0);
        },
    );
});
