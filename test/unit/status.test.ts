// getStatus's pure parts: status.sh's records -> per-group status, and a process title -> its group.
import { describe, expect, it } from "vitest";
import { groupOfTitle, parseStatus } from "../../provider/functions/status";
import { getStatusOutputs } from "../../provider/functions/getStatus";
import { functionSpecs } from "../../provider/schema";

const T = "\t";
const HOST = [
    "apache_version=2.4.68",
    "apache_running=true",
    "mod_wsgi_version=6.1.1",
    "python_version=3.11.2",
    `conf${T}WSGIDaemonProcess ops processes=2 threads=2 display-name=%{GROUP} request-timeout=5`,
    `conf${T}  WSGIDaemonProcess   a-very-long-group-name threads=4`,
    `conf${T}WSGIDaemonProcess bare`,
    `proc${T}101${T}30${T}20480${T}(wsgi:ops)       -k start`,
    `proc${T}102${T}29${T}20500${T}(wsgi:ops)       -k start`,
    `proc${T}103${T}12${T}18000${T}(wsgi:a-very-long`,
    `proc${T}104${T}5${T}9000${T}(wsgi:unknown)`,
];

describe("parseStatus", () => {
    it("reports each configured group with its live processes; telemetry off adds no figures", () => {
        const s = parseStatus([...HOST, "telemetry=off"].join("\n") + "\n");
        expect(s).toMatchObject({
            apacheVersion: "2.4.68",
            apacheRunning: true,
            modWsgiVersion: "6.1.1",
            pythonVersion: "3.11.2",
            telemetry: "off",
        });
        expect(s.groups.map((g) => [g.name, g.configuredProcesses, g.threads, g.liveProcesses])).toEqual([
            ["ops", 2, 2, 2],
            ["a-very-long-group-name", 1, 4, 1],
            ["bare", 1, 15, 0],
        ]);
        expect(s.groups[0].processes).toEqual([
            { pid: 101, ageSeconds: 30, rssKib: 20480 },
            { pid: 102, ageSeconds: 29, rssKib: 20500 },
        ]);
        expect(s.groups[0].requests).toBeUndefined();
    });

    it("adds the ingester's figures by the group a process reports, else by its PID", () => {
        const s = parseStatus(
            [
                ...HOST,
                "telemetry=on",
                `tproc${T}101${T}ops${T}120${T}40.5${T}0.25${T}1${T}2${T}1`,
                `tproc${T}102${T}${T}80${T}10${T}0.75${T}0${T}0${T}0`, // no group reported: by PID
                `tproc${T}900${T}${T}999${T}1${T}1${T}9${T}9${T}9`, // an Apache child (embedded): no group
            ].join("\n"),
        );
        expect(s.telemetry).toBe("on");
        expect(s.groups[0]).toMatchObject({
            requests: 200,
            throughput: 50.5,
            capacity: 0.5,
            errors5xx: 1,
            errors4xx: 2,
            slowRequests: 1,
        });
        expect(s.groups[2]).toMatchObject({ requests: 0, throughput: 0, slowRequests: 0 });
    });

    it("tells an unreachable ingester and an empty host apart from a broken parse", () => {
        expect(parseStatus("telemetry=unreachable\n").telemetry).toBe("unreachable");
        expect(parseStatus("")).toEqual({
            apacheVersion: "",
            apacheRunning: false,
            modWsgiVersion: "",
            pythonVersion: "",
            telemetry: "off",
            groups: [],
        });
    });

    it("matches getStatus's declared outputs", () => {
        const s = parseStatus(
            [...HOST, "telemetry=on", `tproc${T}101${T}ops${T}1${T}1${T}1${T}0${T}0${T}0`].join("\n"),
        );
        expect(getStatusOutputs.safeParse(s).success).toBe(true);
    });
});

describe("groupOfTitle", () => {
    const names = ["ops", "a-very-long-group-name", "a-very-long-other"];
    it("takes a whole (wsgi:NAME) title, and a cut one only when one group has that prefix", () => {
        expect(groupOfTitle("(wsgi:ops)", names)).toBe("ops");
        expect(groupOfTitle("(wsgi:op)", names)).toBeUndefined();
        expect(groupOfTitle("(wsgi:a-very-long-g", names)).toBe("a-very-long-group-name");
        expect(groupOfTitle("(wsgi:a-very-long", names)).toBeUndefined();
        expect(groupOfTitle("/usr/sbin/apache2 -k start", names)).toBeUndefined();
    });
});

describe("getStatus in the schema", () => {
    it("is a function with no inputs and typed group results", () => {
        const f = functionSpecs()["modwsgi:index:getStatus"];
        expect(Object.keys(f.inputs.properties)).toEqual([]);
        expect(f.outputs.required).toEqual(
            expect.arrayContaining(["apacheVersion", "modWsgiVersion", "pythonVersion", "telemetry", "groups"]),
        );
        expect(f.outputs.properties.groups).toEqual(
            expect.objectContaining({ type: "array", items: { $ref: "#/types/modwsgi:index:GroupStatus" } }),
        );
    });
});
