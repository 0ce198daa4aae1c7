// The plugin answers the engine's first calls before the resources' code is loaded (provider/listen.ts).
import { afterAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { LATER_CALLS } from "../../provider/config";
import { listen } from "../../provider/listen";
import { service } from "../../provider/server";

type Reply = { err: grpc.ServiceError | null; res?: unknown };
type Unary = (req: unknown, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

/** A server from listen() whose later part counts its loads (or fails to load), and a client to it. */
async function plugin(later: () => Promise<Record<string, unknown>>) {
    const loads = { n: 0 };
    const l = listen(
        { getPluginInfo: (_call, cb) => cb(null, new pluginPb.PluginInfo().setVersion("9.9.9")) },
        ["check"],
        async () => {
            loads.n++;
            return (await later()) as never;
        },
    );
    const client = new providerGrpc.ResourceProviderClient(
        `127.0.0.1:${await l.port}`,
        grpc.credentials.createInsecure(),
    );
    const call = (name: string, req: unknown) =>
        new Promise<Reply>((resolve) =>
            (client as unknown as Record<string, Unary>)[name].call(client, req, (err, res) => resolve({ err, res })),
        );
    opened.push(() => {
        client.close();
        l.server.forceShutdown();
    });
    return { ...l, loads, call };
}

const opened: (() => void)[] = [];
afterAll(() => opened.forEach((close) => close()));

const checkOnly = async () => ({
    check: (_call: unknown, cb: (err: null, res: unknown) => void) => cb(null, new pb.CheckResponse()),
});

describe("listen", () => {
    it("serves the early calls, and answers a call it does not serve, without loading the rest", async () => {
        const p = await plugin(checkOnly);
        const info = await p.call("getPluginInfo", new Empty());
        expect((info.res as pluginPb.PluginInfo).getVersion()).toBe("9.9.9");
        // The engine's first call: a provider without it must answer at once, not after loading its resources.
        const hs = await p.call("handshake", new pb.ProviderHandshakeRequest());
        expect(hs.err?.code).toBe(grpc.status.UNIMPLEMENTED);
        expect(p.loads.n).toBe(0);
    });

    it("loads the rest once, at the first call that needs it", async () => {
        const p = await plugin(checkOnly);
        const a = await p.call("check", new pb.CheckRequest());
        const b = await p.call("check", new pb.CheckRequest());
        expect([a.err, b.err]).toEqual([null, null]);
        expect(p.loads.n).toBe(1);
    });

    it("warm() loads the rest in the background, before any call needs it", async () => {
        const p = await plugin(checkOnly);
        p.warm();
        await new Promise((r) => setTimeout(r, 100));
        expect(p.loads.n).toBe(1);
    });

    it("a failed load is each later call's error (INTERNAL, naming the cause), not a crash of the warm-up", async () => {
        const p = await plugin(async () => {
            throw new Error("cannot find module ssh2");
        });
        p.warm();
        await new Promise((r) => setTimeout(r, 100));
        const r = await p.call("check", new pb.CheckRequest());
        expect(r.err?.code).toBe(grpc.status.INTERNAL);
        expect(r.err?.details).toContain("cannot find module ssh2");
    });

    it("LATER_CALLS names exactly the calls server.ts serves", () => {
        expect([...LATER_CALLS].sort()).toEqual(Object.keys(service).sort());
    });
});
