// Telemetry's pure parts (directives, service command line, supervisor, settings) and its drift, and the
// DaemonProcess request-timeout warnings.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { inputs } from "../../provider/resources/telemetry/schema";
import {
    parseConf,
    parseSettings,
    renderConf,
    renderSettings,
    renderSupervisor,
    renderUnit,
    serviceArgs,
} from "../../provider/resources/telemetry/render";
import { telemetry } from "../../provider/resources/telemetry";
import { effectiveRequestTimeout, timeoutWarnings } from "../../provider/resources/daemonProcess/timeouts";
import { checkInputs } from "../../provider/resource";
import { sha256 } from "../../provider/apache";
import {
    TELEMETRY_CONF,
    TELEMETRY_LOG,
    TELEMETRY_ROOT,
    TELEMETRY_SETTINGS,
    TELEMETRY_SOCKET,
    TELEMETRY_VENV,
} from "../../provider/layout";
import { PartialFailure } from "../../provider/partial";
import { FakeHost } from "../fakeHost";

const DEFAULTS = inputs.parse({});

describe("Telemetry render", () => {
    it("writes the server-scope directives and reads them back", () => {
        const i = inputs.parse({ interval: 2.5, captureUserAgent: true, slowRequests: 3 });
        const text = renderConf(i);
        expect(text).toContain(`WSGITelemetryService unix:${TELEMETRY_SOCKET} interval=2.5\n`);
        expect(text).toContain("WSGITelemetryOptions +CaptureUserAgent\n");
        expect(text).toContain("WSGISlowRequests 3\n");
        expect(parseConf(text)).toEqual({ interval: 2.5, captureUserAgent: true, slowRequests: 3 });
        expect(parseConf(renderConf(DEFAULTS))).toEqual({ interval: 1 });
        expect(renderConf(inputs.parse({ captureUserAgent: false }))).toContain("-CaptureUserAgent");
    });

    it("runs serve on the group-shared socket with the UI on loopback by default", () => {
        expect(serviceArgs(DEFAULTS)).toBe(
            `serve --listen unix:${TELEMETRY_SOCKET} --socket-group modwsgi-telemetry --socket-mode 0660 ` +
                "--http-host 127.0.0.1 --http-port 8888",
        );
        expect(serviceArgs(inputs.parse({ rootPath: "/telemetry", httpPort: 9000 }))).toMatch(
            /--http-port 9000 --root-path \/telemetry$/,
        );
        expect(renderUnit(DEFAULTS)).toMatch(
            /^ExecStart=\/opt\/modwsgi\/telemetry\/venv\/bin\/mod_wsgi-telemetry serve /m,
        );
        expect(renderUnit(DEFAULTS)).toContain("Restart=always");
        const loop = renderSupervisor(DEFAULTS);
        expect(loop).toContain("while :; do");
        expect(loop).toContain("setpriv --reuid=modwsgi-telemetry");
    });

    it("keeps its settings in a file read back as inputs", () => {
        const i = inputs.parse({ version: "1.1.0", httpPort: 8899, daemonUsers: ["app", "shop"] });
        expect(parseSettings(renderSettings(i))).toEqual({
            version: "1.1.0",
            python: "/usr/bin/python3",
            httpHost: "127.0.0.1",
            httpPort: 8899,
            daemonUsers: ["app", "shop"],
        });
    });

    it("refuses what would reach a shell or Apache unchecked", () => {
        const bad = checkInputs(telemetry, { httpHost: "127.0.0.1; rm -rf /", rootPath: "x y", interval: 0.1 });
        expect(bad.failures.map((f) => f.property).sort()).toEqual(["httpHost", "interval", "rootPath"]);
    });
});

