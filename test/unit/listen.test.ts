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

describe("listen", () => {
    let loads = 0;
    const { port, warm } = listen(
        { getPluginInfo: (_call, cb) => cb(null, new pluginPb.PluginInfo().setVersion("9.9.9")) },
        ["check"],
        async () => {
            loads++;
            return { check: (_call, cb) => cb(null, new pb.CheckResponse()) };
        },
    );
    let client: providerGrpc.ResourceProviderClient;
    const call = <Req, Res>(name: string, req: Req) =>
        new Promise<{ err: grpc.ServiceError | null; res?: Res }>((resolve) =>
            (client as unknown as Record<string, (r: Req, cb: (e: grpc.ServiceError | null, r?: Res) => void) => void>)[
                name
            ].call(client, req, (err, res) => resolve({ err, res })),
        );
    afterAll(() => client?.close());

    it("serves the early calls and refuses unknown ones without loading the rest", async () => {
        client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${await port}`, grpc.credentials.createInsecure());
        const info = await call<Empty, pluginPb.PluginInfo>("getPluginInfo", new Empty());
        expect(info.res?.getVersion()).toBe("9.9.9");
        // The engine's first call: a provider without it must answer at once, not after loading its resources.
        const hs = await call("handshake", new pb.ProviderHandshakeRequest());
        expect(hs.err?.code).toBe(grpc.status.UNIMPLEMENTED);
        expect(loads).toBe(0);
    });

    it("loads the rest once, at the first call that needs it or when warmed", async () => {
        const a = await call("check", new pb.CheckRequest());
        const b = await call("check", new pb.CheckRequest());
        warm();
        await new Promise((r) => setTimeout(r, 50));
        expect([a.err, b.err]).toEqual([null, null]);
        expect(loads).toBe(1);
    });

    it("LATER_CALLS names exactly the calls server.ts serves", () => {
        expect([...LATER_CALLS].sort()).toEqual(Object.keys(service).sort());
    });
});
