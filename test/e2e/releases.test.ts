// Real releases (issue 11) on h14, one stack (test/e2e/programs/releases: a Flask app made by an application
// factory, its Application's settings from stack config) through every step:
// - a release command (`flask --app relapp init-db`) makes the SQLite database in the kept data directory and
//   writes into the release before it goes live; a page reads the database;
// - 20 code deploys under wrk (16 connections) cost clients nothing, and only keepReleases releases stay;
// - a failing release command fails `up` with its output (the secret environment value masked), switches nothing
//   and leaves no half-made release; an app that raises at import fails the health check and the previous release
//   serves again; going back to a tree still on the host is a switch without upload;
// - files the release commands wrote are not drift; the data directory outlives releases and a destroy without
//   deleteDataOnDestroy, and a destroy with it removes the app directory.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh, startWrk, type WrkResult } from "./harness";

const PROGRAM = path.join(REPO, "test/e2e/programs/releases");
const APP_DIR = "/srv/modwsgi/rel";
const VISITS = `${APP_DIR}/data/data/visits.txt`;
const CONNECTIONS = 16;
const DEPLOYS = 20;
const KEEP = 5; // keepReleases' default: the program does not set it
const STEP = 25 * 60_000;
const UPDATED = /~ +modwsgi:index:Application +rel +updated/;
const h = sandboxHost("h14");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "releases-"));
const secret = `rel-secret-${randomBytes(16).toString("hex")}`;
const marker = `visitor-${randomBytes(6).toString("hex")}`;

