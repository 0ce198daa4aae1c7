// Secrets are declared per property in the zod schemas (`secret(...)`), never inferred from a property's name.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { schema } from "../../provider/schema";
import { resources } from "../../provider/registry";
import { secretInputs } from "../../provider/resource";
import { declaredSecrets, holdsSecret, secret, secretProperties } from "../../provider/zodwalk";
import { connectionSchema, connectionSecrets } from "../../provider/remote/connection";

interface Spec {
    secret?: boolean;
    properties?: Record<string, Spec>;
}

/** Every `secret: true` in the package schema, as `Type.property` paths. */
function secretPaths(): string[] {
    const s = schema();
    const out: string[] = [];
    const walk = (prefix: string, props: Record<string, Spec>) => {
        for (const [k, v] of Object.entries(props)) if (v.secret) out.push(`${prefix}.${k}`);
    };
    walk("config", s.config.variables as Record<string, Spec>);
    for (const [t, v] of Object.entries(s.types as Record<string, Spec>)) walk(t.split(":")[2], v.properties ?? {});
    for (const [t, v] of Object.entries(s.resources as Record<string, { inputProperties: Record<string, Spec> }>))
        walk(t.split(":")[2], v.inputProperties);
    return out.sort();
}

describe("declared secrets", () => {
    it("the package schema marks exactly the declared properties secret", () => {
        expect(secretPaths()).toEqual(
            [
                "Application.environment",
                "Hop.password",
                "Hop.privateKey",
                "Hop.privateKeyPassphrase",
                "Tls.privateKey",
                "VirtualHost.tls",
                "WsgiModule.url",
                "config.jumpHosts",
                "config.password",
                "config.privateKey",
                "config.privateKeyPassphrase",
                "config.sudoPassword",
            ].sort(),
        );
    });

    it("state keeps encrypted each resource's properties that hold a secret anywhere inside", () => {
        const byType = Object.fromEntries(resources.map((r) => [r.token.split(":")[2], secretInputs(r)]));
        expect(byType).toEqual({
            ApacheHost: [],
            WsgiModule: ["url"],
            PythonEnv: [],
            DaemonProcess: [],
            VirtualHost: ["tls"],
            Application: ["environment"],
            Telemetry: [],
        });
    });

    it("the connection's credentials are its declared secrets", () => {
        expect([...connectionSecrets].sort()).toEqual([
            "jumpHosts",
            "password",
            "privateKey",
            "privateKeyPassphrase",
            "sudoPassword",
        ]);
        expect(declaredSecrets(connectionSchema)).toEqual(connectionSecrets);
    });

    it("a property is secret because it is declared so, not because of its name", () => {
        const o = z.object({
            privateKey: z.string().optional(),
            password: z.string(),
            token: secret(z.string()).optional().describe("declared"),
            nested: z.object({ key: secret(z.string()) }).optional(),
            list: z.array(z.object({ x: secret(z.number()) })).default([]),
            map: z.record(z.string(), secret(z.string())),
        });
        expect(secretProperties(o)).toEqual(["token", "nested", "list", "map"]);
        expect(declaredSecrets(o)).toEqual(["token"]);
        expect(holdsSecret(o.shape.privateKey)).toBe(false);
    });
});
