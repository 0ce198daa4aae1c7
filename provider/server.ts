// pulumirpc.ResourceProvider over @grpc/grpc-js: configuration, check, detailed diff, CRUD with
// secrets kept secret, and engine logging. Resource behaviour lives in resources/<name>/.
import * as grpc from "@grpc/grpc-js";
import * as os from "node:os";
import type { z } from "zod";
import type * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { fromStruct, toStruct } from "./marshal";
import { configuredConnection, unary as unaryCall } from "./config";
import { host, cancelAll } from "./remote/ssh";
import { hostOperation } from "./remote/apply";
import { holderFromUrn, setHolder } from "./remote/scripts";
import { logger } from "./log";
import {
    Claims,
    checkInputs,
    diff,
    projectInputs,
    type Ctx,
    type Props,
    type ResourceModule,
    secretInputs,
} from "./resource";
import { moduleFor } from "./registry";
import { schemaJson } from "./schema";
import { PartialFailure, partialStateError } from "./partial";
import { claimOwnership, foreignOwner, releaseOwnership, takeOwnership } from "./owners";
import { functionFor } from "./functions";

type Handler<Req, Res> = grpc.handleUnaryCall<Req, Res>;

const claims = new Claims();

function typeOf(urn: string): string {
    const t = urn.split("::")[2] ?? "";
    return t.split("$").pop()!;
}

function ctxFor(urn: string, holder = true): Ctx {
    const connection = configuredConnection();
    if (!connection)
        throw new Error(
            "the modwsgi provider is not configured: set modwsgi:host, a login (modwsgi:privateKey, a password or " +
                "an ssh-agent) and the host key (modwsgi:hostKey or a known_hosts file), " +
                "or pass them to a modwsgi.Provider",
        );
    // Named on the host while an operation holds its lock: one provider process serves one stack.
    if (holder) setHolder(holderFromUrn(urn, process.pid, os.hostname()));
    return { host: host(connection), log: logger(urn) };
}

/** A handler whose failures reach the user as gRPC errors; a PartialFailure as the engine's partial-state error. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>): Handler<Req, Res> {
    return unaryCall(fn, (err) => (err instanceof PartialStateError ? err.grpc : undefined));
}

/** A PartialFailure as the engine's partial-state error, its state's secrets kept secret. */
class PartialStateError extends Error {
    constructor(readonly grpc: grpc.ServiceError) {
        super(grpc.details);
    }
}

/** The step's result; when it failed after changing the host, the error tells the engine what now exists. */
async function tracked(step: Promise<Props>, id: string, m: ResourceModule, secrets: Set<string>): Promise<Props> {
    try {
        return await step;
    } catch (e) {
        if (!(e instanceof PartialFailure)) throw e;
        throw new PartialStateError(partialStateError(e.message, id, toStruct(e.state, secretKeys(m, secrets))));
    }
}

/** What the program marked secret, plus what the resource always keeps secret. */
function secretKeys(m: ResourceModule, fromProgram: Set<string>): string[] {
    return [...fromProgram, ...secretInputs(m)];
}

/**
 * Inputs with the schema's default filled in for each one missing, key by key: an import's other values may not
 * validate as a whole (an Application's `source` is a local path no host shows), and the defaulted ones must
 * still be in the state (the schema lists them as always-set outputs).
 */
export function withDefaults(m: ResourceModule, inputs: Props): Props {
    const out = { ...inputs };
    for (const [k, s] of Object.entries(m.inputs.shape as Record<string, z.ZodType>)) {
        if (out[k] !== undefined) continue;
        const d = s.safeParse(undefined);
        if (d.success && d.data !== undefined) out[k] = d.data;
    }
    return out;
}

/** A create, update or delete, known to the config transactions on its host (provider/remote/apply.ts). */
const operation = <T>(m: ResourceModule, ctx: Ctx, work: () => Promise<T>): Promise<T> =>
    m.configless ? work() : hostOperation(ctx.host, work);

/** The claims a resource makes on its host (recorded there as this stack's: provider/owners.ts). */
const claimsOf = (m: ResourceModule, props: Props) => m.claims?.(props as never) ?? [];
const shortType = (m: ResourceModule) => m.token.split(":")[2];

function mod(urn: string): ResourceModule {
    return moduleFor(typeOf(urn));
}

