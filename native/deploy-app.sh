# shellcheck shell=sh
# deploy-app: prepare a release completely, switch to it, check it, and switch back when the check fails.
#   1. the release: from an uploaded archive (verified against its tree hash), or one already on the host and
#      intact (an instant rollback, no upload). A new release gets links to the app's data directories and runs its
#      release commands (as the daemon's user) before anything live changes; a command that fails removes the
#      release. A release on the host that is damaged (edited, or not readable by the daemon) is rebuilt from the
#      upload beside it and swapped in with two renames; then the group restarts, as for a new release.
#   2. the switch: the loader wsgi.py, env.json (mode 400, owned by the daemon's user, set again on every deploy so
#      a changed user can read it) and the `current` symlink, the earlier ones kept as *.prev; then the loader is
#      touched: mod_wsgi restarts only this app's daemon group, re-queueing the requests it interrupts.
#   3. the health check (when given): GET through Apache on loopback; on failure the previous release, loader and
#      environment come back and the error shows the tail of Apache's error log.
#   4. releases beyond KEEP are removed, never the current or the previous one.
# Usage: deploy-app.sh APP_DIR STAGE_DIR TREE_SHA256 USER PYTHON_HOME KEEP DATA_DIRS [URL HOST EXPECT TIMEOUT]
#   USER is the daemon's user= (a name or mod_wsgi's #uid); PYTHON_HOME its python-home ("" for none);
#   DATA_DIRS names separated by spaces ("" for none). STAGE_DIR may hold source.tgz, commands.json, wsgi.py
#   and env.json. EXPECT is a status code or "" (any status below 500).
main() {
    with_lock deploy-app
    dir=$1 stage=$2 hash=$3 user=$4 home=$5 keep=$6 data=$7
    shift 7
    rel="$dir/releases/$hash"
    # Resolved before anything changes: an unknown user must not leave a new release switched in.
    uid=$(uid_of "$user") || { rm -rf "$stage"; die "user $user of the daemon process does not exist"; }
    gid=$(gid_of "$uid")
    mkdir -p "$dir/releases"
    chown 0:0 "$dir" "$dir/releases"
    chmod 755 "$dir" "$dir/releases"
    for d in $data; do
        mkdir -p "$dir/data/$d"
        chown "$uid:$gid" "$dir/data/$d"
        chmod 750 "$dir/data/$d"
    done
    [ ! -d "$dir/data" ] || chmod 755 "$dir/data"

    # A release whose commands never finished (a lost host, a killed run) is not a release; nor is what a rebuild
    # that never finished left beside it.
    if [ -e "$rel.pending" ]; then rm -rf "$rel" "$rel.pending"; fi
    rm -rf "$rel.new" "$rel.new.tmp" "$rel.new.pending" "$rel.new.tree" "$rel.old"
    built=false
    if [ -f "$stage/source.tgz" ]; then
        if [ ! -d "$rel" ]; then
            new_release "$rel"
            built=true
        elif ! release_intact "$rel"; then
            say "release $hash is damaged on the host (edited, or not readable by the daemon): rebuilding it"
            rebuild_release
            built=true
        fi
    elif [ ! -d "$rel" ]; then
        rm -rf "$stage"
        die "release $hash is not on the host any more: run the update again to upload it"
    else
        # The provider uploads a release it found damaged; one damaged since it looked is reported by the next read.
        release_intact "$rel" || say "warning: release $hash on the host was changed since it was made"
        say "release $hash is already on the host: switching to it without an upload"
    fi

    prev=$(readlink "$dir/current" 2>/dev/null || true)
    changed=$built # a rebuilt live release: the daemon may hold the damaged code
    [ "$prev" = "releases/$hash" ] || changed=true
    if [ -f "$stage/wsgi.py" ] && { ! cmp -s "$stage/wsgi.py" "$dir/wsgi.py" || ! stat_is "$dir/wsgi.py" "0 644"; }; then
        changed=true
    fi
    if [ -f "$stage/env.json" ] && ! cmp -s "$stage/env.json" "$dir/env.json"; then changed=true; fi
    # The environment and the loader first, the release link last: a daemon that starts at any moment in between
    # runs the old code (the link decides) until the touch below restarts the group.
    [ "$changed" = false ] || keep_previous
    [ ! -f "$stage/env.json" ] || swap_in "$dir/env.json" install -m 400 -o "$uid" -g 0 "$stage/env.json"
    if [ "$changed" = true ]; then
        [ ! -f "$stage/wsgi.py" ] || swap_in "$dir/wsgi.py" install -m 644 "$stage/wsgi.py"
        link_current "releases/$hash"
    fi
    rm -rf "$stage"
    # Daemon mode reloads on the script's mtime: only the group serving this app restarts.
    if [ "$changed" = true ]; then
        touch "$dir/wsgi.py"
        if [ $# -ge 4 ] && ! health_check "$1" "$2" "$3" "$4"; then
            switch_back
            die "the health check of $1 failed after the switch; the previous release serves again"
        fi
    fi
    prune "$hash" "${prev#releases/}"
    fact restarted "$changed"
}

# new_release DEST: the uploaded tree in DEST, verified, its data links, its release commands: all before it can go
# live.
new_release() {
    dest=$1
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    tar -xzf "$stage/source.tgz" -C "$dest.tmp" --no-same-owner
    # tar gave the directory the source dir's mtime: prune keeps the newest releases by theirs, so make it now.
    touch "$dest.tmp"
    chmod -R u=rwX,go=rX "$dest.tmp"
    got=$(tree_sha256 "$dest.tmp")
    [ "$got" = "$hash" ] || { rm -rf "$dest.tmp" "$stage"; die "uploaded tree hash $got does not match $hash"; }
    for d in $data; do
        if [ -e "$dest.tmp/$d" ] || [ -L "$dest.tmp/$d" ]; then
            rm -rf "$dest.tmp" "$stage"
            die "the source has a path named $d, which dataDirs links to the app's data directory"
        fi
        ln -s "../../data/$d" "$dest.tmp/$d"
    done
    : >"$dest.pending"
    mv "$dest.tmp" "$dest"
    if [ -f "$stage/commands.json" ]; then
        # The commands may write into the release (collectstatic): theirs while they run, root's afterwards, and
        # readable by the daemon whatever modes they gave what they wrote.
        chown -R "$uid:$gid" "$dest"
        if ! run_release_commands; then
            rm -rf "$dest" "$dest.pending" "$stage"
            die "a release command failed; nothing was switched"
        fi
        chown -R 0:0 "$dest"
        chmod -R go=rX "$dest"
    fi
    # What the release holds once its commands ran: Read compares the live tree with it.
    tree_sha256 "$dest" >"$dest.tree"
    rm -f "$dest.pending"
}

# A damaged release, rebuilt beside it and swapped in: `current` names no directory only between the two renames.
rebuild_release() {
    new_release "$rel.new"
    mv -T "$rel" "$rel.old" && mv -T "$rel.new" "$rel"
    mv -f "$rel.new.tree" "$rel.tree"
    rm -rf "$rel.old"
}

# release_intact REL: REL holds what it held when it was made (the tree recorded in REL.tree, or for a release
# without that record its name), root's and go=rX (Read's check of the live release, provider's source.ts).
release_intact() {
    [ -d "$1" ] && [ ! -L "$1" ] && [ ! -e "$1.pending" ] || return 1
    bad=$(find "$1/" -name __pycache__ -prune -o ! -type l \( ! -user 0 -o -perm /022 -o -type d ! -perm -005 \
        -o ! -type d ! -perm -004 \) -print -quit)
    [ -z "$bad" ] || return 1
    if [ -e "$1.tree" ]; then want=$(cat "$1.tree"); else want=$(basename "$1"); fi
    [ "$(tree_sha256 "$1")" = "$want" ]
}

# stat_is FILE "UID MODE": FILE is there with that owner and mode.
stat_is() { [ "$(stat -c '%u %a' "$1" 2>/dev/null)" = "$2" ]; }

# Each command as the daemon's user, in the release, with the venv first on PATH and the app's environment
# (read from the staged env.json: never on a command line). Output: the tail, with the environment's values
# masked, on failure; otherwise a fact per command with its last line (masked too).
run_release_commands() {
    python3 - "$stage/commands.json" "$stage/env.json" "$uid" "$gid" "$dest" "$home" <<'EOF'
import json, os, shlex, subprocess, sys
cmds = json.load(open(sys.argv[1], encoding="utf-8"))
app_env = json.load(open(sys.argv[2], encoding="utf-8")) if os.path.exists(sys.argv[2]) else {}
uid, gid, rel, home = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": rel}
if home:
    env["VIRTUAL_ENV"] = home
    env["PATH"] = home + "/bin:" + env["PATH"]
env.update(app_env)
secrets = [v for v in app_env.values() if len(v) >= 4]

def mask(text):
    for v in secrets:
        text = text.replace(v, "***")
    return text

def demote():
    os.setgroups([gid])
    os.setgid(gid)
    os.setuid(uid)

for n, argv in enumerate(cmds, 1):
    shown = mask(" ".join(shlex.quote(a) for a in argv))
    try:
        p = subprocess.run(argv, cwd=rel, env=env, preexec_fn=demote, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3600)
        code, out = p.returncode, p.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError) as e:
        code, out = 127, str(e)
    lines = mask(out).rstrip("\n").split("\n")
    if code != 0:
        print("release command `%s` exited %d; its output ends:" % (shown, code), file=sys.stderr)
        print("\n".join("  " + l for l in lines[-25:]), file=sys.stderr)
        sys.exit(1)
    # A fact per command (stdout): the provider shows them as progress.
    print("command_%d=release command `%s`: ok%s" % (n, shown, (": " + lines[-1][:200]) if lines[-1] else ""))
EOF
}

