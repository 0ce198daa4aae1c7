# shellcheck shell=sh
# apply-config: swap staged Apache config into place, run a whole-tree configtest, then reload;
# unless both pass, put every file back as it was: when Apache rejects the result (its own message is printed),
# when a step of the swap fails (a full disk, a parent that is a file), when the script is interrupted.
# Usage: apply-config.sh STAGE_DIR graceful|restart|none STAGE_ROOT
# STAGE_DIR/manifest lines: `put FILE TARGET MODE` | `del TARGET` | `link TARGET LINKPATH` (paths have no spaces).
# From the first swapped file on, nothing is written to stdout or stderr until the end: a lost SSH channel
# (SIGPIPE, SIGHUP) must not kill the script between the swap and its rollback. Messages go to
# STAGE_DIR/messages and are printed by the exit trap, after the commit or the rollback.

# phase: backup, swap, configtest, reload, committed; step: what the swap was doing (named when it fails).
phase=start step='' failure=''

note() { printf '%s\n' "$*" >>"$stage/messages"; }

# Stage directories of operations that died before removing theirs (they may hold TLS keys and env.json):
# any older than an hour goes. Run under the host lock; this transaction's own is fresh.
sweep() {
    find "$root" -mindepth 1 -maxdepth 1 -mmin +60 ! -path "$stage" -exec rm -rf {} + 2>>"$stage/messages" ||
        note "warning: could not remove old stage directories in $root"
}

backup() {
    i=0
    # Read every field of the line: a mode after TARGET must not end up inside it.
    while read -r op a b _mode; do
        i=$((i + 1))
        case "$op" in put) t=$b ;; del) t=$a ;; link) t=$b ;; *) die "bad manifest line: $op" ;; esac
        step="could not back up $t"
        if [ -e "$t" ] || [ -L "$t" ]; then
            cp -pP "$t" "$stage/backup.$i"
            printf 'restore %s %s\n' "$stage/backup.$i" "$t" >>"$stage/undo"
        else
            printf 'remove %s\n' "$t" >>"$stage/undo"
        fi
        if [ "$op" = put ]; then printf 'remove %s\n' "$t.modwsgi-new" >>"$stage/undo"; fi
        if [ "$op" != del ]; then
            # Directories the swap will make, deepest first: a rollback removes them again when empty.
            d=$(dirname "$t")
            while [ ! -e "$d" ] && [ ! -L "$d" ]; do
                printf '%s\n' "$d" >>"$stage/undo.dirs"
                d=$(dirname "$d")
            done
        fi
    done <"$stage/manifest"
    step=
}

# Any failing command ends the script (set -e); the exit trap then rolls back and names $step.
swap() {
    while read -r op a b m; do
        case "$op" in
            put)
                step="could not create the directory $(dirname "$b") for $b"
                mkdir -p "$(dirname "$b")"
                step="could not copy the new $b into place"
                cp "$stage/$a" "$b.modwsgi-new"
                # Root's own, whoever left the target otherwise: readers see exactly this owner and mode as desired.
                step="could not set owner root:root on the new $b"
                chown 0:0 "$b.modwsgi-new"
                step="could not set mode ${m:-644} on the new $b"
                chmod "${m:-644}" "$b.modwsgi-new"
                step="could not move the new $b into place"
                mv -f "$b.modwsgi-new" "$b" ;;
            del)
                step="could not remove $a"
                rm -f "$a" ;;
            link)
                step="could not create the directory $(dirname "$b") for $b"
                mkdir -p "$(dirname "$b")"
                step="could not link $b to $a"
                ln -sfn "$a" "$b" ;;
        esac
    done <"$stage/manifest"
    step=
}

# Puts every file back; goes on past a failure (and names it). Returns non-zero when something stays wrong.
rollback() {
    ok=0
    while read -r op a b; do
        case "$op" in
            restore)
                if ! { cp -pP "$a" "$b.modwsgi-undo" && mv -f "$b.modwsgi-undo" "$b"; } 2>>"$stage/messages"; then
                    ok=1
                    note "error: could not restore $b; its previous version is kept in $a"
                fi ;;
            remove)
                if ! rm -f "$a" 2>>"$stage/messages"; then ok=1; note "error: could not remove $a again"; fi ;;
        esac
    done <"$stage/undo"
    if [ -f "$stage/undo.dirs" ]; then
        while read -r d; do rmdir "$d" 2>/dev/null || true; done <"$stage/undo.dirs"
    fi
    return $ok
}

configtest() {
    # `apache2ctl -t` parses the whole tree, exactly what the next (re)start would read.
    apache2ctl -t >"$stage/configtest.out" 2>&1
}

# The exit trap: rolls back unless the transaction committed, prints what was kept for the end, removes the stage.
finish() {
    rc=$?
    # Nothing may interrupt the rollback.
    trap '' INT TERM HUP PIPE
    set +e
    keep=false
    case "$phase" in
        swap | configtest | reload)
            if [ -z "$failure" ]; then
                case "$rc" in
                    129 | 130 | 143) failure="apply-config was interrupted (signal $((rc - 128))) during the $phase" ;;
                    *) failure="${step:-the $phase failed}"; rc=1 ;;
                esac
            fi
            if rollback; then
                failure="$failure; every file is back as it was"
            else
                failure="$failure; the rollback was incomplete (see above): $stage is kept for an hour"
                keep=true
            fi
            # Apache may have read the new config already: have it read the previous one again.
            if [ "$phase" = reload ]; then apache_reload "$mode" >/dev/null 2>&1; fi ;;
        backup) [ "$rc" -ge 129 ] || failure="${step:-the backup failed}; nothing was changed" ;;
        committed) rc=0 ;;
    esac
    [ -n "$failure" ] && note "error: $failure"
    [ "$phase" = committed ] && fact reloaded "$mode"
    cat "$stage/messages" >&2 2>/dev/null
    [ "$keep" = true ] || rm -rf "$stage"
    # Last: the next holder finds every file put back (or committed) and the stage gone.
    unlock "$rc"
    exit "$rc"
}

main() {
    stage=$1 mode=$2 root=$3
    case "$mode" in graceful | restart | none) ;; *) die "unknown reload mode $mode" ;; esac
    # The sweep below removes what else is in the stage's directory: only ever the stage root.
    if [ -z "$root" ] || [ "${stage%/*}" != "$root" ]; then die "$stage is not a stage directory in $root"; fi
    [ -f "$stage/manifest" ] || die "no manifest in $stage"
    : >>"$stage/messages"
    trap finish EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    with_lock apply-config own-trap
    sweep
    : >"$stage/undo"
    phase=backup
    backup 2>>"$stage/messages"
    # From here to the end a closed SSH channel must not stop the script half-way.
    trap '' PIPE HUP
    phase=swap
    swap 2>>"$stage/messages"
    phase=configtest
    if ! configtest; then
        grep -v '^Syntax OK$' "$stage/configtest.out" >>"$stage/messages" || true
        failure="Apache rejected the new config"
        exit 3
    fi
    if [ "$mode" != none ]; then
        phase=reload
        if ! apache_reload "$mode" >"$stage/reload.out" 2>&1; then
            cat "$stage/reload.out" >>"$stage/messages"
            case $mode in graceful) what="reload gracefully" ;; *) what=restart ;; esac
            failure="Apache failed to $what with the new config"
            exit 1
        fi
    fi
    phase=committed
}
main "$@"
