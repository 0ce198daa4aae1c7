// Real-parts harness for end-to-end tests: the sandbox host over OpenSSH, HTTP to it, and the
// pinned Pulumi CLI run against a throw-away file backend in a project dir inside the repo.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "../..");

export interface SandboxHost {
    name: string;
    address: string;
    privateKeyFile: string;
    hostKey: string;
    /** The host this one is reachable through ("" when it sits on the bridge). */
    via: string;
    deploy: { user: string; privateKeyFile: string; passphraseFile: string; sudoPasswordFile: string };
}

/** Logins sshd on the host has accepted so far (its own log, read on this machine: no SSH of ours involved). */
export function acceptedLogins(h: SandboxHost): number {
    const log = fs.readFileSync(`/run/modwsgi-sandbox/${h.name}/sshd.log`, "utf8");
    return (log.match(/^Accepted (publickey|password) for /gm) ?? []).length;
}

/** SHA256 fingerprint of the host's pinned key, as ssh-keygen prints it. */
export function hostFingerprint(h: SandboxHost): string {
    return execFileSync("ssh-keygen", ["-lf", `/run/modwsgi-sandbox/${h.name}/host_key.pub`])
        .toString()
        .split(" ")[1];
}

export function sandboxHost(name = "h1"): SandboxHost {
    const hosts = JSON.parse(
        execFileSync(path.join(REPO, "test/sandbox/sandbox.sh"), ["status", "--json"]).toString(),
    ) as SandboxHost[];
    const h = hosts.find((x) => x.name === name);
    if (!h) throw new Error(`sandbox host ${name} is not up: run test/sandbox/sandbox.sh up (npm test does)`);
    return h;
}

