// Property test against real Apache: random schema-valid DaemonProcess, VirtualHost, Application and
// ApacheHost inputs (and every hostile value the schema lets through), rendered by the provider and checked by
// the sandbox host's apache2 -t with mod_wsgi 6.1.1 loaded. Apache must accept all of it; nothing may run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAll, host, type RemoteHost } from "../../provider/remote/ssh";
import { connectionSchema } from "../../provider/remote/connection";
import { runScript } from "../../provider/remote/scripts";
import { DEBIAN_MODULE_LINKS } from "../../provider/layout";
import { checkInputs, type ResourceModule } from "../../provider/resource";
import { daemonProcess } from "../../provider/resources/daemonProcess";
import { OPTIONS, inputs } from "../../provider/resources/daemonProcess/schema";
import { render } from "../../provider/resources/daemonProcess/render";
import { apacheHostInputs, applicationInputs, daemonInputs, HOSTILE, virtualHostInputs } from "../arbitraries";
import { inputs as hostInputs } from "../../provider/resources/apacheHost/schema";
import { renderWsgi } from "../../provider/resources/apacheHost/render";
import { application } from "../../provider/resources/application";
import { inputs as appInputs } from "../../provider/resources/application/schema";
import { render as renderApp, renderInterpreter } from "../../provider/resources/application/render";
import { virtualHost } from "../../provider/resources/virtualHost";
import { render as renderVhost } from "../../provider/resources/virtualHost/render";
import { sandboxHost } from "./harness";

const DIR = "/tmp/modwsgi-configtest";
const RUNS = 200;
let h: RemoteHost;
let so: string;

/** A whole-server config of its own, so the test never touches the host's running Apache. */
const httpdConf = (_daemons: string) => `ServerRoot /etc/apache2
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule wsgi_module ${so}
Listen 127.0.0.1:18080
PidFile ${DIR}/httpd.pid
ErrorLog ${DIR}/error.log
User www-data
Group www-data
WSGIRestrictEmbedded On
Include ${DIR}/daemons.conf
`;

async function configtest(daemons: string): Promise<{ code: number; out: string }> {
    await h.writeFile(`${DIR}/daemons.conf`, daemons);
    await h.writeFile(`${DIR}/httpd.conf`, httpdConf(daemons));
    const r = await h.exec(`apache2 -t -f ${DIR}/httpd.conf`, { nothrow: true });
    return { code: r.code, out: r.stdout + r.stderr };
}

beforeAll(async () => {
    const s = sandboxHost("h2");
    h = host(
        connectionSchema.parse({
            host: s.address,
            hostKey: s.hostKey,
            privateKey: fs.readFileSync(s.privateKeyFile, "utf8"),
        }),
    );
    const facts = await runScript(h, "build-module", [
        "6.1.1",
        "/usr/bin/python3",
        "/opt/modwsgi/module/mod_wsgi-6.1.1-python3",
        DEBIAN_MODULE_LINKS[0],
    ]);
    so = facts.module_path;
    await h.exec(`rm -rf ${DIR} /tmp/pwned && mkdir -p ${DIR}`);
}, 300_000);

afterAll(async () => {
    await h?.exec(`rm -rf ${DIR}`);
    closeAll();
});

