// A RemoteHost for unit tests: every command runs in a local /bin/sh, with the host paths the provider uses
// (layout.ts's roots, Apache's run and log dirs, the lock dir) rewritten into a temp directory, and stub
// `apache2ctl`/`apache2` first on PATH. Resources run their real commands and native scripts against it;
// nothing outside the temp root is touched. Commands and writes are recorded for assertions.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checked, type ExecOptions, type ExecResult, type RemoteHost } from "../provider/remote/host";
import type { Ctx } from "../provider/resource";

/** Host directories mapped into the fake's root (longest first, so no prefix of one is rewritten alone). */
const ROOTS = [
    "/var/cache/modwsgi",
    "/var/lib/modwsgi",
    "/var/log/apache2",
    "/var/log/modwsgi",
    "/var/run/apache2",
    "/etc/apache2",
    "/etc/modwsgi",
    "/opt/modwsgi",
    "/srv/modwsgi",
    "/run/lock",
    "/run/modwsgi",
    // Off in the fake: lib.sh then drives the apache2ctl stub, never a real systemctl.
    "/run/systemd",
];

/**
 * apache2ctl: `-t` says "Syntax OK" unless $FAKE_ROOT/.configtest-fail exists (its text is Apache's complaint);
 * start/stop/graceful record themselves in $FAKE_ROOT/.apache.log and keep a pid file like Apache's.
 */
const APACHE2CTL = `#!/bin/sh
echo "apache2ctl $*" >>"$FAKE_ROOT/.apache.log"
case "$*" in
    -t) if [ -f "$FAKE_ROOT/.configtest-fail" ]; then cat "$FAKE_ROOT/.configtest-fail" >&2; exit 1; fi
        echo "Syntax OK" >&2 ;;
    "-t -D DUMP_RUN_CFG") echo "Main ErrorLog: \\"$FAKE_ROOT/var/log/apache2/error.log\\"" ;;
    -V) echo "Server MPM:     event" ;;
    start) mkdir -p "$FAKE_ROOT/var/run/apache2"; echo $$ >"$FAKE_ROOT/var/run/apache2/apache2.pid" ;;
    stop) rm -f "$FAKE_ROOT/var/run/apache2/apache2.pid" ;;
    graceful) echo "[mpm_event:notice] AH00489: resuming normal operations" >>"$FAKE_ROOT/var/log/apache2/error.log" ;;
esac
exit 0
`;

const APACHE2 = `#!/bin/sh
case "$*" in
    -v) echo "Server version: Apache/2.4.99 (Debian)" ;;
    *) echo "apache2 $*" >>"$FAKE_ROOT/.apache.log" ;;
esac
`;

/** Runs $1 with /etc, /opt, /srv, /usr, /var and /run read-only (bind mounts in the namespace only). */
const SEALED = `for d in /etc /opt /srv /usr /var /run; do
    [ -d "$d" ] && mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" || exit 125
done
exec /bin/sh -c "$1"`;

export interface Recorded {
    command: string;
    stdin?: string;
}

export class FakeHost implements RemoteHost {
    readonly name = "fake";
    readonly root: string;
    readonly stubs: string;
    readonly commands: Recorded[] = [];
    readonly writes: string[] = [];

    /** With `concurrent`, commands run asynchronously (two operations can overlap, as over SSH). */
    private readonly concurrent: boolean;
    private readonly owner: boolean;

    /**
     * `sameHostAs`: a second handle on another fake's root, the way a second provider process (its own
     * in-process queues) reaches the same machine. Only the first one's cleanup() removes the root.
     */
    constructor(opts: { concurrent?: boolean; sameHostAs?: FakeHost } = {}) {
        this.concurrent = opts.concurrent ?? false;
        this.owner = !opts.sameHostAs;
        if (opts.sameHostAs) {
            this.root = opts.sameHostAs.root;
            this.stubs = opts.sameHostAs.stubs;
            return;
        }
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-fake-"));
        this.stubs = path.join(this.root, ".stubs");
        fs.mkdirSync(this.stubs);
        for (const r of ROOTS) fs.mkdirSync(this.local(r), { recursive: true });
        for (const d of [
            "mods-available",
            "mods-enabled",
            "conf-available",
            "conf-enabled",
            "sites-available",
            "sites-enabled",
        ])
            fs.mkdirSync(this.local(`/etc/apache2/${d}`), { recursive: true });
        fs.writeFileSync(
            this.local("/etc/apache2/ports.conf"),
            "Listen 80\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n",
        );
        this.stub("apache2ctl", APACHE2CTL);
        this.stub("apache2", APACHE2);
    }

    /** Puts an executable on the fake's PATH, ahead of the machine's own commands. */
    stub(name: string, script: string): void {
        fs.writeFileSync(path.join(this.stubs, name), script, { mode: 0o755 });
    }

    /** Where a host path lives on this machine. */
    local(hostPath: string): string {
        return path.join(this.root, hostPath);
    }

