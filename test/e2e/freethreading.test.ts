// examples/free-threading on h28 (Debian 13): a free-threaded CPython 3.13t, built from Debian's python3.13 source
// (test/sandbox/cpython-ft.sh: unpacked from the cache, or built in h28 first when the cache lacks it), mod_wsgi
// 6.1.1 built against it by WsgiModule, and ApacheHost.freeThreading. On: the daemon's Python runs without the
// GIL, as mod_wsgi asked (sys.flags.gil 0). Off on the same Python: mod_wsgi forces the GIL on (sys.flags.gil 1),
// and two CPU-bound threads then never use more than one core's worth of CPU time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const HOST = "h28";
const STEP = 20 * 60_000;
// A cold build (build deps, configure, make -j2 on 2 shared cores) takes tens of minutes; a warm run only unpacks.
const BUILD = 90 * 60_000;

interface Report {
    mod_wsgi: string;
    process_group: string;
    python: string;
    abi: string;
    free_threaded_build: boolean;
    gil_enabled: boolean;
    gil_flag: number | null;
    free_threading: boolean;
    pid: number;
}
interface Spin {
    threads: number;
    wall: number;
    cpu: number;
    cpu_per_wall: number;
    gil_enabled: boolean;
}

/** The app's report, asked until `ready` holds (a graceful restart replaces the daemon; bounded). */
async function report(url: string, ready: (r: Report) => boolean): Promise<Report> {
    let last: Report | undefined;
    for (let i = 0; i < 30; i++) {
        const res = await get(url);
        if (res.status === 200) {
            last = JSON.parse(res.body) as Report;
            if (ready(last)) return last;
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
    if (!last) throw new Error(`${url} never answered 200`);
    return last;
}

async function spin(url: string): Promise<Spin> {
    const res = await get(`${url}spin?threads=2&seconds=2`);
    expect(res.status).toBe(200);
    return JSON.parse(res.body) as Spin;
}

beforeAll(() => {
    const t0 = Date.now();
    execFileSync(path.join(REPO, "test/sandbox/cpython-ft.sh"), ["ensure", HOST], {
        stdio: ["ignore", "inherit", "inherit"],
        timeout: BUILD,
    });
    console.log(`cpython-ft.sh ensure ${HOST}: ${Math.round((Date.now() - t0) / 1000)} s`);
}, BUILD);
afterAll(destroyStacks);

describe("free-threaded CPython 3.13t (Debian 13)", () => {
    it(
        "freeThreading on: the app runs without the GIL; off on the same Python: the GIL is on; no drift",
        { timeout: STEP },
        async () => {
            const h = sandboxHost(HOST);
            expect(ssh(h, ". /etc/os-release; echo $VERSION_ID").stdout.trim()).toBe("13");
            const s = new Stack("freethreading", path.join(REPO, "examples/free-threading"));
            s.configHost(h);
            s.up();
            expect(s.output("pythonAbi")).toBe("cpython-313t-x86_64-linux-gnu");
            // The module Apache loads links the free-threaded libpython (found through its rpath).
            const ldd = ssh(h, `ldd '${s.output("modulePath")}'`).stdout;
            expect(ldd).toMatch(/libpython3\.13t\.so\.1\.0 => \/opt\/python3\.13t\/lib\/libpython3\.13t\.so\.1\.0/);
            const url = s.output("url");

            const on = await report(url, (r) => !r.gil_enabled);
            expect(on).toMatchObject({
                mod_wsgi: "6.1.1",
                process_group: "ft",
                abi: "cpython-313t-x86_64-linux-gnu",
                free_threaded_build: true,
                gil_enabled: false,
                gil_flag: 0,
                free_threading: true,
            });
            expect(on.python).toMatch(/^3\.13\./);
            const parallel = await spin(url);
            expect(parallel.gil_enabled).toBe(false);
            s.run(["preview", "--refresh", "--expect-no-changes"]);

            s.config("freeThreading", "false");
            s.up();
            expect(ssh(h, "grep -x 'WSGIFreeThreading Off' /etc/apache2/modwsgi.d/00-server.conf").code).toBe(0);
            const off = await report(url, (r) => r.gil_enabled && r.pid !== on.pid);
            expect(off).toMatchObject({
                abi: "cpython-313t-x86_64-linux-gnu",
                free_threaded_build: true,
                gil_enabled: true,
                gil_flag: 1,
                free_threading: false,
            });
            expect(off.pid).not.toBe(on.pid);
            // With the GIL, one thread runs Python at a time: the two spinning threads share one core's time.
            const serial = await spin(url);
            expect(serial.gil_enabled).toBe(true);
            expect(serial.cpu_per_wall).toBeLessThan(1.3);
            console.log(
                `CPU time / wall time of 2 spinning threads: GIL off ${parallel.cpu_per_wall}, ` +
                    `GIL on ${serial.cpu_per_wall} (2 shared cores)`,
            );
            s.run(["preview", "--refresh", "--expect-no-changes"]);

            s.run(["destroy", "--yes", "--skip-preview"]);
            expect((await get(url, 404, 5)).status).toBe(404);
        },
    );
});