describe("apache2 -t accepts what the provider renders", () => {
    it("fails for a config it should reject (the check is real)", { timeout: 60_000 }, async () => {
        const r = await configtest('WSGIDaemonProcess bad "threads=5"\n'); // mod_wsgi wants name=value, value quoted alone
        expect(r.code).not.toBe(0);
        expect(r.out).toMatch(/Invalid option to WSGI daemon process definition/);
    });

    it(`accepts ${RUNS} random schema-valid DaemonProcess groups`, { timeout: 120_000 }, async () => {
        const seed = Date.now() % 2 ** 31;
        const samples = fc.sample(daemonInputs(fc.constant("x")), { numRuns: RUNS, seed });
        const text = samples.map((raw, i) => render(inputs.parse({ ...raw, name: `p${i}` }))).join("");
        const r = await configtest(text);
        expect(r.out, `seed ${seed}`).toMatch(/Syntax OK/);
        expect(r.code, `seed ${seed}: ${r.out}`).toBe(0);
    });

    it(
        "accepts every hostile value the schema lets through, as inert text: no extra directive, nothing run",
        { timeout: 120_000 },
        async () => {
            const mod = daemonProcess as unknown as ResourceModule;
            const lines: string[] = [];
            let n = 0;
            // A well-formed but unknown user or group name is no injection: Apache refuses it at configtest
            // ("bad user name"), which the lifecycle test covers. Everything else must pass as inert text.
            const identities = ["user", "group", "scriptUser", "scriptGroup", "socketUser", "supplementaryGroups"];
            for (const prop of ["name", ...Object.keys(OPTIONS).filter((k) => !identities.includes(k))]) {
                for (const value of HOSTILE) {
                    const { inputs: checked, failures } = checkInputs(mod, { name: `hostile${n}`, [prop]: value });
                    if (failures.length === 0) lines.push(render(checked as never));
                    n++;
                }
            }
            expect(lines.length).toBeGreaterThan(0);
            const text = lines.join("");
            expect(text.match(/^WSGIDaemonProcess /gm)).toHaveLength(lines.length);
            const r = await configtest(text);
            expect(r.code, r.out).toBe(0);
            expect((await h.exec("test -e /tmp/pwned", { nothrow: true })).code).not.toBe(0);
        },
    );

    it("accepts every server-wide setting ApacheHost writes", { timeout: 60_000 }, async () => {
        const every = hostInputs.parse({
            restrictEmbedded: true,
            socketPrefix: "/var/run/apache2/modwsgi",
            socketRotation: false,
            pythonHome: "/usr",
            pythonPath: ["/srv/a", "/srv/b"],
            perInterpreterGil: false,
            freeThreading: false,
            switchInterval: 0.005,
            telemetrySocket: "/run/mod_wsgi-telemetry.sock",
        });
        const r = await configtest(renderWsgi(every));
        expect(r.code, r.out).toBe(0);
        expect(r.out).toMatch(/Syntax OK/);
    });

    it(
        "accepts Application interpreter options (<WSGIInterpreterOptions> blocks) for named and %{GLOBAL} groups",
        { timeout: 60_000 },
        async () => {
            const blocks = [
                {
                    applicationGroup: "shop",
                    interpreterOptions: {
                        perInterpreterGil: false,
                        switchInterval: 0.002,
                        pythonPath: ["/srv/lib", "/srv/x"],
                        restrictStdin: true,
                        restrictStdout: false,
                        restrictSignal: true,
                    },
                },
                { applicationGroup: "%{GLOBAL}", interpreterOptions: { restrictStdout: true } },
                { applicationGroup: "api", interpreterOptions: {} },
            ].map((o, n) =>
                renderInterpreter(appInputs.parse({ name: `a${n}`, source: "/x", processGroup: "web", ...o })),
            );
            const r = await configtest(render(inputs.parse({ name: "web" })) + blocks.join(""));
            expect(r.code, r.out).toBe(0);
            expect(r.out).toMatch(/Syntax OK/);
        },
    );

    it(
        "accepts random schema-valid Applications (mounts, static files, interpreter options) in random VirtualHosts, and random ApacheHost settings",
        { timeout: 120_000 },
        async () => {
            const seed = Date.now() % 2 ** 31;
            const refused: string[] = [];
            const checked = (mod: unknown, raw: Record<string, unknown>) => {
                const { inputs: i, failures } = checkInputs(mod as ResourceModule, raw);
                // Samples the schema's cross-property rules refuse (e.g. a per-interpreter GIL for %{GLOBAL}) are skipped.
                if (failures.length) refused.push(failures.map((f) => f.reason).join(", "));
                return failures.length ? undefined : i;
            };
            const vhosts = fc
                .sample(virtualHostInputs(DIR), { numRuns: 20, seed })
                .map((raw, n) => checked(virtualHost, { ...raw, name: `v${n}` }))
                .filter((i) => i !== undefined);
            // A source of its own: the test directory holds the other files' stacks (test/e2e/.work), whose state
            // files come and go while this hashes them.
            const source = fs.mkdtempSync(path.join(os.tmpdir(), "configtest-app-"));
            fs.writeFileSync(path.join(source, "app.py"), "def application(environ, start_response): pass\n");
            const apps = fc
                .sample(applicationInputs(), { numRuns: 60, seed })
                .map((raw, n) => checked(application, { ...raw, name: `a${n}`, source, processGroup: "web" }))
                .filter((i) => i !== undefined);
            fs.rmSync(source, { recursive: true, force: true });
            expect(vhosts.length, `seed ${seed}; refused: ${refused.slice(0, 3).join("; ")}`).toBeGreaterThan(10);
            expect(apps.length, `seed ${seed}; refused: ${refused.slice(0, 3).join("; ")}`).toBeGreaterThan(30);
            // Distinct mount points: two identical WSGIScriptAlias URLs are refused at preview, not written.
            const seen = new Set<string>();
            const text =
                render(inputs.parse({ name: "web" })) +
                vhosts.map((v) => renderVhost(v as never)).join("") +
                apps
                    .filter((a) => !seen.has(a.mountPoint as string) && seen.add(a.mountPoint as string))
                    .map((a) => renderApp(a as never) + renderInterpreter(a as never))
                    .join("");
            const r = await configtest(text);
            expect(r.code, `seed ${seed}: ${r.out}`).toBe(0);
            for (const raw of fc.sample(apacheHostInputs(), { numRuns: 20, seed })) {
                const host = await configtest(renderWsgi(hostInputs.parse(raw)));
                expect(host.code, `seed ${seed}: ${JSON.stringify(raw)}\n${host.out}`).toBe(0);
            }
        },
    );
});
