// Local inputs the unit tests deploy: an app source tree and a mod_wsgi source archive, each in a new temp dir.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A minimal WSGI app (app.wsgi), with a static/site.css when `withStatic`. */
export function appSource(withStatic = false): string {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), "app-src-"));
    fs.writeFileSync(path.join(src, "app.wsgi"), "def application(environ, start_response):\n    return []\n");
    if (withStatic) {
        fs.mkdirSync(path.join(src, "static"));
        fs.writeFileSync(path.join(src, "static/site.css"), "body {}\n");
    }
    return src;
}

/** A source archive that says it is mod_wsgi `version` (PKG-INFO only), and its SHA-256. */
export function modWsgiSdist(version: string, prefix = "sdist-"): { archive: string; sha256: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.mkdirSync(path.join(dir, `mod_wsgi-${version}`));
    fs.writeFileSync(path.join(dir, `mod_wsgi-${version}`, "PKG-INFO"), `Name: mod_wsgi\nVersion: ${version}\n`);
    const archive = path.join(dir, `mod_wsgi-${version}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "-C", dir, `mod_wsgi-${version}`]);
    return { archive, sha256: createHash("sha256").update(fs.readFileSync(archive)).digest("hex") };
}
