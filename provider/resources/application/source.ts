// Local app source: the tree hash the host can recompute (sha256sum over sorted `./path` lines)
// and the archive that carries it.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { sh } from "../../remote/sh";

const SKIP_DIRS = new Set(["__pycache__", ".git"]);

function files(root: string, rel = ""): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (/[\\\n\r]/.test(e.name))
            throw new Error(`Application.source: file name ${JSON.stringify(r)} has a backslash or line break`);
        if (e.isDirectory()) {
            if (!SKIP_DIRS.has(e.name)) out.push(...files(root, r));
        } else if (e.isFile()) out.push(r);
        else
            throw new Error(
                `Application.source: ${JSON.stringify(r)} is not a regular file or directory ` +
                    "(symlinks are not uploaded)",
            );
    }
    return out;
}

export function resolveSource(source: string): string {
    const dir = path.resolve(source);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
        throw new Error(`Application.source: ${dir} is not a directory`);
    return dir;
}

/** Same value as `find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum` in the directory. */
export function treeSha256(dir: string): string {
    const list = files(dir)
        .map((r) => `./${r}`)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const outer = createHash("sha256");
    for (const p of list) {
        const inner = createHash("sha256")
            .update(fs.readFileSync(path.join(dir, p)))
            .digest("hex");
        outer.update(`${inner}  ${p}\n`);
    }
    return outer.digest("hex");
}

/** The remote side of treeSha256. */
export const REMOTE_TREE_SHA =
    "find . -type f ! -path '*/__pycache__/*' ! -path './.git/*' -print0 | " +
    "sort -z | xargs -0r sha256sum | sha256sum | cut -d' ' -f1";

/**
 * `find`'s expression (after its paths and options) printing the first entry the daemon could not read, or that the
 * app could write, as `PATH USER:GROUP MODE`: a release is root's, go=rX (its data links are not followed).
 */
const BAD_MODE =
    `-name __pycache__ -prune -o ! -type l \\( ! -user 0 -o -perm /022 -o -type d ! -perm -005 ` +
    `-o ! -type d ! -perm -004 \\) -printf '%p %u:%g %m\\n' -quit`;

/** Shell: the release dir $rel is intact (its tree as recorded in `$rel.tree`, or its name without one), good modes. */
const INTACT =
    `[ -d "$rel" ] && [ ! -L "$rel" ] && [ ! -e "$rel.pending" ] && [ -z "$(find "$rel/" ${BAD_MODE})" ] && ` +
    `h=$(cd "$rel" && ${REMOTE_TREE_SHA}) && if [ -e "$rel.tree" ]; then [ "$(cat "$rel.tree")" = "$h" ]; ` +
    `else [ "$h" = "$(basename "$rel")" ]; fi`;

/** Exits 0 when the release `rel` (a dir named by its tree hash) is on the host and intact: then no upload. */
export const remoteReleaseIntact = (rel: string) => sh`rel=${rel} && ` + `{ ${INTACT}; }`;

/**
 * The live release's source hash, as a shell command run in `dir` (an app dir): the release's name when its tree
 * still holds what it held after its release commands ran (its `.tree` file; those commands may add files, e.g.
 * collected static files), else the tree's own hash (an edited release shows as another source). An entry of the
 * app dir, releases/ or the release the daemon cannot read shows as `PATH USER:GROUP MODE (...)` instead. Prints
 * nothing when `current` names no directory.
 */
export const remoteReleaseSha = (dir: string) =>
    sh`cd ${dir} && rel=$(readlink current) && ` +
    sh`bad=$(find ${dir} ${dir + "/releases"} -maxdepth 0 ` +
    `${BAD_MODE}; [ -d current/ ] && find current/ ${BAD_MODE}) && ` +
    `if [ -n "$bad" ]; then echo "$bad (a release must be root's, go=rX)"; ` +
    `else h=$(cd current && ${REMOTE_TREE_SHA}) && ` +
    `if [ "$(cat "$rel.tree" 2>/dev/null)" = "$h" ]; then basename "$rel"; ` +
    // Files its commands made, removed: what is left can be the uploaded tree, whose hash is the release's name.
    `elif [ "$h" = "$(basename "$rel")" ] && [ -e "$rel.tree" ]; then echo "$h (not the tree its commands left)"; ` +
    `else echo "$h"; fi; fi`;

export function archive(dir: string): Buffer {
    return execFileSync("tar", ["-czf", "-", "--exclude=__pycache__", "--exclude=.git", "-C", dir, "."], {
        maxBuffer: 1024 * 1024 * 1024,
    });
}
