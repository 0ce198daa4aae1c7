// The only module that imports ssh2: one pooled connection per host (through any jump chain), exec with
// stdin, file writes, sudo for non-root users. Secrets travel only inside the SSH session (stdin, auth).
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import * as net from "node:net";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import { type Connection, type Hop, checkHostKey, hopName, hops, poolKey } from "./connection";
import { sh } from "./sh";
import {
    ConnectionLost,
    channelResult,
    checked,
    stepOf,
    type ExecOptions,
    type ExecResult,
    type RemoteHost,
} from "./host";

/** Counters for tests and debug logs: one handshake per hop per provider process is the contract. */
export const stats = { handshakes: 0, execs: 0, reconnects: 0 };

const MAX_CHANNELS = 6; // below OpenSSH's default MaxSessions of 10, with room for closes in flight
const CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_EXEC_TIMEOUT_MS = 15 * 60_000;

export class HostKeyError extends Error {}

/** How commands gain root: directly, sudo without a password, or sudo with the password on stdin. */
type Privilege = "root" | "sudo-nopasswd" | "sudo-password";

/** Dials the first hop over TCP with Nagle off: small request/response round trips otherwise wait on delayed ACKs. */
function tcp(h: Hop): Promise<Duplex> {
    return new Promise((resolve, reject) => {
        const sock = net.connect({ host: h.host, port: h.port });
        sock.setNoDelay(true);
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error(`SSH connect to ${h.host}:${h.port} timed out after ${CONNECT_TIMEOUT_MS / 1000} s`));
        }, CONNECT_TIMEOUT_MS);
        sock.once("connect", () => {
            clearTimeout(timer);
            resolve(sock);
        });
        sock.once("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`SSH connect to ${h.host}:${h.port} failed: ${e.message}`));
        });
    });
}

function handshake(h: Hop, sock: Duplex): Promise<Client> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        let keyError: Error | undefined;
        const config: ConnectConfig = {
            sock,
            username: h.user,
            privateKey: h.privateKey,
            passphrase: h.privateKeyPassphrase,
            password: h.password,
            agent: h.agent ? process.env.SSH_AUTH_SOCK : undefined,
            readyTimeout: CONNECT_TIMEOUT_MS,
            keepaliveInterval: 15_000,
            keepaliveCountMax: 4,
            hostVerifier: (key: Buffer) => {
                const refused = checkHostKey(h, key);
                if (refused === undefined) return true;
                keyError = new HostKeyError(refused);
                return false;
            },
        };
        if (h.agent && !config.agent)
            return reject(new Error(`agent: true for ${hopName(h)}, but SSH_AUTH_SOCK is not set`));
        client.once("ready", () => {
            stats.handshakes++;
            resolve(client);
        });
        client.once("error", (err) =>
            reject(keyError ?? new Error(`SSH login to ${hopName(h)} failed: ${err.message}`)),
        );
        try {
            client.connect(config);
        } catch (e) {
            // ssh2 throws synchronously on a key it cannot parse (or decrypt): say which hop, never the key.
            reject(new Error(`SSH login to ${hopName(h)} failed: ${(e as Error).message}`));
        }
    });
}

function forward(via: Client, to: Hop): Promise<Duplex> {
    return new Promise((resolve, reject) =>
        via.forwardOut("127.0.0.1", 0, to.host, to.port, (err, stream) =>
            err ? reject(new Error(`jump to ${to.host}:${to.port} failed: ${err.message}`)) : resolve(stream),
        ),
    );
}

/** A failed write's message; on a full disk it names the filesystem (the last stderr line is `MOUNT FREE_KIB`). */
export function writeFailure(stderr: string, path: string): string {
    const lines = stderr.trim().split("\n");
    const df = /^(\/\S*) (\d+)$/.exec(lines[lines.length - 1] ?? "");
    const message = (df ? lines.slice(0, -1) : lines).join("\n").trim();
    if (!df || !/No space left on device/.test(message)) return message;
    return `${message} (the filesystem of ${dirname(path)}, mounted on ${df[1]}, has ${df[2]} KiB free)`;
}

class Host implements RemoteHost {
    private chain?: Promise<Client[]>;
    private privilege?: Promise<Privilege>;
    private dialled = false;
    private active = 0;
    private waiting: (() => void)[] = [];

