# shellcheck shell=sh
# deploy-source: unpack an uploaded app archive as a new release and switch `current` to it atomically.
# Usage: deploy-source.sh APP_DIR TREE_SHA256 ARCHIVE SCRIPT
main() {
    dir=$1 hash=$2 archive=$3 script=$4
    rel="$dir/releases/$hash"
    if [ ! -d "$rel" ]; then
        rm -rf "$rel.tmp" && mkdir -p "$rel.tmp"
        tar -xzf "$archive" -C "$rel.tmp" --no-same-owner
        chmod -R u=rwX,go=rX "$rel.tmp"
        got=$(tree_sha256 "$rel.tmp")
        [ "$got" = "$hash" ] || { rm -rf "$rel.tmp" "$archive"; die "uploaded tree hash $got does not match $hash"; }
        mv "$rel.tmp" "$rel"
    fi
    rm -f "$archive"
    ln -sfn "releases/$hash" "$dir/current.new"
    mv -T "$dir/current.new" "$dir/current"
    # Daemon mode reloads on the script's mtime: only the group serving this app restarts.
    [ -f "$dir/current/$script" ] && touch "$dir/current/$script"
    # Keep the three newest releases for a quick manual rollback (names are hex hashes: ls is safe).
    # shellcheck disable=SC2012
    ls -1t "$dir/releases" | tail -n +4 | while read -r old; do
        [ "$old" = "$hash" ] || rm -rf "${dir:?}/releases/$old"
    done
    fact tree_sha256 "$hash"
}

tree_sha256() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0r sha256sum | sha256sum | cut -d' ' -f1)
}
main "$@"