afterAll(() => {
    destroyStacks();
    // A run that failed before its last destroy leaves the kept data directory: the host must be clean for the next.
    ssh(h, `rm -rf ${APP_DIR}`);
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the app whose version.txt says `text` (each text a release of its own). */
function source(name: string, text: string): string {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(PROGRAM, "app"), dir, { recursive: true });
    setVersion(dir, text);
    return dir;
}
const setVersion = (dir: string, text: string) => fs.writeFileSync(path.join(dir, "version.txt"), `${text}\n`);

/** A command on the host that must succeed; its stdout. */
function hostRun(command: string): string {
    const r = ssh(h, command);
    expect(r.code, `${command}: ${r.stderr}`).toBe(0);
    return r.stdout;
}
/** Where `current` points: releases/<sha256>. */
const current = () => hostRun(`readlink ${APP_DIR}/current`).trim();
/** Everything in releases/ (release dirs, their .tree records, and anything half-made). */
const releaseEntries = () => hostRun(`ls -1A ${APP_DIR}/releases`).split("\n").filter(Boolean);
const releaseDirs = () => releaseEntries().filter((e) => /^[0-9a-f]{64}$/.test(e));

async function visit(url: string, who: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`${url}visit`, {
        method: "POST",
        body: new URLSearchParams({ who }),
        signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.text() };
}

describe("real releases", () => {
    const src = source("app", "release 1");
    let s: Stack;
    let url = "";

    it(
        "a Flask app factory: its release command makes the database in the data dir, a page reads it",
        { timeout: STEP },
        async () => {
            // A run killed before its cleanup leaves the kept data directory (and its visits) behind.
            ssh(h, `rm -rf ${APP_DIR}`);
            s = new Stack("releases", PROGRAM, { refresh: false });
            s.configHost(h);
            s.configSecret("appSecret", secret);
            s.config("source", src);
            // A shorter check than the default 30 s: the import failure below waits for all of it.
            s.config("healthCheck", JSON.stringify({ path: "/rel/notes", expectStatus: 200, timeoutSeconds: 10 }));
            s.up();
            url = s.output("url");
            expect(await get(url)).toEqual({ status: 200, body: "release 1\n" });
            // The loader calls the factory named by entryPoint "relapp:create_app()".
            expect(hostRun(`cat ${APP_DIR}/wsgi.py`)).toContain(`getattr(import_module("relapp"), "create_app")()`);

            // The database the release command created in the kept data dir, as the daemon's user, read by the app.
            expect(await get(`${url}notes`)).toEqual({ status: 200, body: "written by the release command\n" });
            expect(hostRun(`stat -c %U ${APP_DIR}/data/data/app.db`).trim()).toBe("www-data");
            expect(hostRun(`readlink -f ${APP_DIR}/current/data`).trim()).toBe(`${APP_DIR}/data/data`);
            // The file the command wrote into the release (not in the source) is part of it.
            expect(fs.existsSync(path.join(src, "built.txt"))).toBe(false);
            expect(await get(`${url}built`)).toEqual({ status: 200, body: "built by init-db for release 1\n" });

            // The app writes into its data dir: the later steps check that this survives.
            const v = await visit(url, marker);
            expect(v).toEqual({ status: 200, body: `${marker}\n` });
            expect(hostRun(`cat ${VISITS}`)).toBe(`${marker}\n`);
        },
    );

    it(
        `R1: ${DEPLOYS} code deploys under wrk cost clients nothing; ${KEEP} releases remain`,
        { timeout: STEP },
        async () => {
            expect(url, "the first step deployed the app").not.toBe("");
            const seen = new Set<string>([current()]);
            const load = startWrk(url, CONNECTIONS);
            const started = Date.now();
            let r: WrkResult;
            try {
                for (let i = 1; i <= DEPLOYS; i++) {
                    setVersion(src, `release r1-${i}`);
                    const out = s.up();
                    expect(out).toMatch(UPDATED);
                    expect(out).toContain("uploading");
                    seen.add(current());
                    expect((await get(url)).body).toBe(`release r1-${i}\n`);
                    // The data dir after 3 more releases.
                    if (i === 3) expect(hostRun(`cat ${VISITS}`)).toBe(`${marker}\n`);
                }
            } finally {
                // wrk must not outlive a failed step: it would load the host through the next ones.
                r = await load.stop();
            }
            const seconds = (Date.now() - started) / 1000;
            console.log(
                `R1: ${DEPLOYS} deploys in ${seconds.toFixed(0)} s under wrk: ${r.requests} requests, ` +
                    `${r.non2xx} non-2xx, ${r.socketErrors} socket errors (${r.socketDetail})`,
            );
            expect(r.requests).toBeGreaterThan(1000);
            expect(r.non2xx).toBe(0);
            expect(r.socketErrors).toBe(0);
            expect(seen.size).toBe(DEPLOYS + 1);
            expect(await get(url)).toEqual({ status: 200, body: `release r1-${DEPLOYS}\n` });

            // The newest KEEP releases, the live one among them, each with its record and nothing half-made.
            const dirs = releaseDirs();
            expect(dirs).toHaveLength(KEEP);
            expect(dirs.sort()).toEqual(
                [...seen]
                    .slice(-KEEP)
                    .map((rel) => rel.replace(/^releases\//, ""))
                    .sort(),
            );
            expect(releaseEntries().sort()).toEqual(dirs.flatMap((d) => [d, `${d}.tree`]).sort());
            expect(hostRun(`cat ${VISITS}`)).toBe(`${marker}\n`);
        },
    );

    it(
        "a failing release command fails up with its output, secrets masked; nothing switched or left",
        { timeout: STEP },
        async () => {
            expect(url, "the first step deployed the app").not.toBe("");
            const live = current();
            const entries = releaseEntries();
            const before = await get(url);
            expect(before.status).toBe(200);

            setVersion(src, "release broken-migration");
            const failing = [
                "python",
                "-c",
                "import os, sys; print('migration 0042 failed: column x'); " +
                    "print('token', os.environ['APP_SECRET']); sys.exit(3)",
            ];
            s.config("releaseCommands", JSON.stringify([failing]));
            const out = s.run(["up", "--yes", "--skip-preview"], "fail");
            expect(out).toContain("release command `python -c ");
            expect(out).toContain("exited 3");
            expect(out).toContain("migration 0042 failed: column x");
            expect(out).toContain("nothing was switched");
            // The app's secret environment value the command printed is masked by the host, nowhere in clear.
            expect(out).toContain("token ***");
            expect(out).not.toContain(secret);

            expect(current()).toBe(live);
            expect(releaseEntries()).toEqual(entries);
            expect(await get(url)).toEqual(before);
            s.run(["config", "rm", "releaseCommands"]);
        },
    );

    it(
        "an app that raises at import fails the health check; the previous release serves again",
        { timeout: STEP },
        async () => {
            expect(url, "the first step deployed the app").not.toBe("");
            const live = current();
            const before = await get(url);
            expect(before.status).toBe(200);

            setVersion(src, "release boom");
            const init = path.join(src, "relapp/__init__.py");
            const good = fs.readFileSync(init, "utf8");
            fs.writeFileSync(init, `raise RuntimeError("boom at import")\n${good}`);
            // No release command: init-db imports the app too and would stop the deploy before the switch.
            s.config("releaseCommands", "[]");
            const out = s.run(["up", "--yes", "--skip-preview"], "fail");
            fs.writeFileSync(init, good);
            s.run(["config", "rm", "releaseCommands"]);

            // The traceback's last line from Apache's error log, and the switch back.
            expect(out).toContain("RuntimeError: boom at import");
            expect(out).toContain("the health check of http://127.0.0.1:80/rel/notes failed after the switch");
            expect(out).toContain("the previous release serves again");
            expect(current()).toBe(live);
            expect(await get(url)).toEqual(before);
        },
    );

    it("rollback: a tree still on the host is switched to without an upload", { timeout: STEP }, async () => {
        expect(url, "the first step deployed the app").not.toBe("");
        const a = source("a", "release A");
        s.config("source", a);
        expect(s.up()).toContain("uploading");
        const releaseA = current();
        const inode = () => hostRun(`stat -c %i ${APP_DIR}/${releaseA}`).trim();
        const inodeA = inode();
        expect(await get(url)).toEqual({ status: 200, body: "release A\n" });

        s.config("source", source("b", "release B"));
        expect(s.up()).toContain("uploading");
        expect(current()).not.toBe(releaseA);
        expect(await get(url)).toEqual({ status: 200, body: "release B\n" });

        s.config("source", a);
        const out = s.up();
        expect(out).toMatch(UPDATED);
        expect(out).toContain("already on the host");
        expect(out).not.toContain("uploading");
        // The same directory, not a new copy of it.
        expect(current()).toBe(releaseA);
        expect(inode()).toBe(inodeA);
        expect(await get(url)).toEqual({ status: 200, body: "release A\n" });
        expect(releaseDirs().length).toBeLessThanOrEqual(KEEP);
    });

    it("files the release commands wrote into the release are not drift", { timeout: STEP }, () => {
        expect(url, "the first step deployed the app").not.toBe("");
        const built = `${APP_DIR}/current/built.txt`;
        expect(hostRun(`cat ${built}`)).toBe("built by init-db for release A\n");
        s.run(["preview", "--refresh", "--expect-no-changes"]);
        // The same check sees an edit of that file: it is tracked, not ignored.
        hostRun(`echo edited >> ${built}`);
        const drift = s.run(["preview", "--refresh", "--expect-no-changes", "--diff"], "fail");
        expect(drift).toContain("sourceSha256");
        hostRun(`printf 'built by init-db for release A\\n' > ${built}`);
        s.run(["preview", "--refresh", "--expect-no-changes"]);
    });

    it(
        "the data dir outlives releases and a destroy; with deleteDataOnDestroy destroy removes it",
        { timeout: STEP },
        async () => {
            expect(url, "the first step deployed the app").not.toBe("");
            expect(hostRun(`cat ${VISITS}`)).toBe(`${marker}\n`);

            // Destroying the Application (the module, venv and daemon stay: no second build) keeps the data dir.
            const urn = "urn:pulumi:test::releases::modwsgi:index:Application::rel";
            s.run(["destroy", "--yes", "--skip-preview", "--target", urn]);
            expect((await get(url, 404)).status).toBe(404);
            expect(ssh(h, `test -e ${APP_DIR}/releases || test -e ${APP_DIR}/current`).code).not.toBe(0);
            expect(hostRun(`cat ${VISITS}`)).toBe(`${marker}\n`);

            // A new deployment finds the kept data; with deleteDataOnDestroy, destroy removes the app dir.
            s.config("deleteDataOnDestroy", "true");
            s.up();
            expect(await get(url)).toEqual({ status: 200, body: "release A\n" });
            expect(await visit(url, "after-recreate")).toEqual({ status: 200, body: `${marker}\nafter-recreate\n` });
            s.run(["destroy", "--yes", "--skip-preview"]);
            expect((await get(url, 404)).status).toBe(404);
            expect(ssh(h, `test -e ${APP_DIR}`).code).not.toBe(0);
        },
    );
});
