// `count` component resources and nothing else: what Pulumi itself (the Node SDK registering a resource, the
// engine stepping it) costs per resource in a no-op preview, with no provider, no property and no Read.
import * as pulumi from "@pulumi/pulumi";

class Nothing extends pulumi.ComponentResource {
    constructor(name: string) {
        super("bench:index:Nothing", name, {}, {});
        this.registerOutputs({});
    }
}

const count = new pulumi.Config().requireNumber("count");
export const registered = Array.from({ length: count }, (_, i) => new Nothing(`nothing-${i}`)).length;
