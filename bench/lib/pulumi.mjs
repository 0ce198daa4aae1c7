// A Pulumi stack of one of bench/programs, on a local file backend in bench/.work (inside the repo, so the
// program resolves the repo's node_modules), run with the pinned CLI that scripts/env.sh put on PATH. The
// provider is the packaged plugin and the programs import the packaged SDK (bench/run.sh unpacks both).
import process from "node:process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO } from "./hosts.mjs";
import { run } from "./proc.mjs";

export class Stack {
    constructor(name, program) {
        this.dir = path.join(REPO, "bench/.work/stacks", name);
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(this.dir, "state"), { recursive: true });
        fs.writeFileSync(
            path.join(this.dir, "Pulumi.yaml"),
            [
                `name: bench-${name}`,
                "runtime: nodejs",
                `main: ${path.relative(this.dir, path.join(REPO, "bench/programs", program))}/`,
                "options:",
                "  refresh: always",
                "plugins:",
                "  providers:",
                "    - name: modwsgi",
                `      path: ${path.join(REPO, "bench/.work/plugin")}`,
                "",
            ].join("\n"),
        );
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "bench-passphrase",
            // Node keeps the compiled code of the program, Pulumi's SDK and ts-node's TypeScript between runs, as
            // the README advises users (the counterpart of the playbook's pipelining and ControlPersist). The
            // run's own directory: a fresh clone starts cold, and its first `up` fills it.
            NODE_COMPILE_CACHE: path.join(REPO, "bench/.work/node-compile-cache"),
        };
        this.run(["stack", "init", "bench"]);
    }

    run(args, opts = {}) {
        return run(["pulumi", ...args, "--non-interactive"], { cwd: this.dir, env: this.env, ...opts });
    }

    /** Sets the fleet's hosts, app count, sources and key file (config set-all: one CLI call). */
    configure({ hosts, apps, source, app1Source, privateKeyFile }) {
        const pairs = {
            hosts: JSON.stringify(hosts.map((h) => ({ name: h.name, address: h.address, hostKey: h.hostKey }))),
            apps: String(apps ?? 0),
            source: source ?? "-",
            app1Source: app1Source ?? "-",
            privateKeyFile: privateKeyFile ?? hosts[0]?.privateKeyFile ?? "-",
        };
        this.run(["config", "set-all", ...Object.entries(pairs).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`])]);
    }

    /** `pulumi up`, which here refreshes first (the project's `refresh: always`). */
    up() {
        return this.run(["up", "--yes", "--skip-preview"], { timeoutS: 1800 });
    }

    /** `pulumi up` as Pulumi runs it by default: from the state, no refresh of the hosts first. */
    upWithoutRefresh() {
        return this.run(["up", "--yes", "--skip-preview", "--refresh=false"], { timeoutS: 1800 });
    }

    /** The no-op check: a refresh of every resource, then a plan that must show no change. */
    previewRefresh() {
        const r = this.run(["preview", "--refresh", "--expect-no-changes", "--diff"], { timeoutS: 600 });
        return r;
    }

    destroy() {
        return this.run(["destroy", "--yes", "--skip-preview"], { timeoutS: 1200, allowFail: true });
    }
}
