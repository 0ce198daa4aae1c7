// The only module that imports ssh2: one pooled connection per host, exec with stdin, SFTP writes.
import { Client, type SFTPWrapper } from "ssh2";
import * as net from "node:net";
import { type Connection, poolKey, fingerprint, pinnedFingerprint } from "./connection";

export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface ExecOptions {
    stdin?: string | Buffer;
    timeoutMs?: number;
}

/** Counters the tests read: one handshake per host per provider process is the contract. */
export const stats = { handshakes: 0, execs: 0 };

const MAX_CHANNELS = 8; // below OpenSSH's default MaxSessions of 10
const CONNECT_TIMEOUT_MS = 20_000;
const DEFAULT_EXEC_TIMEOUT_MS = 15 * 60_000;

export class HostKeyMismatchError extends Error {}

class Host {
    private client?: Promise<Client>;
    private sftpSession?: Promise<SFTPWrapper>;
    private active = 0;
    private waiting: (() => void)[] = [];

    constructor(readonly conn: Connection) {}

    private connect(): Promise<Client> {
        const conn = this.conn;
        return new Promise((resolve, reject) => {
            const client = new Client();
            // ssh2 leaves Nagle on; small request/response round trips then wait on delayed ACKs.
            const sock = net.connect({ host: conn.host, port: conn.port });
            sock.setNoDelay(true);
            let hostKeyError: Error | undefined;
            const timer = setTimeout(() => {
                client.end();
                reject(new Error(`SSH connect to ${conn.host}:${conn.port} timed out after ${CONNECT_TIMEOUT_MS / 1000} s`));
            }, CONNECT_TIMEOUT_MS);
            client.on("ready", () => {
                clearTimeout(timer);
                stats.handshakes++;
                resolve(client);
            });
            client.on("error", (err) => {
                clearTimeout(timer);
                this.client = undefined;
                this.sftpSession = undefined;
                reject(hostKeyError ?? new Error(`SSH connection to ${conn.user}@${conn.host}:${conn.port} failed: ${err.message}`));
            });
            client.on("close", () => {
                this.client = undefined;
                this.sftpSession = undefined;
            });
            client.connect({
                sock,
                username: conn.user,
                privateKey: conn.privateKey,
                readyTimeout: CONNECT_TIMEOUT_MS,
                keepaliveInterval: 15_000,
                hostVerifier: (key: Buffer) => {
                    if (conn.insecureSkipHostKeyCheck && !conn.hostKey) return true;
                    const expected = pinnedFingerprint(conn.hostKey!);
                    const actual = fingerprint(key);
                    if (expected === actual) return true;
                    hostKeyError = new HostKeyMismatchError(
                        `host key mismatch for ${conn.host}:${conn.port}: expected ${expected}, server offered ${actual}`);
                    return false;
                },
            });
        });
    }

    private getClient(): Promise<Client> {
        if (!this.client) {
            this.client = this.connect();
            this.client.catch(() => (this.client = undefined));
        }
        return this.client;
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

    exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
        return this.slot(async () => {
            const client = await this.getClient();
            stats.execs++;
            return new Promise<ExecResult>((resolve, reject) => {
                // Wrap in `sh -c` so the login shell (bash, zsh, fish...) never parses our text.
                const wrapped = `sh -c '${command.replace(/'/g, `'\\''`)}'`;
                client.exec(wrapped, (err, stream) => {
                    if (err) return reject(new Error(`SSH exec on ${this.conn.host} failed: ${err.message}`));
                    const out: Buffer[] = [];
                    const errs: Buffer[] = [];
                    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
                    const timer = setTimeout(() => {
                        stream.close();
                        reject(new Error(`command on ${this.conn.host} timed out after ${Math.round(timeoutMs / 1000)} s`));
                    }, timeoutMs);
                    stream.on("data", (d: Buffer) => out.push(d));
                    stream.stderr.on("data", (d: Buffer) => errs.push(d));
                    stream.on("error", (e: Error) => {
                        clearTimeout(timer);
                        reject(e);
                    });
                    stream.on("close", (code: number | null, signal?: string) => {
                        clearTimeout(timer);
                        resolve({
                            code: code ?? (signal ? 128 : 255),
                            stdout: Buffer.concat(out).toString("utf8"),
                            stderr: Buffer.concat(errs).toString("utf8"),
                        });
                    });
                    stream.end(opts.stdin ?? "");
                });
            });
        });
    }

    private sftp(): Promise<SFTPWrapper> {
        if (!this.sftpSession) {
            this.sftpSession = this.getClient().then(
                (c) => new Promise<SFTPWrapper>((res, rej) => c.sftp((e, s) => (e ? rej(e) : res(s)))));
            this.sftpSession.catch(() => (this.sftpSession = undefined));
        }
        return this.sftpSession;
    }

    /** Writes a file over SFTP (content never touches a command line). */
    writeFile(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
        return this.slot(async () => {
            const s = await this.sftp();
            await new Promise<void>((res, rej) => s.writeFile(path, data, { mode }, (e) => (e ? rej(e) : res())));
        });
    }

    close() {
        void this.client?.then((c) => c.end()).catch(() => undefined);
        this.client = undefined;
        this.sftpSession = undefined;
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

export type RemoteHost = Host;

export function closeAll() {
    for (const h of pool.values()) h.close();
    pool.clear();
}
