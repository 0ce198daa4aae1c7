# shellcheck shell=sh
# apply-config: swap staged Apache config into place, run a whole-tree configtest, then reload;
# when Apache rejects the result, put every file back as it was and print Apache's own message.
# Usage: apply-config.sh STAGE_DIR graceful|restart|none
# STAGE_DIR/manifest lines: `put FILE TARGET MODE` | `del TARGET` | `link TARGET LINKPATH` (paths have no spaces).

backup() {
    i=0
    # Read every field of the line: a mode after TARGET must not end up inside it.
    while read -r op a b _mode; do
        i=$((i + 1))
        case "$op" in put) t=$b ;; del) t=$a ;; link) t=$b ;; *) die "bad manifest line: $op" ;; esac
        if [ -e "$t" ] || [ -L "$t" ]; then
            cp -P "$t" "$stage/backup.$i"
            printf 'restore %s %s\n' "$stage/backup.$i" "$t" >>"$stage/undo"
        else
            printf 'remove %s\n' "$t" >>"$stage/undo"
        fi
    done <"$stage/manifest"
}

swap() {
    while read -r op a b m; do
        case "$op" in
            put)
                mkdir -p "$(dirname "$b")"
                cp "$stage/$a" "$b.modwsgi-new"
                chmod "${m:-644}" "$b.modwsgi-new"
                mv -f "$b.modwsgi-new" "$b" ;;
            del) rm -f "$a" ;;
            link) mkdir -p "$(dirname "$b")"; ln -sfn "$a" "$b" ;;
        esac
    done <"$stage/manifest"
}

rollback() {
    [ -f "$stage/undo" ] || return 0
    while read -r op a b; do
        case "$op" in
            restore) rm -f "$b"; cp -P "$a" "$b" ;;
            remove) rm -f "$a" ;;
        esac
    done <"$stage/undo"
}

configtest() {
    # `apache2ctl -t` parses the whole tree, exactly what the next (re)start would read.
    apache2ctl -t >"$stage/configtest.out" 2>&1
}

main() {
    stage=$1 mode=$2
    [ -f "$stage/manifest" ] || die "no manifest in $stage"
    with_lock
    : >"$stage/undo"
    backup
    swap
    if ! configtest; then
        rollback
        grep -v '^Syntax OK$' "$stage/configtest.out" >&2 || true
        rm -rf "$stage"
        exit 3
    fi
    if [ "$mode" != none ]; then
        if ! apache_reload "$mode" >"$stage/reload.out" 2>&1; then
            cat "$stage/reload.out" >&2
            rollback
            apache_reload "$mode" >/dev/null 2>&1 || true
            rm -rf "$stage"
            die "Apache failed to $mode with the new config; the previous config is back in place"
        fi
    fi
    fact reloaded "$mode"
    rm -rf "$stage"
}
main "$@"
