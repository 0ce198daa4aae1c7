// Every string and number input of every resource that renders Apache config, given every hostile value:
// refused at check naming that property, or rendered as inert text that reads back to the same value.
import { describe, expect, it } from "vitest";
import { checkInputs, type ResourceModule } from "../../provider/resource";
import { HOSTILE } from "../arbitraries";
import { virtualHost } from "../../provider/resources/virtualHost";
import * as vhost from "../../provider/resources/virtualHost/render";
import { application } from "../../provider/resources/application";
import * as app from "../../provider/resources/application/render";
import { apacheHost } from "../../provider/resources/apacheHost";
import * as host from "../../provider/resources/apacheHost/render";
import * as wsgiModule from "../../provider/resources/wsgiModule";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

interface Case {
    mod: ResourceModule;
    base: Record<string, unknown>;
    /** The managed config text, and what reading it back must give for the property. */
    render(i: Record<string, unknown>): string;
    readBack(text: string, i: Record<string, unknown>): Record<string, unknown>;
    /** Properties that never reach a config file or a shell as text (checked elsewhere). */
    skip?: string[];
}

const cases: Record<string, Case> = {
    VirtualHost: {
        mod: virtualHost,
        base: { name: "site", serverName: "example.org" },
        render: (i) => vhost.render(i as never),
        readBack: (text, i) => vhost.parse(text, i.name as string),
        skip: ["tls"],
    },
    Application: {
        mod: application,
        base: { name: "shop", source: __dirname, processGroup: "shop" },
        render: (i) => app.render(i as never) + "\n#LOADER\n" + app.renderLoader(i as never),
        readBack: (text, i) => {
            const [conf, loader] = text.split("\n#LOADER\n");
            return app.parse(conf, loader, i.name as string);
        },
        skip: ["source", "environment", "virtualHost", "sourceSha256"],
    },
    ApacheHost: {
        mod: apacheHost,
        base: {},
        render: (i) => host.renderWsgi(i as never) + host.renderListen(i as never),
        readBack: (text) => host.parse(text, text),
        skip: ["mpm"],
    },
    WsgiModule: {
        mod: wsgiModule.wsgiModule,
        base: {},
        render: () => "",
        readBack: () => ({}),
    },
};

describe.each(Object.entries(cases))("%s: hostile input", (_name, c) => {
    const props = Object.keys(c.mod.inputs.shape).filter((p) => !(c.skip ?? []).includes(p));
    it.each(props)("%s is refused naming it, or rendered inert and read back unchanged", (prop) => {
        for (const value of HOSTILE) {
            const { inputs, failures } = checkInputs(c.mod, { ...c.base, [prop]: value });
            if (failures.length > 0) {
                expect(failures.map((f) => f.property.split(/[.[]/)[0])).toContain(prop);
                continue;
            }
            // Accepted text holds no control character, so it cannot end a directive and start another;
            // and it reads back from the rendered file unchanged, so it stayed inside its own word.
            expect(JSON.stringify(inputs[prop]) ?? "").not.toMatch(/\\u00[01][0-9a-f]|\\[nrt]/);
            const text = c.render(inputs);
            if (text) expect(c.readBack(text, inputs)[prop]).toEqual(inputs[prop]);
        }
    });
});

it("Application.interpreterOptions: every hostile value in every option is refused naming it, or read back unchanged", () => {
    const mod = application;
    for (const prop of [
        "perInterpreterGil",
        "switchInterval",
        "pythonPath",
        "restrictStdin",
        "restrictStdout",
        "restrictSignal",
    ]) {
        for (const value of HOSTILE) {
            for (const v of [value, [value]]) {
                const { inputs, failures } = checkInputs(mod, {
                    name: "shop",
                    source: __dirname,
                    processGroup: "shop",
                    applicationGroup: "shop",
                    interpreterOptions: { [prop]: v },
                });
                if (failures.length > 0) {
                    expect(failures[0].property).toMatch(new RegExp(`^interpreterOptions\\.${prop}`));
                    continue;
                }
                const back = app.parseInterpreter(app.renderInterpreter(inputs as never)) as Record<string, unknown>;
                expect(back[prop]).toEqual((inputs.interpreterOptions as Record<string, unknown>)[prop]);
            }
        }
    }
});

it("a certificate is accepted only as PEM (the TLS case above is skipped: it never reaches a config line)", () => {
    const mod = virtualHost;
    for (const value of HOSTILE) {
        const { failures } = checkInputs(mod, {
            name: "s",
            serverName: "a.org",
            tls: { certificate: value, privateKey: CERT },
        });
        expect(failures.length).toBeGreaterThan(0);
    }
});

it("WsgiModule refuses releases before 6.x, saying why", () => {
    const { failures } = checkInputs(wsgiModule.wsgiModule, { version: "5.0.2" });
    expect(failures[0]).toEqual({
        property: "version",
        reason: expect.stringMatching(/mod_wsgi 6\.x release .*4\.x and 5\.x/),
    });
});
