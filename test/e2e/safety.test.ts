// Never lose a site, end to end: a create that Apache rejects after the code (and its secrets) reached the host is
// still tracked by the engine, so the next up mounts it and destroy removes it; and an app's secret environment is
// readable by its own daemon's user only, not by another daemon that shares Apache's Unix group.
import { afterAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO, Stack, destroyStacks, get, sandboxHost, ssh } from "./harness";

afterAll(destroyStacks);

describe("failed steps stay tracked; secrets stay with their app", () => {
    it(
        "a create Apache rejects is partial state: exported encrypted, mounted by the next up, removed by destroy",
        { timeout: 15 * 60_000 },
        async () => {
            const h = sandboxHost("h3");
            const broken = "/etc/apache2/conf-enabled/zz-hand-broken.conf";
            const s = new Stack("partial", path.join(REPO, "test/e2e/programs/partial"));
            s.configHost(h);
            s.config("source", path.join(REPO, "test/e2e/programs/sources/app"));
            s.configSecret("token", "tok-4f1c9e2a");
            s.up();

            // Someone's hand-written file breaks Apache's config: the app's code goes up, its mount cannot.
            expect(ssh(h, `echo 'NoSuchDirective on' > ${broken}`).code).toBe(0);
            s.config("withApp", "true");
            const failed = s.run(["up", "--yes", "--skip-preview"], "fail");
            expect(failed).toMatch(/NoSuchDirective/);
            const state = s.run(["stack", "export"]);
            const app = (
                JSON.parse(state).deployment.resources as { type: string; outputs: Record<string, unknown> }[]
            ).find((r) => r.type === "modwsgi:index:Application");
            expect(app, "the engine tracks the Application it could not finish").toBeDefined();
            expect(JSON.stringify(app!.outputs.environment)).toContain("ciphertext");
            expect(state).not.toContain("tok-4f1c9e2a");
            expect(ssh(h, "test -f /srv/modwsgi/safe/env.json").code).toBe(0);

            expect(ssh(h, `rm ${broken}`).code).toBe(0);
            s.up();
            const url = s.output("url");
            expect((await get(`${url}/`)).status).toBe(200);
            s.run(["preview", "--expect-no-changes"]);

            // Another daemon group, another user, the same Unix group (www-data): it cannot read the secret.
            s.config("second", "true");
            s.up();
            expect(ssh(h, "stat -c '%U:%G %a' /srv/modwsgi/safe/env.json").stdout.trim()).toBe("www-data:root 400");
            const other = ssh(h, "runuser -u nobody -g www-data -- cat /srv/modwsgi/safe/env.json");
            expect(other.code).not.toBe(0);
            expect(other.stdout).not.toContain("tok-4f1c9e2a");
            expect(ssh(h, "runuser -u www-data -- cat /srv/modwsgi/safe/env.json").stdout).toContain("tok-4f1c9e2a");

            // The stage filesystem full (a 512 KiB tmpfs): an upload of 2 MiB fails naming it; the app keeps its release.
            const big = fs.mkdtempSync(path.join(os.tmpdir(), "big-app-"));
            fs.cpSync(path.join(REPO, "test/e2e/programs/sources/app"), big, { recursive: true });
            fs.writeFileSync(path.join(big, "blob.bin"), randomBytes(2 * 1024 * 1024));
            s.config("source", big);
            const release = ssh(h, "readlink /srv/modwsgi/safe/current").stdout;
            const stage = "/var/lib/modwsgi/stage";
            expect(ssh(h, `mkdir -p ${stage} && mount -t tmpfs -o size=512k,mode=700 tmpfs ${stage}`).code).toBe(0);
            try {
                const full = s.run(["up", "--yes", "--skip-preview"], "fail");
                expect(full).toMatch(/No space left on device/);
                expect(full).toMatch(
                    /the filesystem of \/var\/lib\/modwsgi\/stage\/app-safe-[0-9a-f]+, mounted on \/var\/lib\/modwsgi\/stage, has \d+ KiB free/,
                );
                expect(ssh(h, "readlink /srv/modwsgi/safe/current").stdout).toBe(release);
                expect((await get(`${url}/`)).status).toBe(200);
                expect(ssh(h, `ls -A ${stage}`).stdout.trim()).toBe("");
            } finally {
                ssh(h, `umount ${stage}`);
            }
            s.up();
            expect(ssh(h, "readlink /srv/modwsgi/safe/current").stdout).not.toBe(release);

            s.run(["destroy", "--yes", "--skip-preview"]);
            expect(ssh(h, "test -e /srv/modwsgi/safe").code).not.toBe(0);
        },
    );
});