/** Every call but the provider's configuration (config.ts): what needs the resources' code. */
export const service: Partial<providerGrpc.IResourceProviderServer> = {
    getSchema: unary(async () => new pb.GetSchemaResponse().setSchema(schemaJson())),

    check: unary(async (req: pb.CheckRequest) => {
        const m = mod(req.getUrn());
        const { props, secrets } = fromStruct(req.getNews());
        const { inputs, failures: own } = checkInputs(m, props);
        const failures = own.length ? own : claims.check(req.getUrn(), m, inputs);
        const res = new pb.CheckResponse();
        res.setInputs(toStruct(inputs, secretKeys(m, secrets)));
        res.setFailuresList(
            failures.map((f) => {
                const cf = new pb.CheckFailure();
                cf.setProperty(f.property);
                cf.setReason(f.reason);
                return cf;
            }),
        );
        return res;
    }),

    diff: unary(async (req: pb.DiffRequest) => {
        const m = mod(req.getUrn());
        const olds = fromStruct(req.getOlds()).props;
        const news = fromStruct(req.getNews()).props;
        const { changed, replaces } = diff(m, olds, news, req.getIgnorechangesList());
        const res = new pb.DiffResponse();
        res.setChanges(changed.length ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
        res.setDiffsList(changed);
        res.setReplacesList(replaces);
        res.setHasdetaileddiff(true);
        const detailed = res.getDetaileddiffMap();
        for (const k of changed) {
            const pd = new pb.PropertyDiff();
            const replace = replaces.includes(k);
            const kind =
                olds[k] === undefined
                    ? replace
                        ? pb.PropertyDiff.Kind.ADD_REPLACE
                        : pb.PropertyDiff.Kind.ADD
                    : news[k] === undefined
                      ? replace
                          ? pb.PropertyDiff.Kind.DELETE_REPLACE
                          : pb.PropertyDiff.Kind.DELETE
                      : replace
                        ? pb.PropertyDiff.Kind.UPDATE_REPLACE
                        : pb.PropertyDiff.Kind.UPDATE;
            pd.setKind(kind);
            pd.setInputdiff(true);
            detailed.set(k, pd);
        }
        return res;
    }),

    create: unary(async (req: pb.CreateRequest) => {
        const m = mod(req.getUrn());
        const { props, secrets } = fromStruct(req.getProperties());
        const ctx = ctxFor(req.getUrn());
        return operation(m, ctx, async () => {
            // Another stack's daemon group, app, vhost or module is refused before anything is written.
            const claims = claimsOf(m, props);
            await claimOwnership(ctx.host, req.getUrn(), shortType(m), claims);
            let outs: Props;
            try {
                outs = await tracked(m.create(ctx, props), m.id(props), m, secrets);
            } catch (e) {
                // Nothing tracked: nothing owned. (Partial state is tracked, and destroy releases it.)
                if (!(e instanceof PartialStateError))
                    await releaseOwnership(ctx.host, req.getUrn(), claims).catch(() => undefined);
                throw e;
            }
            const res = new pb.CreateResponse();
            res.setId(m.id(props));
            res.setProperties(toStruct(outs, secretKeys(m, secrets)));
            return res;
        });
    }),

    read: unary(async (req: pb.ReadRequest) => {
        const m = mod(req.getUrn());
        // Import sends no properties at all: everything must come from the host.
        const { props, secrets } = fromStruct(req.getProperties());
        const ctx = ctxFor(req.getUrn());
        const olds = Object.keys(props).length ? props : undefined;
        const live = await m.read(ctx, req.getId(), olds);
        const res = new pb.ReadResponse();
        if (!live) return res; // empty id: gone
        // Import is how a stack takes over what another one (or a hand) made.
        if (!olds) await takeOwnership(ctx.host, req.getUrn(), claimsOf(m, live));
        // An import has no program values for what the host cannot show: the schema's defaults stand in for them.
        const inputs = olds ? projectInputs(m, live) : withDefaults(m, projectInputs(m, live));
        // What an import reads from the provider's own records may have been a secret in the program: encrypted.
        const keys = [...secretKeys(m, secrets), ...(olds ? [] : (m.importSecrets ?? []))];
        res.setId(req.getId());
        res.setProperties(toStruct({ ...live, ...inputs }, keys));
        res.setInputs(toStruct(inputs, keys));
        return res;
    }),

    update: unary(async (req: pb.UpdateRequest) => {
        const m = mod(req.getUrn());
        const olds = fromStruct(req.getOlds()).props;
        const { props: news, secrets } = fromStruct(req.getNews());
        const ctx = ctxFor(req.getUrn());
        return operation(m, ctx, async () => {
            // A new claim (another mount point, say) must not be another stack's; the ones given up are released.
            const claims = claimsOf(m, news);
            await claimOwnership(ctx.host, req.getUrn(), shortType(m), claims);
            const outs = await tracked(m.update(ctx, olds, news), req.getId(), m, secrets);
            const kept = new Set(claims.map((c) => c.key));
            const dropped = claimsOf(m, olds).filter((c) => !kept.has(c.key));
            await releaseOwnership(ctx.host, req.getUrn(), dropped);
            const res = new pb.UpdateResponse();
            res.setProperties(toStruct(outs, secretKeys(m, secrets)));
            return res;
        });
    }),

    delete: unary(async (req: pb.DeleteRequest) => {
        const m = mod(req.getUrn());
        const ctx = ctxFor(req.getUrn());
        return operation(m, ctx, async () => {
            const olds = fromStruct(req.getProperties()).props;
            const claims = claimsOf(m, olds);
            // Only what this stack owns is ever removed: another stack's (it imported this one) stays on the host.
            const other = await foreignOwner(ctx.host, req.getUrn(), claims);
            if (other) {
                ctx.log.warn(
                    `${shortType(m)} ${m.id(olds)} belongs to ${other} now: left on the host, removed from this stack`,
                );
                return new Empty();
            }
            await m.delete(ctx, olds);
            await releaseOwnership(ctx.host, req.getUrn(), claims);
            return new Empty();
        });
    }),

    // Provider functions (getStatus): read the host this provider instance is configured for.
    invoke: unary(async (req: pb.InvokeRequest) => {
        const f = functionFor(req.getTok());
        const args = fromStruct(req.getArgs()).props;
        const parsed = f.inputs.safeParse(args);
        if (!parsed.success)
            throw new Error(`${req.getTok()}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
        // A function only reads (takes no host lock): it must not rename the holder of this stack's operations.
        const result = await f.invoke(ctxFor(req.getTok(), false), parsed.data as Props);
        return new pb.InvokeResponse().setReturn(toStruct(result as Props, []));
    }),

    cancel: unary(async () => {
        cancelAll();
        return new Empty();
    }),

    attach: unary(async () => new Empty()),
};

export { connectEngine } from "./log";
export { closeAll } from "./remote/ssh";