# swap_in FILE COMMAND...: COMMAND... FILE.new, then FILE replaced by a rename, so a daemon (re)starting at any
# moment reads the old file or the new one. install unlinks FILE and cp truncates it first: meanwhile mod_wsgi
# answers 404 (WSGI0135, no script) or the loader finds no env.json.
swap_in() {
    swap_file=$1
    shift
    "$@" "$swap_file.new" && mv -f "$swap_file.new" "$swap_file"
}

keep_previous() {
    [ ! -f "$dir/wsgi.py" ] || cp -p "$dir/wsgi.py" "$dir/wsgi.py.prev"
    [ ! -f "$dir/env.json" ] || cp -p "$dir/env.json" "$dir/env.json.prev"
}

# Back to the release, loader and environment that served before this deploy (none on a first deploy).
switch_back() {
    [ -n "$prev" ] || { say "no previous release to switch back to"; return 0; }
    link_current "$prev"
    [ ! -f "$dir/wsgi.py.prev" ] || swap_in "$dir/wsgi.py" cp -p "$dir/wsgi.py.prev"
    [ ! -f "$dir/env.json.prev" ] || swap_in "$dir/env.json" cp -p "$dir/env.json.prev"
    touch "$dir/wsgi.py"
    say "switched back to $prev"
}

