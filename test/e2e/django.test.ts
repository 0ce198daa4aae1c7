// examples/django on a Debian 13 host, as a user would run it: the release commands migrate the SQLite database in
// the kept data directory and collect the static files into the release, Apache serves those itself, the admin
// and a page reading the model answer; a second release that adds a migration applies it and keeps the rows; no
// drift; destroy keeps the data directory.
import { afterAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

const EXAMPLE = path.join(REPO, "examples/django");
const APP_DIR = "/srv/modwsgi/mysite";
const DB = `${APP_DIR}/data/data/db.sqlite3`;
const h = sandboxHost("h13");
const site = fs.mkdtempSync(path.join(os.tmpdir(), "django-site-"));

afterAll(() => {
    destroyStacks();
    // destroy keeps the data directory on purpose: remove it by hand so the host is clean for the next run.
    ssh(h, `rm -rf ${APP_DIR}`);
    fs.rmSync(site, { recursive: true, force: true });
});

/** One GET with its headers, retried (bounded) until it answers `want`. */
async function fetchWant(url: string, want: number, init?: RequestInit): Promise<Response & { text_: string }> {
    let last: (Response & { text_: string }) | undefined;
    let error = "";
    for (let i = 0; i < 20; i++) {
        try {
            const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
            last = Object.assign(res, { text_: await res.text() });
            if (res.status === want) return last;
        } catch (e) {
            error = String(e);
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    if (!last) throw new Error(`${url}: no answer (${error})`);
    return last;
}

/** Rows of an SQL query on the app's database, read on the host (read-only) with Debian's python3. */
function sql(query: string): unknown {
    const py = `import json, sqlite3, sys; c = sqlite3.connect("file:${DB}?mode=ro", uri=True); print(json.dumps(c.execute(sys.argv[1]).fetchall()))`;
    const r = ssh(h, `python3 -c '${py}' "${query}"`);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
}

describe("examples/django", () => {
    it(
        "migrates, serves admin CSS from Apache and the model from SQLite; a new migration keeps the rows; destroy keeps the data",
        { timeout: 25 * 60_000 },
        async () => {
            expect(ssh(h, ". /etc/os-release; echo $VERSION_ID").stdout.trim()).toBe("13");
            // A run killed before its cleanup leaves the kept data directory (with its migrations) behind.
            ssh(h, `rm -rf ${APP_DIR}`);
            fs.cpSync(path.join(EXAMPLE, "site"), site, { recursive: true });
            const secret = `django-e2e-${randomBytes(24).toString("hex")}`;
            const s = new Stack("django", EXAMPLE);
            s.configHost(h);
            s.config("siteDir", site);
            s.configSecret("secretKey", secret);
            s.up();
            const url = s.output("url");
            const first = ssh(h, `readlink -f ${APP_DIR}/current`).stdout.trim();
            expect(first).toMatch(new RegExp(`^${APP_DIR}/releases/[0-9a-f]{64}$`));

            // The admin, rendered by Django (its middleware sets X-Frame-Options on every response it makes).
            const login = await fetchWant(`${url}admin/login/`, 200);
            expect(login.status).toBe(200);
            expect(login.text_).toContain("Django administration");
            expect(login.headers.get("x-frame-options")).toBe("DENY");

            // The admin's CSS, collected into the live release by the release command and sent by Apache's file
            // handler: the host's bytes, an ETag, none of Django's headers. Django (DEBUG off) serves no static files.
            const css = await fetchWant(`${url}static/admin/css/base.css`, 200);
            expect(css.status).toBe(200);
            expect(css.headers.get("content-type")).toMatch(/^text\/css/);
            expect(css.headers.get("etag")).toBeTruthy();
            expect(css.headers.get("x-frame-options")).toBeNull();
            const onHost = ssh(h, `sha256sum ${first}/staticfiles/admin/css/base.css`).stdout.split(" ")[0];
            expect(createHash("sha256").update(css.text_).digest("hex")).toBe(onHost);
            // A missing static file is Apache's 404 page, not Django's.
            const missing = await fetchWant(`${url}static/admin/css/no-such.css`, 404);
            expect(missing.status).toBe(404);
            expect(missing.text_).toContain("The requested URL was not found on this server.");
            expect(missing.headers.get("x-frame-options")).toBeNull();

            // The model, read from SQLite: the row migration 0002 wrote, and one added through the app now.
            const notes = await get(`${url}notes/`);
            expect(notes.status).toBe(200);
            expect(notes.body).toContain("<li>Hello from migration 0002</li>");
            expect(await get(`${url}healthz`)).toEqual({ status: 200, body: "ok\n" });
            const kept = `kept-${randomBytes(6).toString("hex")}`;
            const added = await fetchWant(`${url}notes/`, 200, {
                method: "POST",
                body: new URLSearchParams({ text: kept }),
            });
            expect(added.status).toBe(200);
            expect(added.text_).toContain(`<li>${kept}</li>`);
            expect(ssh(h, `stat -c %U ${DB}`).stdout.trim()).toBe("www-data");
            expect(ssh(h, `readlink -f ${first}/data`).stdout.trim()).toBe(`${APP_DIR}/data/data`);
            expect(s.run(["stack", "export"])).not.toContain(secret);

            // The next release: a new field on Note and the migration makemigrations wrote for it.
            fs.cpSync(path.join(EXAMPLE, "extra/0003_note_author"), site, { recursive: true });
            s.up();
            const second = ssh(h, `readlink -f ${APP_DIR}/current`).stdout.trim();
            expect(second).not.toBe(first);
            expect(sql("SELECT name FROM django_migrations WHERE app = 'notes' ORDER BY id")).toEqual([
                ["0001_initial"],
                ["0002_first_note"],
                ["0003_note_author"],
            ]);
            // The new code reads the new column (it would fail without the migration) and the earlier rows are there.
            const after = await get(`${url}notes/`);
            expect(after.status).toBe(200);
            expect(after.body).toContain("<li>Hello from migration 0002 (by anonymous)</li>");
            expect(after.body).toContain(`<li>${kept} (by anonymous)</li>`);
            expect(sql("SELECT text, author FROM notes_note ORDER BY id")).toEqual([
                ["Hello from migration 0002", "anonymous"],
                [kept, "anonymous"],
            ]);
            // The new release collected its own static files, and Apache serves those.
            const css2 = await fetchWant(`${url}static/admin/css/base.css`, 200);
            const onHost2 = ssh(h, `sha256sum ${second}/staticfiles/admin/css/base.css`).stdout.split(" ")[0];
            expect(createHash("sha256").update(css2.text_).digest("hex")).toBe(onHost2);

            s.run(["preview", "--expect-no-changes"]);

            // destroy unmounts the site and keeps the database.
            s.run(["destroy", "--yes", "--skip-preview"]);
            expect((await get(`${url}notes/`, 404)).status).toBe(404);
            expect(ssh(h, `test -f ${DB}`).code).toBe(0);
            expect(sql("SELECT text FROM notes_note ORDER BY id")).toEqual([["Hello from migration 0002"], [kept]]);
        },
    );
});