describe("Telemetry drift", () => {
    const state = {
        ...DEFAULTS,
        socket: TELEMETRY_SOCKET,
        configFile: TELEMETRY_CONF,
        configSha256: sha256(renderConf(DEFAULTS)),
        supervisor: "loop" as const,
        running: true,
        serviceArgs: serviceArgs(DEFAULTS),
        fileModes: { [TELEMETRY_CONF]: "root:root 644" },
    };
    it("is none while the service runs as declared", () => {
        expect(telemetry.drift!(state, DEFAULTS)).toEqual([]);
    });
    it("names running when the service stopped, serviceArgs when it runs otherwise, configSha256 for the file", () => {
        expect(telemetry.drift!({ ...state, running: false, serviceArgs: "" }, DEFAULTS)).toEqual(["running"]);
        expect(telemetry.drift!({ ...state, serviceArgs: "serve --http-port 1" }, DEFAULTS)).toEqual(["serviceArgs"]);
        expect(telemetry.drift!({ ...state, configSha256: "x" }, DEFAULTS)).toEqual(["configSha256"]);
    });
});

/**
 * The host's accounts as files in the fake root ($FAKE_ROOT/.users, and .group: the telemetry group's members),
 * every change recorded in .accounts.log. Other uses of the commands go to the real ones.
 */
const ACCOUNTS = {
    getent: `#!/bin/sh
case $1 in
    passwd) grep -qx "$2" "$FAKE_ROOT/.users" && echo "$2:x:999:999::/nonexistent:/usr/sbin/nologin" ;;
    group) [ -f "$FAKE_ROOT/.group" ] && echo "$2:x:999:$(cat "$FAKE_ROOT/.group")" ;;
    *) exec /usr/bin/getent "$@" ;;
esac`,
    id: `#!/bin/sh
case $1 in
    -u) grep -qx "$2" "$FAKE_ROOT/.users" ;;
    -nG) grep -qx "$2" "$FAKE_ROOT/.users" || exit 1
        printf '%s' "$2"; tr ',' '\n' <"$FAKE_ROOT/.group" 2>/dev/null | grep -qx "$2" && printf ' modwsgi-telemetry'
        echo ;;
    *) exec /usr/bin/id "$@" ;;
esac`,
    useradd: `#!/bin/sh
for a; do u=$a; done
echo "useradd $u" >>"$FAKE_ROOT/.accounts.log"; echo "$u" >>"$FAKE_ROOT/.users"; : >>"$FAKE_ROOT/.group"`,
    usermod: `#!/bin/sh
echo "usermod $*" >>"$FAKE_ROOT/.accounts.log"
g=$(cat "$FAKE_ROOT/.group"); echo "\${g:+$g,}$3" >"$FAKE_ROOT/.group"`,
    gpasswd: `#!/bin/sh
echo "gpasswd $*" >>"$FAKE_ROOT/.accounts.log"
tr ',' '\n' <"$FAKE_ROOT/.group" | grep -vx "$2" | paste -sd, >"$FAKE_ROOT/.group.new"
mv "$FAKE_ROOT/.group.new" "$FAKE_ROOT/.group"`,
    userdel: `#!/bin/sh
echo "userdel $*" >>"$FAKE_ROOT/.accounts.log"
grep -vx "$1" "$FAKE_ROOT/.users" >"$FAKE_ROOT/.u"; mv "$FAKE_ROOT/.u" "$FAKE_ROOT/.users"`,
    groupdel: `#!/bin/sh
echo "groupdel $*" >>"$FAKE_ROOT/.accounts.log"; rm -f "$FAKE_ROOT/.group"`,
    // The supervisor loop is not started (its pid file is outside the fake root); the UI answers at once.
    setsid: `#!/bin/sh
if [ "$1" = nohup ]; then echo "started $*" >>"$FAKE_ROOT/.accounts.log"; exit 0; fi
exec /usr/bin/setsid "$@"`,
    python3: `#!/bin/sh
if [ "$1" = - ]; then
    s=$(cat); case $s in *api/state*) exit 0 ;; esac
    printf '%s\n' "$s" | exec /usr/bin/python3 "$@"
fi
exec /usr/bin/python3 "$@"`,
    ls: `#!/bin/sh
case "$*" in *modwsgi-telemetry*) exit 0 ;; esac
exec /bin/ls "$@"`,
};

/**
 * An interpreter whose `-m venv DIR` makes a venv: bin/python answers the installed version, bin/pip installs the
 * console script (its #! naming the venv's python3, as pip writes it; the venv's python runs a script as sh)
 * unless $FAKE_ROOT/.pip-fail exists.
 */