    constructor(readonly conn: Connection) {}

    get name(): string {
        return this.conn.host;
    }

    /** Connects hop by hop; each later hop is reached through a channel of the one before. */
    private async dial(): Promise<Client[]> {
        const all = hops(this.conn);
        const clients: Client[] = [];
        try {
            let sock = await tcp(all[0]);
            for (const [i, h] of all.entries()) {
                const c = await handshake(h, sock);
                clients.push(c);
                c.on("error", () => undefined); // late errors surface as 'close' and failed channels
                c.on("close", () => this.drop(clients));
                if (i + 1 < all.length) sock = await forward(c, all[i + 1]);
            }
            return clients;
        } catch (e) {
            for (const c of clients) c.end();
            throw e;
        }
    }

    /** Forgets a dead (or dying) chain so the next command dials again. */
    private drop(clients: Client[]) {
        void this.chain?.then(
            (cur) => {
                if (cur === clients) this.chain = undefined;
            },
            () => undefined,
        );
        for (const c of clients) c.end();
    }

    /** Closes the current chain, last hop first; the next command dials again. */
    private reset() {
        const old = this.chain;
        this.chain = undefined;
        void old?.then(
            (cs) => [...cs].reverse().forEach((c) => c.end()),
            () => undefined,
        );
    }

    private client(): Promise<Client> {
        if (!this.chain) {
            if (this.dialled) stats.reconnects++;
            this.dialled = true;
            const p = this.dial();
            this.chain = p;
            p.catch(() => {
                if (this.chain === p) this.chain = undefined;
            });
        }
        return this.chain.then((cs) => cs[cs.length - 1]);
    }

    private async slot<T>(fn: () => Promise<T>): Promise<T> {
        while (this.active >= MAX_CHANNELS) await new Promise<void>((r) => this.waiting.push(r));
        this.active++;
        try {
            return await fn();
        } finally {
            this.active--;
            this.waiting.shift()?.();
        }
    }

    /**
     * One command on the target as the login user. A channel that did not open ran nothing, so it is
     * retried: on a new connection when the old one died, else after a pause (sshd counts a closed
     * session until its close completes, so a busy connection can briefly hit MaxSessions).
     */
    private async run(command: string, stdin: string | Buffer, timeoutMs: number): Promise<ExecResult> {
        for (let attempt = 1; ; attempt++) {
            const r = await this.slot(() => this.once(command, stdin, timeoutMs));
            if (!(r instanceof Error)) return r;
            if (attempt >= 6) throw new Error(`SSH exec on ${this.name} failed: ${r.message}`);
            if (/not connected/i.test(r.message)) this.reset();
            else await new Promise((res) => setTimeout(res, 100 * attempt));
        }
    }

    /** Runs one channel; an Error (not a rejection) means the channel never opened, so nothing ran. */
    private async once(command: string, stdin: string | Buffer, timeoutMs: number): Promise<ExecResult | Error> {
        const client = await this.client();
        stats.execs++;
        const channel = await new Promise<ClientChannel | Error>((resolve) => {
            try {
                client.exec(command, (err, stream) => resolve(err ?? stream));
            } catch (e) {
                resolve(e as Error); // ssh2 throws "Not connected" for a client whose socket closed
            }
        });
        if (channel instanceof Error) return channel;
        return new Promise<ExecResult>((resolve, reject) => {
            const out: Buffer[] = [];
            const errs: Buffer[] = [];
            const timer = setTimeout(() => {
                channel.close();
                reject(new Error(`command on ${this.name} timed out after ${Math.round(timeoutMs / 1000)} s`));
            }, timeoutMs);
            channel.on("data", (d: Buffer) => out.push(d));
            channel.stderr.on("data", (d: Buffer) => errs.push(d));
            channel.on("error", (e: Error) => {
                clearTimeout(timer);
                reject(e);
            });
            channel.on("close", (code: number | null, signal?: string) => {
                clearTimeout(timer);
                const r = channelResult(
                    this.name,
                    code,
                    signal,
                    Buffer.concat(out).toString("utf8"),
                    Buffer.concat(errs).toString("utf8"),
                );
                if (r instanceof ConnectionLost) reject(r);
                else resolve(r);
            });
            channel.end(stdin);
        });
    }

