// What the plan needs from the host besides its config: the loaded mod_wsgi's version, each venv's `pip freeze`,
// the apps' code (tar over the SSH exec channel) and the TLS files, written under --out.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RemoteHost } from "../remote/host";
import { sh } from "../remote/sh";
import type { Plan } from "./plan";

/** mod_wsgi's version from the .so's pip metadata beside it, else from the Debian package that holds it. */
export async function moduleVersion(host: RemoteHost, so: string): Promise<string | undefined> {
    const r = await host.exec(
        sh`so=${so}; sp=$(cd "$(dirname "$so")/../.." 2>/dev/null && pwd); ` +
            sh`v=$(sed -n 's/^Version: //p' "$sp"/mod_wsgi-*.dist-info/METADATA 2>/dev/null | head -n 1); ` +
            sh`[ -n "$v" ] || v=$(dpkg-query -W -f '\${Version}' "$(dpkg -S "$so" 2>/dev/null | cut -d: -f1)" ` +
            sh`2>/dev/null | sed 's/^[0-9]*://; s/-.*//'); echo "$v"`,
        { nothrow: true, step: "reading mod_wsgi's version", timeoutMs: 60_000 },
    );
    return r.stdout.trim() || undefined;
}

/** `pip freeze` of a venv; undefined when it cannot run there (no pip, not a venv). */
export async function pipFreeze(host: RemoteHost, home: string): Promise<string[] | undefined> {
    const r = await host.exec(sh`${`${home}/bin/python`} -m pip freeze --disable-pip-version-check`, {
        nothrow: true,
        step: "pip freeze",
        timeoutMs: 120_000,
    });
    return r.code === 0 ? r.stdout.split("\n").filter(Boolean) : undefined;
}

/**
 * Copies `dir` from the host into `dest` (tar, base64 on the channel), leaving out venvs (any directory holding a
 * pyvenv.cfg, and `exclude`), __pycache__, *.pyc and .git. Returns the number of files copied.
 */
export async function download(host: RemoteHost, dir: string, exclude: string[], dest: string): Promise<number> {
    const skip = exclude.map((e) => `./${path.posix.relative(dir, e)}`);
    // tar writes to a file first: in `tar | base64` the status is base64's, and a tar that failed half-way (an
    // unreadable file) would pass for a complete copy. The work dir goes on any exit, a signal's too.
    const r = await host.exec(
        sh`w=$(mktemp -d) || exit 1; trap 'rm -rf "$w"' EXIT; trap 'exit 143' HUP INT TERM; ` +
            sh`cd ${dir} && find . -name pyvenv.cfg -printf '%h\n' >"$w/skip" && ` +
            sh`printf '%s\n' ${skip.length ? skip : ["./.git"]} >>"$w/skip" && ` +
            sh`tar -X "$w/skip" --exclude=__pycache__ --exclude='*.pyc' --exclude=./.git -cf "$w/code.tar" . && ` +
            sh`base64 -w 0 "$w/code.tar"`,
        { step: `copying ${dir}`, timeoutMs: 600_000 },
    );
    fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modwsgi-adopt-"));
    try {
        const tar = path.join(tmp, "code.tar");
        fs.writeFileSync(tar, Buffer.from(r.stdout, "base64"));
        // GNU tar drops leading slashes and refuses members with `..`: nothing lands outside dest.
        execFileSync("tar", ["-xf", tar, "-C", dest, "--no-same-owner", "--no-same-permissions"]);
        return execFileSync("tar", ["-tf", tar])
            .toString()
            .split("\n")
            .filter((l) => l && !l.endsWith("/")).length;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Copies a TLS file from the host to `dest`, mode 600 (a key is a secret; the certificate too, as asked). */
export async function copySecretFile(host: RemoteHost, file: string, dest: string): Promise<void> {
    const r = await host.exec(sh`cat ${file}`, { step: `reading ${file}`, timeoutMs: 60_000 });
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.writeFileSync(dest, r.stdout, { mode: 0o600 });
    fs.chmodSync(dest, 0o600);
}

/** Everything the plan needs copied under `out`; returns one line per copy for the steps. */
export async function fetchAll(host: RemoteHost, plan: Plan, out: string): Promise<string[]> {
    const lines: string[] = [];
    for (const a of plan.apps) {
        const n = await download(host, a.sourceDir, a.exclude, path.join(out, a.name));
        lines.push(`${a.name}/ from ${a.sourceDir} (${n} files; venvs, __pycache__, *.pyc and .git left out)`);
    }
    for (const s of plan.sites) {
        if (!s.tls) continue;
        await copySecretFile(host, s.tls.certificate, path.join(out, "tls", `${s.name}.crt`));
        await copySecretFile(host, s.tls.key, path.join(out, "tls", `${s.name}.key`));
        if (s.tls.chain) await copySecretFile(host, s.tls.chain, path.join(out, "tls", `${s.name}.chain.crt`));
        lines.push(`tls/${s.name}.* from ${s.tls.certificate} and ${s.tls.key} (mode 600)`);
    }
    return lines;
}