/** Runs a command on the host with the system's OpenSSH client, host key verified (sandbox.sh ssh). */
export function ssh(h: SandboxHost, command: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(path.join(REPO, "test/sandbox/sandbox.sh"), ["ssh", h.name, command], {
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** GET with a bounded number of retries while the daemon group (re)starts. */
export async function get(
    url: string,
    want = 200,
    tries = 30,
    headers?: Record<string, string>,
): Promise<{ status: number; body: string }> {
    let last = { status: 0, body: "" };
    for (let i = 0; i < tries; i++) {
        try {
            // Retried on a socket error too: a keep-alive connection Apache closed while spawnSync blocked the event
            // loop (so undici never noticed it idle) fails the next request on it ("other side closed").
            const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
            last = { status: res.status, body: await res.text() };
            if (res.status === want) return last;
        } catch (e) {
            last = { status: 0, body: String(e) };
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    return last;
}

/** HTTPS GET to `address` for `serverName` (SNI and Host), trusting only `ca`, retried while a group starts. */
export async function httpsGet(
    address: string,
    urlPath: string,
    ca: string,
    serverName: string,
    tries = 20,
): Promise<{ status: number; body: string }> {
    const once = () =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = https.request(
                {
                    host: address,
                    port: 443,
                    path: urlPath,
                    ca,
                    servername: serverName,
                    headers: { Host: serverName },
                    timeout: 10_000,
                },
                (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
                },
            );
            req.on("error", reject);
            req.end();
        });
    let last = { status: 0, body: "" };
    for (let i = 0; i < tries; i++) {
        last = await once().catch((e) => ({ status: 0, body: String(e) }));
        if (last.status === 200) return last;
        await new Promise((r) => setTimeout(r, 500));
    }
    return last;
}

/** A self-signed certificate for `serverName` in a new temp dir: cert.pem, key.pem. */
export function selfSigned(serverName: string): { dir: string; ca: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-"));
    execFileSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            `/CN=${serverName}`,
            "-addext",
            `subjectAltName=DNS:${serverName}`,
            "-keyout",
            path.join(dir, "key.pem"),
            "-out",
            path.join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
    );
    return { dir, ca: fs.readFileSync(path.join(dir, "cert.pem"), "utf8") };
}

const created: Stack[] = [];

/** Destroys every stack this test file made (afterAll): hosts are shared, so no test leaves resources behind. */
export function destroyStacks() {
    for (const s of created.splice(0)) {
        try {
            s.run(["destroy", "--yes", "--skip-preview"]);
        } catch (e) {
            console.error(String(e));
        }
    }
}

/**
 * The test programs (test/e2e/programs) load through esbuild (test/e2e/ts-register.cjs), not ts-node: ~0.7 s less
 * CPU per run. The examples, the quickstart and generated programs run the way a user's program does.
 */
const PROGRAMS = path.join(REPO, "test/e2e/programs") + path.sep;

export class Stack {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;

    constructor(
        readonly name: string,
        program: string,
        opts: { refresh?: boolean } = {},
    ) {
        // Inside the repo so the program and the language host resolve the repo's node_modules.
        this.dir = path.join(REPO, "test/e2e/.work", name);
        fs.rmSync(this.dir, { recursive: true, force: true });
        fs.mkdirSync(path.join(this.dir, "state"), { recursive: true });
        fs.writeFileSync(
            path.join(this.dir, "Pulumi.yaml"),
            [
                `name: ${name}`,
                ...(path.resolve(program).startsWith(PROGRAMS)
                    ? [
                          "runtime:",
                          "  name: nodejs",
                          "  options:",
                          "    typescript: false",
                          `    nodeargs: --require=${path.join(REPO, "test/e2e/ts-register.cjs")}`,
                      ]
                    : ["runtime: nodejs"]),
                `main: ${path.relative(this.dir, program)}/`,
                ...(opts.refresh === false ? [] : ["options:", "  refresh: always"]),
                "plugins:",
                "  providers:",
                "    - name: modwsgi",
                `      path: ${path.join(REPO, "bin")}`,
                "",
            ].join("\n"),
        );
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
            // ts-node would type-check the examples on every preview and up (seconds of CPU each): they type-check
            // once, in the unit tests (test/unit/provider.test.ts).
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        };
        this.run(["stack", "init", "test"]);
        created.push(this);
    }

    /** Runs the CLI; throws with its output unless the exit code is what the step expects. */
    run(args: string[], expect: "ok" | "fail" = "ok"): string {
        // Flags must stay in front of a `--` that ends them.
        const at = args.includes("--") ? args.indexOf("--") : args.length;
        const r = spawnSync("pulumi", [...args.slice(0, at), "--non-interactive", ...args.slice(at)], {
            cwd: this.dir,
            env: this.env,
            encoding: "utf8",
            timeout: 20 * 60_000,
        });
        const out = `${r.stdout}\n${r.stderr}`;
        if ((r.status === 0) !== (expect === "ok")) {
            throw new Error(`pulumi ${args.join(" ")} exited ${r.status} (expected ${expect})\n${out}`);
        }
        return out;
    }

    /** Runs the CLI without blocking this process (so a test can watch the machine meanwhile). */
    runAsync(args: string[]): Promise<{ code: number; out: string }> {
        return new Promise((resolve) => {
            const child = spawn("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: this.env });
            let out = "";
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (out += d));
            child.on("close", (code) => resolve({ code: code ?? -1, out }));
        });
    }

    configSecret(key: string, value: string) {
        // The value goes in on stdin: never on a command line.
        const r = spawnSync("pulumi", ["config", "set", "--secret", "--non-interactive", key], {
            cwd: this.dir,
            env: this.env,
            input: value,
            encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`pulumi config set --secret ${key} failed:\n${r.stderr}`);
    }

    config(key: string, value: string) {
        this.run(["config", "set", "--", key, value]);
    }

    /** The TLS site settings the TLS programs read: a server name and the certificate files in `dir`. */
    configSite(serverName: string, dir: string) {
        this.config("serverName", serverName);
        this.config("certificateFile", path.join(dir, "cert.pem"));
        this.config("keyFile", path.join(dir, "key.pem"));
    }

    /** Points the test programs' provider (programs/common.ts) at a sandbox host, key pinned. */
    configHost(h: SandboxHost) {
        this.config("host", h.address);
        this.config("hostKey", h.hostKey);
        this.config("privateKeyFile", h.privateKeyFile);
    }

    up() {
        return this.run(["up", "--yes", "--skip-preview"]);
    }

    output(name: string): string {
        return this.run(["stack", "output", name]).trim();
    }
}

export interface WrkResult {
    requests: number;
    /** Responses outside 2xx/3xx. */
    non2xx: number;
    /** wrk's socket errors: connect + read + write + timeout. */
    socketErrors: number;
    /** The same, by kind, for messages ("connect 0, read 3, write 0, timeout 0"). */
    socketDetail: string;
    text: string;
}

/** Parses wrk's summary (it prints the error lines only when they are not zero). */
export function parseWrk(text: string): WrkResult {
    const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const s = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
    const socketErrors = s ? s.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    const socketDetail = s ? s[0].replace("Socket errors: ", "") : "none";
    return { requests, non2xx, socketErrors, socketDetail, text };
}

/** wrk's per-request timeout: a request slower than this is an error. wrk's own 2 s counted a daemon restarting
 * on a loaded 2-core machine as lost requests; 15 s still catches a request left hanging. */
export const WRK_TIMEOUT_S = 15;

/**
 * wrk's pause between two requests of one connection (test/e2e/wrk-paced.lua): 16 connections make a steady
 * ~300 requests/s, every moment of a change still covered by requests in flight. Unpaced, wrk served ~2000
 * requests/s for the whole of a 10-minute test, a core of this 2-core machine the other groups waited for.
 */
export const WRK_PACE_MS = 50;

/**
 * Starts wrk (Debian's package) against `url` with keep-alive connections, paced (WRK_PACE_MS), until stop(),
 * which interrupts it (wrk prints its summary on SIGINT) one request timeout later and returns the parsed
 * summary. Bounded by `maxSeconds` either way.
 */
export function startWrk(url: string, connections = 16, maxSeconds = 900): { stop: () => Promise<WrkResult> } {
    const script = path.join(REPO, "test/e2e/wrk-paced.lua");
    const args = ["-t2", `-c${connections}`, `-d${maxSeconds}s`, "--timeout", `${WRK_TIMEOUT_S}s`, "-s", script, url];
    const child = spawn("wrk", args, { env: { ...process.env, WRK_PACE_MS: String(WRK_PACE_MS) } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const done = new Promise<WrkResult>((resolve) => child.on("close", () => resolve(parseWrk(out))));
    return {
        // wrk counts a timeout only while it runs: it goes on for one timeout more, so a request the last change
        // left hanging is counted too.
        stop: async () => {
            await new Promise((r) => setTimeout(r, (WRK_TIMEOUT_S + 1) * 1000));
            child.kill("SIGINT");
            return done;
        },
    };
}
