// Telemetry's pure parts (directives, service command line, supervisor, settings) and its drift, and the
// DaemonProcess request-timeout warnings.
import { describe, expect, it } from "vitest";
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
import { TELEMETRY_CONF, TELEMETRY_SOCKET } from "../../provider/layout";

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
