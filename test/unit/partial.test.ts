// A step that failed after changing the host answers with Pulumi's partial-state error, which the engine decodes
// from the grpc-status-details-bin trailer into "this resource exists, with these properties".
import { describe, expect, it } from "vitest";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import * as statusPb from "@pulumi/pulumi/proto/status_pb";
import { partialStateError } from "../../provider/partial";
import { toStruct, secret } from "../../provider/marshal";

describe("partial-state error", () => {
    it("carries the ID, the properties (secrets still wrapped) and the reason, as the engine reads them", () => {
        const props = toStruct({ name: "shop", environment: { TOKEN: "s3cret" }, configSha256: "" }, ["environment"]);
        const err = partialStateError("Apache rejected the mount", "shop", props);
        expect(err.details).toBe("Apache rejected the mount");
        const [bin] = err.metadata!.get("grpc-status-details-bin");
        const status = statusPb.Status.deserializeBinary(bin as Buffer);
        expect(status.getMessage()).toBe("Apache rejected the mount");
        const [any] = status.getDetailsList();
        expect(any.getTypeName()).toBe("pulumirpc.ErrorResourceInitFailed");
        const detail = any.unpack(pb.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed")!;
        expect(detail.getId()).toBe("shop");
        expect(detail.getReasonsList()).toEqual(["Apache rejected the mount"]);
        const back = detail.getProperties()!.toJavaScript();
        expect(back.environment).toEqual(secret({ TOKEN: "s3cret" }));
        expect(back.name).toBe("shop");
    });
});
