import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { createHash } from "node:crypto";
import { inputs, parseLoad, renderConf, renderLoad, venvFor, wsgiModule } from "../../provider/resources/wsgiModule";
import { checkInputs, type ResourceModule } from "../../provider/resource";

const mod = wsgiModule as unknown as ResourceModule;
const SHA = "a42d11ba45d2050ab456a474d034e938605ca76386233ef404daa8b0388ca60e";

const golden = (name: string) => fs.readFileSync(path.join(__dirname, "golden", name), "utf8");
const SO =
    "/opt/modwsgi/module/mod_wsgi-6.1.1-python3/lib/python3.11/site-packages/mod_wsgi/server/mod_wsgi-py311.cpython-311-x86_64-linux-gnu.so";

describe("WsgiModule render (golden files)", () => {
    it("loads the built .so under the id wsgi_module (module-load.conf)", () => {
        expect(renderLoad(SO, "6.1.1", "cpython-311-x86_64-linux-gnu")).toBe(golden("module-load.conf"));
    });

    it("loads Debian's package .so when source is distro (module-load-debian-package.conf)", () => {
        const text = renderLoad("/usr/lib/apache2/modules/mod_wsgi.so", "4.9.4", "cpython-311-x86_64-linux-gnu");
        expect(text).toBe(golden("module-load-debian-package.conf"));
        expect(parseLoad(text)).toEqual({
            version: "4.9.4",
            abi: "cpython-311-x86_64-linux-gnu",
            modulePath: "/usr/lib/apache2/modules/mod_wsgi.so",
        });
    });

    it("restricts embedded mode and includes the provider's directory (module-conf.conf)", () => {
        expect(renderConf()).toBe(golden("module-conf.conf"));
    });

    it("builds each version and Python in a venv of its own, so the running module is never touched", () => {
        expect(venvFor(inputs.parse({}))).toBe("/opt/modwsgi/module/mod_wsgi-6.1.1-python3");
        expect(venvFor(inputs.parse({ version: "6.0.5", python: "/usr/bin/python3.13" }))).toBe(
            "/opt/modwsgi/module/mod_wsgi-6.0.5-python3.13",
        );
        // An archive is named by its hash: another archive of the same version is another build.
        expect(venvFor(inputs.parse({ source: "url", url: "http://127.0.0.1/m.tar.gz", sha256: SHA }))).toBe(
            "/opt/modwsgi/module/mod_wsgi-6.1.1-python3-a42d11ba45d2",
        );
        expect(venvFor(inputs.parse({ source: "distro", allowDistroPackage: true }))).toBe("");
    });
});

describe("WsgiModule sources at check", () => {
    it.each([
        [{ source: "sdist", sha256: SHA }, "archive", /required with source "sdist"/],
        [
            { source: "url", url: "http://127.0.0.1/m.tar.gz" },
            "sha256",
            /required with source "url" \(the archive is checked/,
        ],
        [{ source: "url", url: "file:///etc/passwd", sha256: SHA }, "url", /http\(s\) URL/],
        [{ source: "url", url: "http://x/a b", sha256: SHA }, "url", /without spaces/],
        [{ archive: "/tmp/m.tar.gz" }, "archive", /only to source "sdist" \(source is "pypi"\)/],
        [{ sha256: SHA }, "sha256", /only to source "sdist" or "url"/],
        [{ source: "url", url: "http://127.0.0.1/m.tar.gz", sha256: "ABC" }, "sha256", /SHA-256 in hex/],
        [{ source: "distro" }, "source", /4\.9\.4 on Debian 12 and 5\.0\.2 on Debian 13.*allowDistroPackage: true/],
        [
            { source: "distro", allowDistroPackage: true, python: "/usr/bin/python3.13" },
            "python",
            /must be \/usr\/bin\/python3 with source "distro"/,
        ],
        [{ source: "git" }, "source", /pypi|sdist|url|distro/],
    ])("refuses %j naming %s", (value, property, message) => {
        expect(checkInputs(mod, value).failures).toContainEqual({ property, reason: expect.stringMatching(message) });
    });

    it("accepts Debian's package only with allowDistroPackage", () => {
        expect(checkInputs(mod, { source: "distro", allowDistroPackage: true }).failures).toEqual([]);
    });

    it("checks a local archive against sha256 at preview, and build wheels for setuptools", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdist-"));
        const file = path.join(dir, "mod_wsgi-6.1.1.tar.gz");
        fs.writeFileSync(file, "not really an archive");
        const real = createHash("sha256").update("not really an archive").digest("hex");
        expect(checkInputs(mod, { source: "sdist", archive: file, sha256: real }).failures).toEqual([]);
        expect(checkInputs(mod, { source: "sdist", archive: file, sha256: SHA }).failures).toEqual([
            { property: "sha256", reason: `WsgiModule.sha256: ${file} has SHA-256 ${real}, not ${SHA}` },
        ]);
        expect(
            checkInputs(mod, { source: "sdist", archive: path.join(dir, "nope.tar.gz"), sha256: SHA }).failures[0]
                .property,
        ).toBe("archive");
        fs.mkdirSync(path.join(dir, "wheels"));
        fs.writeFileSync(path.join(dir, "wheels", "wheel-0.45.1-py3-none-any.whl"), "w");
        expect(
            checkInputs(mod, { source: "sdist", archive: file, sha256: real, buildWheels: path.join(dir, "wheels") })
                .failures[0],
        ).toEqual({ property: "buildWheels", reason: expect.stringMatching(/holds no setuptools wheel/) });
        fs.writeFileSync(path.join(dir, "wheels", "setuptools-80.0.0-py3-none-any.whl"), "s");
        const ok = checkInputs(mod, {
            source: "sdist",
            archive: file,
            sha256: real,
            buildWheels: path.join(dir, "wheels"),
        });
        expect(ok.failures).toEqual([]);
        expect(ok.inputs.buildWheelsSha256).toMatch(/^[0-9a-f]{64}$/);
    });
});
