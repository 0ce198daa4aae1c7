// WsgiModule inputs and outputs: where mod_wsgi comes from (the package index, an uploaded or downloaded
// source archive, or Debian's package), the Python it is built against, and what the host reports back.
import { z } from "zod";
import { secret } from "../../zodwalk";
import { absPath } from "../../apache";

const SOURCES = ["pypi", "sdist", "url", "distro"] as const;
const sha256Hex = () =>
    z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex (64 characters 0-9a-f; sha256sum prints it)");

export const inputs = z
    .object({
        source: z
            .enum(SOURCES)
            .default("pypi")
            .describe(
                "Where mod_wsgi comes from. `pypi`: pip downloads `version` from the package index. " +
                    "`sdist`: the local source archive `archive`, uploaded over SSH (hosts without internet). " +
                    "`url`: the host downloads `url`. Both check `sha256`. " +
                    "`distro`: Debian's libapache2-mod-wsgi-py3 " +
                    "(4.9 on Debian 12, 5.0 on 13; needs `allowDistroPackage`). " +
                    "A change rebuilds the module and fully restarts Apache.",
            ),
        version: z
            .string()
            .regex(
                /^6\.\d+\.\d+$/,
                "must be a mod_wsgi 6.x release like 6.1.1 (4.x and 5.x lack options this provider writes; " +
                    'for Debian\'s package use source "distro")',
            )
            .default("6.1.1")
            .describe(
                "mod_wsgi release (6.x). For `sdist` and `url`, the archive must hold this release. " +
                    "Not used with `distro`.",
            ),
        archive: z
            .string()
            .min(1)
            .optional()
            .describe("source `sdist`: local path of the mod_wsgi source archive (mod_wsgi-X.Y.Z.tar.gz)."),
        // Secret: a URL may carry credentials (https://user:token@host/...); state keeps it encrypted.
        url: secret(
            z
                .string()
                .max(2048)
                .regex(
                    /^https?:\/\/[A-Za-z0-9._~:/?#[\]@!$&'()*+,;=%-]+$/,
                    "must be an http(s) URL without spaces or quotes",
                ),
        )
            .optional()
            .describe("source `url`: where the host downloads the source archive from (stored encrypted)."),
        sha256: sha256Hex()
            .optional()
            .describe(
                "SHA-256 of the archive (`sdist`, `url`): checked here at preview and on the host before building.",
            ),
        buildWheels: z
            .string()
            .min(1)
            .optional()
            .describe(
                "`sdist`, `url`: a local directory of wheels (at least setuptools) uploaded for building " +
                    "without a package index. Debian 12's venvs carry setuptools already; Debian 13's do not.",
            ),
        allowDistroPackage: z
            .boolean()
            .default(false)
            .describe(
                "Allow source `distro`: Debian's pre-6.x mod_wsgi. Settings new in 6.0 are then refused " +
                    "(the module would reject them).",
            ),
        python: absPath()
            .default("/usr/bin/python3")
            .describe(
                "Python interpreter the module is built against; every PythonEnv on the host must use the same one. " +
                    "`distro`: /usr/bin/python3 only.",
            ),
        buildWheelsSha256: sha256Hex().optional().describe("SHA-256 of the buildWheels files: computed at preview."),
    })
    .strict()
    .superRefine((v, ctx) => {
        const need = (prop: "archive" | "url" | "sha256", why: string) => {
            if (v[prop] === undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [prop],
                    message: `is required with source "${v.source}" (${why})`,
                });
        };
        const refuse = (prop: "archive" | "url" | "sha256" | "buildWheels", only: string) => {
            if (v[prop] !== undefined)
                ctx.addIssue({
                    code: "custom",
                    path: [prop],
                    message: `applies only to source ${only} (source is "${v.source}")`,
                });
        };
        if (v.source === "sdist") need("archive", "the local mod_wsgi-X.Y.Z.tar.gz to upload");
        else refuse("archive", '"sdist"');
        if (v.source === "url") need("url", "where the host downloads the archive");
        else refuse("url", '"url"');
        if (v.source === "sdist" || v.source === "url")
            need("sha256", "the archive is checked against it before anything is built");
        else {
            refuse("sha256", '"sdist" or "url"');
            refuse("buildWheels", '"sdist" or "url"');
        }
        if (v.source === "distro" && !v.allowDistroPackage) {
            ctx.addIssue({
                code: "custom",
                path: ["source"],
                message:
                    "Debian's package (libapache2-mod-wsgi-py3) is mod_wsgi 4.9.4 on Debian 12 " +
                    "and 5.0.2 on Debian 13, " +
                    "both before 6.0: no request interrupts, per-interpreter GIL, free-threading or telemetry, " +
                    "and upstream no longer supports 4.x. " +
                    "Use source pypi/sdist/url for 6.x, or set allowDistroPackage: true to accept it",
            });
        }
        if (v.source === "distro" && v.python !== "/usr/bin/python3") {
            ctx.addIssue({
                code: "custom",
                path: ["python"],
                message: 'must be /usr/bin/python3 with source "distro" (Debian\'s module is linked against it)',
            });
        }
    });

export const outputs = z.object({
    venv: z.string().describe("Virtual environment holding the built module (empty for `distro`)."),
    moduleVersion: z.string().describe("Version of the loaded module (live after refresh)."),
    modulePath: z.string().describe("Path of the loaded mod_wsgi .so."),
    moduleSha256: z
        .string()
        .describe("SHA-256 of the .so (live after refresh; drift when it is not `builtSha256`: up builds it again)."),
    builtSha256: z
        .string()
        .describe(
            "SHA-256 the .so had when it was built, as recorded in its venv then (Debian's package: the live hash " +
                "while dpkg's checksum matches). Survives refresh: a .so replaced by other bytes shows as " +
                "`moduleSha256` drift.",
        ),
    moduleEnabled: z
        .boolean()
        .describe(
            "Whether mods-enabled links both module files (live after refresh: false after `a2dismod modwsgi`; " +
                "the next Apache restart would drop every WSGI mount). up links them again with a full restart.",
        ),
    apacheRunning: z
        .boolean()
        .describe("Whether Apache runs (live after refresh). When it does not, up starts it after a configtest."),
    conflictingLoads: z
        .array(z.string())
        .describe(
            "Enabled files this provider does not own that also load `wsgi_module` (e.g. Debian's " +
                "mods-enabled/wsgi.load): Apache keeps the first it reads. Must be empty: up fails naming them " +
                "and how to disable them, and never removes them itself.",
        ),
    pythonVersion: z.string().describe("Python version the module is built for (X.Y.Z)."),
    pythonAbi: z
        .string()
        .describe(
            "Python ABI the module is built for (SOABI, e.g. cpython-311-x86_64-linux-gnu); venvs must match it.",
        ),
    configSha256: z.string().describe("SHA-256 of the managed LoadModule and include files."),
});

export type WsgiModuleInputs = z.infer<typeof inputs>;
export type WsgiModuleState = WsgiModuleInputs & z.infer<typeof outputs>;