const FAKE_PYTHON = `#!/bin/sh
[ "$1 $2" = "-m venv" ] || exit 2
d=$3
mkdir -p "$d/bin"
cat >"$d/bin/python" <<'PY'
#!/bin/sh
[ "$1" = -c ] || exec /bin/sh "$@"
v=$(cat "$(dirname "$0")/../.installed" 2>/dev/null) && echo "$v"
PY
printf '#!%s/bin/python3\n' "$d" >"$d/bin/pip"
cat >>"$d/bin/pip" <<'PIP'
[ -f "$FAKE_ROOT/.pip-fail" ] && { echo "pip: no such version" >&2; exit 1; }
d=$(dirname "$(dirname "$0")")
printf '#!%s/bin/python3\nimport mod_wsgi_telemetry\n' "$d" >"$d/bin/mod_wsgi-telemetry"
for a; do v=\${a#*==}; done
echo "$v" >"$d/.installed"
PIP
chmod 755 "$d/bin/python" "$d/bin/pip"
ln -s python "$d/bin/python3"
echo "$0" >"$d/.made-by"
`;

describe("Telemetry lifecycle (fake host)", () => {
    let host: FakeHost;
    const PY_A = "/opt/modwsgi/py-a/python3";
    const PY_B = "/opt/modwsgi/py-b/python3";
    const accounts = () => (host.file("/.accounts.log") ?? "").split("\n").filter(Boolean);
    const members = () => host.file("/.group")?.trim();
    const want = (o: Record<string, unknown> = {}) => inputs.parse({ python: PY_A, version: "1.1.0", ...o });
    beforeEach(() => {
        host = new FakeHost();
        for (const [name, script] of Object.entries(ACCOUNTS)) host.stub(name, script + "\n");
        host.put("/.users", "www-data\napp\nshop\n");
        host.put(PY_A, FAKE_PYTHON, 0o755);
        host.put(PY_B, FAKE_PYTHON, 0o755);
    });
    afterEach(() => host.cleanup());

    it("creates the venv, the group's members, a log only root reads (0640), and the directives", async () => {
        const state = await telemetry.create(host.ctx(), want({ daemonUsers: ["app"] }));
        expect(state).toMatchObject({ supervisor: "loop", configSha256: sha256(renderConf(want())) });
        expect(members()).toBe("www-data,app");
        expect(host.file(`${TELEMETRY_VENV}/.installed`)).toBe("1.1.0\n");
        expect(fs.statSync(host.local(TELEMETRY_LOG)).mode & 0o777).toBe(0o640);
        expect(host.apacheCalls()).toContain("start");
    });

    it("takes members dropped from daemonUsers out of the group, keeping www-data, and restarts Apache", async () => {
        const state = await telemetry.create(host.ctx(), want({ daemonUsers: ["app", "shop"] }));
        expect(members()).toBe("www-data,app,shop");
        // Apache running (a live pid; pgrep must not see this machine's own apache2): a graceful would not do.
        host.put("/var/run/apache2/apache2.pid", `${process.pid}\n`);
        host.stub("pgrep", "#!/bin/sh\nexit 1\n");
        fs.rmSync(host.local("/.apache.log"));
        await telemetry.update(host.ctx(), state, want({ daemonUsers: ["app"] }));
        expect(members()).toBe("www-data,app");
        expect(accounts()).toContain("gpasswd -d shop modwsgi-telemetry");
        expect(host.apacheCalls()).toEqual(["-t", "stop", "start"]);
    });

    it("a create whose directives Apache rejects is tracked as partial state, and destroy removes it", async () => {
        host.put("/.configtest-fail", "AH00526: Syntax error on line 1 of 05-telemetry.conf\n");
        const ctx = host.ctx();
        const err = await telemetry.create(ctx, want({ daemonUsers: ["app"] })).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PartialFailure);
        expect((err as PartialFailure).message).toMatch(/AH00526/);
        const partial = (err as PartialFailure).state as never;
        expect(partial).toMatchObject({ configSha256: "", running: false, daemonUsers: ["app"] });
        expect(host.exists(TELEMETRY_CONF)).toBe(false);
        expect(host.exists(TELEMETRY_SETTINGS)).toBe(true);
        // Refresh still finds it; the next up sees drift; destroy takes out the service, user and members.
        expect(await telemetry.read(ctx, "telemetry", partial)).not.toBeNull();
        expect(telemetry.drift!(partial, want({ daemonUsers: ["app"] }))).toContain("configSha256");
        fs.rmSync(host.local("/.configtest-fail"));
        await telemetry.delete(ctx, partial);
        expect(host.exists(TELEMETRY_ROOT)).toBe(false);
        expect(accounts()).toEqual(expect.arrayContaining(["userdel modwsgi-telemetry", "groupdel modwsgi-telemetry"]));
        expect(await telemetry.read(ctx, "telemetry", partial)).toBeNull();
    });

    it("a new python builds its venv beside the live one: a failed pip leaves the live one as it was", async () => {
        const state = await telemetry.create(host.ctx(), want());
        host.put("/.pip-fail", "");
        await expect(telemetry.update(host.ctx(), state, want({ python: PY_B }))).rejects.toThrow(/pip could not/);
        expect(host.file(`${TELEMETRY_VENV}/.made-by`)).toBe(`${PY_A}\n`);
        expect(host.file(`${TELEMETRY_VENV}/.installed`)).toBe("1.1.0\n");
        expect(host.file(`${TELEMETRY_ROOT}/python`)).toBe(`${PY_A}\n`);
        expect(host.exists(`${TELEMETRY_VENV}.new`)).toBe(false);
    });

    it("a new python's venv, once complete, replaces the old one with its scripts pointing at the venv", async () => {
        const state = await telemetry.create(host.ctx(), want());
        await telemetry.update(host.ctx(), state, want({ python: PY_B }));
        expect(host.file(`${TELEMETRY_VENV}/.made-by`)).toBe(`${PY_B}\n`);
        expect(host.file(`${TELEMETRY_ROOT}/python`)).toBe(`${PY_B}\n`);
        expect(host.file(`${TELEMETRY_VENV}/bin/mod_wsgi-telemetry`)).toMatch(
            new RegExp(`^#!${TELEMETRY_VENV}/bin/python3\n`),
        );
        expect(fs.readlinkSync(host.local(`${TELEMETRY_VENV}/bin/python3`))).toBe("python");
        expect(host.exists(`${TELEMETRY_VENV}.new`)).toBe(false);
        expect(host.exists(`${TELEMETRY_VENV}.old`)).toBe(false);
        expect(accounts().filter((l) => l.startsWith("started"))).toHaveLength(2);
    });
});