    /** A host file's content, or undefined when it is missing. */
    file(hostPath: string): string | undefined {
        const p = this.local(hostPath);
        return fs.existsSync(p) && fs.statSync(p).isFile() ? this.unrewrite(fs.readFileSync(p, "utf8")) : undefined;
    }

    exists(hostPath: string): boolean {
        try {
            fs.lstatSync(this.local(hostPath));
            return true;
        } catch {
            return false;
        }
    }

    /** Writes a host file directly (a hand edit, or a precondition). */
    put(hostPath: string, content: string, mode = 0o644): void {
        fs.mkdirSync(path.dirname(this.local(hostPath)), { recursive: true });
        fs.writeFileSync(this.local(hostPath), this.rewrite(content), { mode });
    }

    /** What Apache's stub was asked to do, in order (e.g. ["-t", "graceful"]). */
    apacheCalls(): string[] {
        const log = this.file("/.apache.log") ?? "";
        return log
            .split("\n")
            .filter(Boolean)
            .map((l) => l.replace(/^apache2ctl /, ""));
    }

    /** Host paths into the fake root; PATH gets the stubs first (lib.sh sets PATH itself, so its line too). */
    private rewrite(text: string): string {
        let out = text;
        // Whole path components only: /etc/modwsgi is mapped, /etc/modwsgi-other is not.
        for (const r of ROOTS) out = out.replace(new RegExp(`${r}(?![A-Za-z0-9_.-])`, "g"), this.local(r));
        return out.replace(/PATH=\/usr\/local\/sbin:/g, `PATH=${this.stubs}:/usr/local/sbin:`);
    }

    private unrewrite(text: string): string {
        return text.split(this.root).join("");
    }

    /**
     * When set (concurrent mode), every command's channel drops after this long, the way sshd ends a session whose
     * connection is gone: its pipes are closed, nothing is killed; the command's next write gets SIGPIPE.
     */
    channelDropMs?: number;

    async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
        const stdin = opts.stdin === undefined ? undefined : opts.stdin.toString();
        this.commands.push({ command, stdin });
        // A private mount namespace where the system's own directories are read-only: a path the rewrite
        // missed fails loudly instead of changing this machine.
        const args = ["--mount", "--propagation", "private", "/bin/sh", "-c", SEALED, "sealed", this.rewrite(command)];
        const run = {
            input: stdin === undefined ? "" : this.rewrite(stdin),
            env: { ...process.env, FAKE_ROOT: this.root, PATH: `${this.stubs}:${process.env.PATH}` },
            timeout: opts.timeoutMs ?? 60_000,
            dropMs: this.channelDropMs,
        };
        if (run.dropMs !== undefined && !this.concurrent)
            throw new Error("FakeHost: channelDropMs needs concurrent mode");
        const r = this.concurrent
            ? await spawnAsync(args, run)
            : spawnSync("unshare", args, { ...run, encoding: "utf8" });
        const result = { code: r.status ?? 128, stdout: this.unrewrite(r.stdout), stderr: this.unrewrite(r.stderr) };
        return checked(this.name, command, result, opts);
    }

    async writeFile(hostPath: string, data: string | Buffer, mode = 0o644): Promise<void> {
        this.writes.push(hostPath);
        fs.mkdirSync(path.dirname(this.local(hostPath)), { recursive: true });
        // Text may name host paths (a stage manifest does): those too point into the root. Archives stay as sent.
        fs.writeFileSync(this.local(hostPath), typeof data === "string" ? this.rewrite(data) : data, { mode });
        fs.chmodSync(this.local(hostPath), mode);
    }

    /** A lifecycle context on this host, with a log that keeps what it was told. */
    ctx(): Ctx & { messages: string[] } {
        const messages: string[] = [];
        const keep = (m: string) => void messages.push(m);
        return { host: this, log: { info: keep, warn: keep, debug: keep, status: keep }, messages };
    }

    cleanup(): void {
        if (this.owner) fs.rmSync(this.root, { recursive: true, force: true });
    }
}

/** spawnSync's result, without blocking the event loop (FakeHost's concurrent mode). */
function spawnAsync(
    args: string[],
    run: { input: string; env: NodeJS.ProcessEnv; timeout: number; dropMs?: number },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("unshare", args, { env: run.env });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGTERM"), run.timeout);
        const drop =
            run.dropMs === undefined
                ? undefined
                : setTimeout(() => {
                      clearTimeout(timer);
                      child.stdout.destroy();
                      child.stderr.destroy();
                      child.stdin.destroy();
                      resolve({ status: 255, stdout, stderr: `${stderr}\nchannel dropped` });
                  }, run.dropMs);
        child.on("close", (status) => {
            clearTimeout(timer);
            if (drop) clearTimeout(drop);
            resolve({ status, stdout, stderr });
        });
        child.stdin.on("error", () => undefined); // a command that does not read its stdin
        child.stdin.end(run.input);
    });
}