    /** Decided once per connection: root logs in as root; others use sudo, with the password only if it asks. */
    private async detectPrivilege(): Promise<Privilege> {
        if (this.conn.user === "root") return "root";
        // -k ignores cached credentials, so this succeeds only where sudo never asks (NOPASSWD).
        if ((await this.run("sudo -k -n true", "", 60_000)).code === 0) return "sudo-nopasswd";
        if (!this.conn.sudoPassword) {
            throw new Error(
                `sudo on ${this.name} asks ${this.conn.user} for a password: set the provider's sudoPassword (secret)`,
            );
        }
        // Check the password once, alone: a wrong one must not make sudo read script lines as retries.
        const r = await this.run("sudo -k -S -p '' true", `${this.conn.sudoPassword}\n`, 60_000);
        if (r.code !== 0) {
            throw new Error(
                `sudo on ${this.name} refused ${this.conn.user}'s sudoPassword (or the user may not use sudo)`,
            );
        }
        return "sudo-password";
    }

    /** Runs `command` as root; a non-zero exit throws unless `opts.nothrow`. */
    async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
        // After Cancel, work still queued in this process is dropped; what already runs on a host finishes (or
        // rolls back) there by itself.
        if (cancelled)
            throw new Error(`${opts.step ?? stepOf(command)} on ${this.name}: not started, the update was cancelled`);
        let r: ExecResult;
        try {
            r = await this.execAsRoot(command, opts);
        } catch (e) {
            // Name the step: "lost while the command ran" alone does not say which one.
            if (e instanceof ConnectionLost) throw new ConnectionLost(`${opts.step ?? stepOf(command)}: ${e.message}`);
            throw e;
        }
        return checked(this.name, command, r, opts);
    }

    private execAsRoot(command: string, opts: ExecOptions): Promise<ExecResult> {
        const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
        const stdin = opts.stdin ?? "";
        this.privilege ??= this.detectPrivilege();
        const p = this.privilege;
        p.catch(() => {
            if (this.privilege === p) this.privilege = undefined;
        });
        return p.then((privilege) => {
            const inner = sh`sh -c ${command}`;
            switch (privilege) {
                case "root":
                    return this.run(inner, stdin, timeoutMs);
                case "sudo-nopasswd":
                    return this.run(`sudo -n -- ${inner}`, stdin, timeoutMs);
                case "sudo-password":
                    // -k: always ask, so the first stdin line is always the password and never reaches the command.
                    return this.run(
                        `sudo -k -S -p '' -- ${inner}`,
                        Buffer.concat([Buffer.from(`${this.conn.sudoPassword}\n`), Buffer.from(stdin)]),
                        timeoutMs,
                    );
            }
        });
    }

    /** Writes a file as root, atomically (temp + rename), content on stdin: never on a command line. */
    async writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
        const tmp = `${path}.modwsgi-tmp`;
        // A failed write leaves no partial file behind; a full disk is named with what it has left.
        const r = await this.exec(
            sh`umask 077 && { cat >${tmp} && chmod ${mode.toString(8)} ${tmp} && mv -f ${tmp} ${path}; } ` +
                sh`|| { rc=$?; rm -f ${tmp}; df -Pk ${dirname(path)} | awk 'NR == 2 { print $6, $4 }' >&2; exit $rc; }`,
            { stdin: data, nothrow: true },
        );
        if (r.code !== 0) throw new Error(`writing ${path} on ${this.name} failed: ${writeFailure(r.stderr, path)}`);
    }

    close() {
        this.reset();
    }
}

const pool = new Map<string, Host>();

/** The pooled handle for a connection; connects lazily on first use. */
export function host(conn: Connection): Host {
    const key = poolKey(conn);
    let h = pool.get(key);
    if (!h) {
        h = new Host(conn);
        pool.set(key, h);
    }
    return h;
}

export type { RemoteHost };

export function closeAll() {
    for (const h of pool.values()) h.close();
    pool.clear();
}

let cancelled = false;

/** The engine's Cancel: every connection closed, and no command started by this process from now on. */
export function cancelAll() {
    cancelled = true;
    closeAll();
}
