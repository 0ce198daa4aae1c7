// The plugin's gRPC server, listening before the resources' code is loaded. The engine starts a stack's
// plugins one after another: it waits for each one's port and its Configure before it starts the next (twice per
// host per command: once for the refresh, once for the program). So the port and the configuration calls are
// served with what they need only (config.ts); the rest (ssh2, the resources, the schema: about half of a start's
// CPU) is loaded after Configure, while the engine starts the next plugin, or at the first call that needs it.
import * as grpc from "@grpc/grpc-js";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";

/** How long after Configure's answer the rest is loaded: its frames are on the wire by then. */
const WARM_DELAY_MS = 20;

type Service = Partial<providerGrpc.IResourceProviderServer>;
type AnyHandler = (call: unknown, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

/**
 * Serves `early` at once and the calls named in `laterCalls` from `later()` (loaded on first use; `warm()` starts
 * that load in the background). Any other call answers UNIMPLEMENTED at once, as grpc-js does: the engine's first
 * call, Handshake, is one, and must not wait for the load.
 */
export function listen(early: Service, laterCalls: readonly string[], later: () => Promise<Service>) {
    let loading: Promise<Service> | undefined;
    const load = () => (loading ??= later());
    const handlers: Record<string, AnyHandler> = {};
    for (const name of Object.keys(providerGrpc.ResourceProviderService)) {
        const now = (early as Record<string, AnyHandler | undefined>)[name];
        if (!now && !laterCalls.includes(name)) continue;
        handlers[name] =
            now ??
            ((call, cb) => {
                load().then(
                    (svc) => {
                        const h = (svc as Record<string, AnyHandler | undefined>)[name];
                        if (h) h(call, cb);
                        else
                            cb({
                                code: grpc.status.UNIMPLEMENTED,
                                details: `${name} is not implemented`,
                            } as grpc.ServiceError);
                    },
                    (err: Error) =>
                        cb({
                            code: grpc.status.INTERNAL,
                            details: `modwsgi provider failed to load: ${err?.stack ?? err}`,
                        } as grpc.ServiceError),
                );
            });
    }
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(
        providerGrpc.ResourceProviderService,
        handlers as unknown as providerGrpc.IResourceProviderServer,
    );
    const port = new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
            err ? reject(err) : resolve(p),
        ),
    );
    // A load started at once would hold up the answer just written (grpc-js sends it on a later turn of the
    // event loop), which the engine waits for before it starts the next plugin.
    // A failed load is reported to each call that needs it (INTERNAL, with the error), not left unhandled here.
    const warm = () => setTimeout(() => load().catch(() => undefined), WARM_DELAY_MS);
    return { server, port, warm };
}
