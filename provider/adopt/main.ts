// modwsgi-adopt: reads a host's hand-written mod_wsgi setup over SSH (the provider's own connection code: pooled
// ssh2 client, host key verified) and writes a Pulumi program that takes it over, with its README of steps.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { connectionSchema } from "../remote/connection";
import { closeAll, host as pooled } from "../remote/ssh";
import { readEnabledConfig } from "./scan";
import { parseSite } from "./parse";
import { plan as planOf } from "./plan";
import { readme, render } from "./program";
import { fetchAll, moduleVersion, pipFreeze } from "./fetch";

const REPO = path.resolve(__dirname, "../../..");
const USAGE = `usage: modwsgi-adopt --host HOST --key FILE --out DIR [--port 22] [--user root] [--known-hosts FILE]
                     [--sdk IMPORT]
Reads the enabled Apache config of HOST over SSH, finds the hand-written mod_wsgi site(s), copies their code
(and TLS files) under DIR and writes DIR/index.ts (a Pulumi program using this provider) and DIR/README.md
(what it could not map, with file:line, and the steps to take the site(s) over with no change to what is served).
The host key is verified against --known-hosts (default ~/.ssh/known_hosts). --sdk: how the program imports
the modwsgi SDK (default this repository's sdk/nodejs; "pulumi-modwsgi" for the packaged one).`;

function options() {
    const { values } = parseArgs({
        options: {
            host: { type: "string" },
            port: { type: "string", default: "22" },
            user: { type: "string", default: "root" },
            key: { type: "string" },
            "known-hosts": { type: "string" },
            out: { type: "string" },
            sdk: { type: "string", default: path.join(REPO, "sdk/nodejs") },
            help: { type: "boolean", default: false },
        },
    });
    if (values.help || !values.host || !values.key || !values.out) {
        console.error(USAGE);
        process.exit(values.help ? 0 : 2);
    }
    return values as typeof values & { host: string; key: string; out: string };
}

/** The output directory must be new or empty: the copies are written into it, never over someone's files. */
function outDir(dir: string): string {
    const out = path.resolve(dir);
    if (fs.existsSync(out) && fs.readdirSync(out).length > 0)
        throw new Error(`--out ${out} is not empty: give a new or empty directory`);
    fs.mkdirSync(out, { recursive: true, mode: 0o755 });
    return out;
}

async function main(): Promise<void> {
    const o = options();
    const conn = connectionSchema.parse({
        host: o.host,
        port: Number(o.port),
        user: o.user,
        privateKey: fs.readFileSync(o.key, "utf8"),
        knownHostsFile: o["known-hosts"],
    });
    const out = outDir(o.out);
    const host = pooled(conn);
    try {
        const files = await readEnabledConfig(host);
        if (!files.length) throw new Error(`no enabled Apache config on ${o.host} names mod_wsgi: nothing to adopt`);
        const model = parseSite(files);
        const plan = planOf(model);
        const freeze: Record<string, string[] | undefined> = {};
        for (const e of plan.envs) freeze[e.home] = await pipFreeze(host, e.home);
        const facts = {
            host: conn.host,
            port: conn.port,
            user: conn.user,
            sdk: o.sdk,
            moduleVersion: plan.moduleSo ? await moduleVersion(host, plan.moduleSo) : undefined,
            freeze,
            downloaded: await fetchAll(host, plan, out),
        };
        const adoption = render(plan, facts);
        const text = readme(adoption, facts);
        fs.writeFileSync(path.join(out, "index.ts"), adoption.program);
        fs.writeFileSync(path.join(out, "README.md"), text);
        fs.writeFileSync(
            path.join(out, "package.json"),
            JSON.stringify({ name: "adopted-site", private: true, dependencies: { "@pulumi/pulumi": "^3" } }, null, 2) +
                "\n",
        );
        fs.writeFileSync(
            path.join(out, "Pulumi.yaml"),
            ["name: adopted-site", "runtime: nodejs", "options:", "  refresh: always", "plugins:", "  providers:"]
                .concat(["    - name: modwsgi", `      path: ${path.join(REPO, "bin")}`, ""])
                .join("\n"),
        );
        process.stdout.write(text);
        console.error(`wrote ${out}/index.ts, README.md, package.json, Pulumi.yaml`);
    } finally {
        closeAll();
    }
}

main().catch((e: Error) => {
    console.error(`modwsgi-adopt: ${e.message}`);
    process.exit(1);
});