describe("DaemonProcess request timeouts", () => {
    it("computes mod_wsgi 6's effective request timeout", () => {
        expect(effectiveRequestTimeout(60, 1)).toBe(60);
        expect(effectiveRequestTimeout(60, 5)).toBeCloseTo(156.57, 2);
        expect(effectiveRequestTimeout(5, 2)).toBeCloseTo(8.47, 2);
    });

    it("warns when socket-timeout answers the client before an interrupt could", () => {
        const w = timeoutWarnings({
            name: "api",
            threads: 5,
            requestTimeout: 60,
            interruptTimeout: 10,
            socketTimeout: 60,
        });
        expect(w).toHaveLength(1);
        expect(w[0]).toMatch(/^DaemonProcess api: the effective request timeout is 156\.6 s .* socketTimeout 60 s/);
    });

    it("stays quiet for upstream's defaults (no interrupt) and for a socket-timeout above the effective one", () => {
        expect(
            timeoutWarnings({ name: "d", threads: 5, requestTimeout: 60, socketTimeout: 60, queueTimeout: 45 }),
        ).toEqual([]);
        expect(
            timeoutWarnings({ name: "d", threads: 2, requestTimeout: 5, interruptTimeout: 10, socketTimeout: 60 }),
        ).toEqual([]);
    });

    it("warns when queue-timeout cannot fire before socket-timeout (0 means Apache's Timeout, 300 s)", () => {
        expect(timeoutWarnings({ name: "q", queueTimeout: 60, socketTimeout: 60 })[0]).toMatch(/queueTimeout 60 s/);
        expect(timeoutWarnings({ name: "q", queueTimeout: 120, socketTimeout: 0 })).toEqual([]);
        expect(timeoutWarnings({ name: "q", queueTimeout: 300, socketTimeout: 0 })).toHaveLength(1);
    });
});
