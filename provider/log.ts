// Engine log client: messages appear in the Pulumi CLI next to the resource (plugin stdout is hidden).
import * as grpc from "@grpc/grpc-js";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";

export interface Logger {
    info(msg: string): void;
    warn(msg: string): void;
    debug(msg: string): void;
    /** A transient status line (shown while the step runs). */
    status(msg: string): void;
}

let engine: engineGrpc.EngineClient | undefined;

export function connectEngine(address: string | undefined) {
    if (address) engine = new engineGrpc.EngineClient(address, grpc.credentials.createInsecure());
}

function send(severity: enginePb.LogSeverity, message: string, urn: string, ephemeral = false) {
    if (!engine) {
        process.stderr.write(`${message}\n`);
        return;
    }
    const req = new enginePb.LogRequest();
    req.setSeverity(severity);
    req.setMessage(message);
    req.setUrn(urn);
    req.setEphemeral(ephemeral);
    engine.log(req, () => undefined);
}

export function logger(urn: string): Logger {
    return {
        info: (m) => send(enginePb.LogSeverity.INFO, m, urn),
        warn: (m) => send(enginePb.LogSeverity.WARNING, m, urn),
        debug: (m) => send(enginePb.LogSeverity.DEBUG, m, urn),
        status: (m) => send(enginePb.LogSeverity.INFO, m, urn, true),
    };
}