# link_current TARGET: `current` names TARGET, switched by a rename. A directory put in its place by hand (a copy of a
# release) is moved aside first and removed.
link_current() {
    ln -sfn "$1" "$dir/current.new"
    if [ -d "$dir/current" ] && [ ! -L "$dir/current" ]; then
        rm -rf "$dir/current.old"
        mv -T "$dir/current" "$dir/current.old"
    fi
    mv -T "$dir/current.new" "$dir/current"
    rm -rf "$dir/current.old"
}

# Keeps the KEEP newest releases, and always the current and the previous one (names are hex hashes: ls is safe).
prune() {
    # shellcheck disable=SC2010,SC2012
    ls -1t "$dir/releases" | grep -E '^[0-9a-f]{64}$' | tail -n +"$((keep + 1))" | while read -r old; do
        [ "$old" = "$1" ] || [ "$old" = "$2" ] || rm -rf "${dir:?}/releases/$old" "${dir:?}/releases/$old.tree"
    done
}

# uid_of USER: the uid of mod_wsgi's `#uid`, or of a user name in the passwd database; fails for neither.
uid_of() {
    case $1 in
        "#"*)
            n=${1#"#"}
            case $n in "" | *[!0-9]*) return 1 ;; esac
            echo "$n" ;;
        *)
            entry=$(getent passwd -- "$1") || return 1
            case $entry in "$1":*) ;; *) return 1 ;; esac # a name, not a uid getent also answers for
            echo "$entry" | cut -d: -f3 ;;
    esac
}

# gid_of UID: the primary group of that uid, or the same number for a uid the passwd database does not know.
gid_of() { getent passwd "$1" | cut -d: -f4 | grep . || echo "$1"; }

tree_sha256() {
    (cd "$1" && find . -type f ! -path '*/__pycache__/*' ! -path './.git/*' -print0 | sort -z | xargs -0r sha256sum | sha256sum | cut -d' ' -f1)
}
main "$@"
