# shellcheck shell=sh
# deploy-app: put an application's files in place and restart only its daemon group when any changed.
#   - a new release from an uploaded archive (verified against its tree hash), switched in atomically
#     through the `current` symlink;
#   - the generated loader wsgi.py (what WSGIScriptAlias points at);
#   - env.json with the app's environment: mode 400, owned by the daemon's user (group root), as its Unix
#     group (www-data by default) is shared by every Apache child and every daemon without a group of its own.
#     The owner is set again on every deploy, unchanged content or not, so a changed user can read it.
# Usage: deploy-app.sh APP_DIR STAGE_DIR TREE_SHA256 USER
#   USER is the daemon's user= (a name or mod_wsgi's #uid).
#   STAGE_DIR may hold source.tgz, wsgi.py and env.json; each one present is installed.
main() {
    with_lock deploy-app
    dir=$1 stage=$2 hash=$3 user=$4
    changed=false
    # Resolved before anything changes: an unknown user must not leave a new release switched in.
    if [ -f "$stage/env.json" ]; then
        uid=$(uid_of "$user") || { rm -rf "$stage"; die "user $user of the daemon process does not exist"; }
    fi
    mkdir -p "$dir/releases"
    chmod 755 "$dir" "$dir/releases"
    if [ -f "$stage/source.tgz" ]; then
        rel="$dir/releases/$hash"
        if [ ! -d "$rel" ]; then
            rm -rf "$rel.tmp" && mkdir -p "$rel.tmp"
            tar -xzf "$stage/source.tgz" -C "$rel.tmp" --no-same-owner
            chmod -R u=rwX,go=rX "$rel.tmp"
            got=$(tree_sha256 "$rel.tmp")
            [ "$got" = "$hash" ] || { rm -rf "$rel.tmp" "$stage"; die "uploaded tree hash $got does not match $hash"; }
            mv "$rel.tmp" "$rel"
        fi
        ln -sfn "releases/$hash" "$dir/current.new"
        mv -T "$dir/current.new" "$dir/current"
        changed=true
        prune "$hash"
    fi
    if [ -f "$stage/wsgi.py" ] && ! cmp -s "$stage/wsgi.py" "$dir/wsgi.py"; then
        install -m 644 "$stage/wsgi.py" "$dir/wsgi.py"
        changed=true
    fi
    if [ -f "$stage/env.json" ]; then
        if ! cmp -s "$stage/env.json" "$dir/env.json"; then changed=true; fi
        install -m 400 -o "$uid" -g 0 "$stage/env.json" "$dir/env.json"
    fi
    rm -rf "$stage"
    # Daemon mode reloads on the script's mtime: only the group serving this app restarts.
    if [ "$changed" = true ]; then touch "$dir/wsgi.py"; fi
    fact restarted "$changed"
}

# Keep the three newest releases for a quick manual rollback (names are hex hashes: ls is safe).
prune() {
    # shellcheck disable=SC2012
    ls -1t "$dir/releases" | tail -n +4 | while read -r old; do
        [ "$old" = "$1" ] || rm -rf "${dir:?}/releases/$old"
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

tree_sha256() {
    (cd "$1" && find . -type f ! -path '*/__pycache__/*' ! -path './.git/*' -print0 | sort -z | xargs -0r sha256sum | sha256sum | cut -d' ' -f1)
}
main "$@"
