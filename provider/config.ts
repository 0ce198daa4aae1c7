// The provider's own configuration: checkConfig, diffConfig and configure, and the plugin's version. These are
// the calls the engine makes before it starts the next plugin, so they are served before the resources' code is
// loaded (see listen.ts): they need only zod and the connection's schema.
import * as grpc from "@grpc/grpc-js";
import type { z } from "zod";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import { fromStruct, toStruct } from "./marshal";
import { connectionSchema, connectionSecrets, type Connection } from "./remote/connection";
import { UNKNOWN, type Props } from "./resource";
import { PROVIDER_VERSION } from "./version";

let connection: Connection | undefined;

/** The validated connection from the last Configure; undefined until one (or while its values are unknown). */
export const configuredConnection = () => connection;

/** Provider config: values from stack config arrive as strings; non-string properties are JSON there. */
export function parseConfig(props: Props) {
    const shape = connectionSchema.shape as Record<string, z.ZodType>;
    const coerced: Props = {};
    for (const [k, v] of Object.entries(props)) {
        if (k === "version") continue;
        if (typeof v === "string" && shape[k] && !acceptsString(shape[k])) {
            try {
                coerced[k] = JSON.parse(v);
            } catch {
                coerced[k] = v; // zod then names the property and the expected type
            }
        } else coerced[k] = v;
    }
    return connectionSchema.safeParse(coerced);
}

function acceptsString(s: z.ZodType): boolean {
    return s.safeParse("x").success || s.safeParse("").success;
}

/** Which config properties to store encrypted: the credentials, and the jump chain (its hops carry theirs). */
export function configSecrets(props: Props): string[] {
    return connectionSecrets.filter((k) => props[k] !== undefined);
}

function configFailures(props: Props): pb.CheckFailure[] {
    const unknown = Object.values(props).includes(UNKNOWN);
    if (unknown) return [];
    const res = parseConfig(props);
    if (res.success) return [];
    return res.error.issues.map((i) => {
        const f = new pb.CheckFailure();
        const prop = i.code === "unrecognized_keys" ? i.keys.join(",") : i.path.join(".");
        f.setProperty(prop);
        f.setReason(`modwsgi provider config ${prop}: ${i.message}`);
        return f;
    });
}

/**
 * A unary gRPC handler from an async function: a failure becomes a gRPC error carrying the message the user
 * should see (`toError` may turn some failures into another error, e.g. the engine's partial-state error).
 */
export function unary<Req, Res>(
    fn: (req: Req) => Promise<Res>,
    toError: (err: Error) => grpc.ServiceError | undefined = () => undefined,
): grpc.handleUnaryCall<Req, Res> {
    return (call, cb) => {
        fn(call.request).then(
            (res) => cb(null, res),
            (err: Error) =>
                cb(
                    toError(err) ??
                        ({ code: grpc.status.UNKNOWN, details: err?.message ?? String(err) } as grpc.ServiceError),
                    null,
                ),
        );
    };
}

/** The calls server.ts serves, once loaded (a unit test keeps this list equal to its handlers). */
export const LATER_CALLS = [
    "getSchema",
    "check",
    "diff",
    "create",
    "read",
    "update",
    "delete",
    "invoke",
    "cancel",
    "attach",
];

export const configService: Partial<providerGrpc.IResourceProviderServer> = {
    getPluginInfo: unary(async () => new pluginPb.PluginInfo().setVersion(PROVIDER_VERSION)),

    checkConfig: unary(async (req: pb.CheckRequest) => {
        const { props, secrets } = fromStruct(req.getNews());
        const res = new pb.CheckResponse();
        res.setInputs(toStruct(props, [...secrets, ...configSecrets(props)]));
        res.setFailuresList(configFailures(props));
        return res;
    }),

    diffConfig: unary(async (req: pb.DiffRequest) => {
        const olds = fromStruct(req.getOldInputs() ?? req.getOlds()).props;
        const news = fromStruct(req.getNews()).props;
        const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((k) => k !== "version");
        const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const res = new pb.DiffResponse();
        res.setChanges(changed.length ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
        res.setDiffsList(changed);
        // Resources live on the host: pointing the provider elsewhere means recreating them there.
        res.setReplacesList(changed.filter((k) => k === "host" || k === "port"));
        return res;
    }),

    configure: unary(async (req: pb.ConfigureRequest) => {
        let props = fromStruct(req.getArgs()).props;
        if (Object.keys(props).length === 0) {
            props = {};
            req.getVariablesMap().forEach((v, k) => (props[k.split(":").pop()!] = v));
        }
        if (!Object.values(props).includes(UNKNOWN)) {
            const res = parseConfig(props);
            if (!res.success) {
                throw new Error(
                    configFailures(props)
                        .map((f) => f.getReason())
                        .join("\n"),
                );
            }
            connection = res.data;
        }
        const out = new pb.ConfigureResponse();
        out.setAcceptsecrets(true);
        out.setSupportspreview(false);
        out.setAcceptresources(false);
        out.setAcceptoutputs(false);
        return out;
    }),
};
