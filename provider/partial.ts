// A create or update that failed after it changed the host: the engine must still track what is there, or the
// next `up` creates it again beside the leftovers and `destroy` never removes them (secrets included). The
// provider answers with Pulumi's partial-state error: the ID and the state as it now is, plus the reason.
import * as grpc from "@grpc/grpc-js";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import * as statusPb from "@pulumi/pulumi/proto/status_pb";
import type { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { Props } from "./resource";

/** Thrown by a lifecycle step that failed after changing the host: `state` is what the host now holds. */
export class PartialFailure extends Error {
    constructor(
        message: string,
        readonly state: Props,
        options?: { cause?: unknown },
    ) {
        super(message, options);
    }
}

/** The gRPC error the engine reads as "failed, but this resource exists with these properties". */
export function partialStateError(message: string, id: string, properties: Struct): grpc.ServiceError {
    const detail = new pb.ErrorResourceInitFailed();
    detail.setId(id);
    detail.setProperties(properties);
    detail.setReasonsList([message]);
    const any = new Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new statusPb.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(any);
    const metadata = new grpc.Metadata();
    // grpc-js has no API for rich status details: the engine (Go) reads them from this trailer.
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    return Object.assign(new Error(message), { code: grpc.status.UNKNOWN, details: message, metadata });
}
