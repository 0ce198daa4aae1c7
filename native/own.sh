# shellcheck shell=sh
# own: the host's record of which stack owns what (one file per claim in OWNERS_DIR, named by the claim's hash,
# holding the owner: "stack S of project P"). Held under the host lock, so two stacks cannot both win a claim.
#   own.sh claim DIR OWNER URN KEY...   records every KEY for OWNER, unless another owner holds one: then records
#                                       nothing and prints conflict_N=<that owner> (<its resource URN>) for the
#                                       Nth KEY held by another
#   own.sh take DIR OWNER URN KEY...    records every KEY for OWNER whoever held it (import: taking over)
#   own.sh release DIR OWNER KEY...     removes the records of KEY that OWNER holds; others' stay
#   own.sh who DIR KEY...               prints owner_N=<owner> for each KEY held by anyone
# KEY is a claim's hash (hex): never a path.
main() {
    with_lock own
    cmd=$1 dir=$2
    shift 2
    case $cmd in claim | take) mkdir -p "$dir" && chmod 755 "$dir" ;; esac
    case $cmd in
        claim | take)
            owner=$1 urn=$2
            shift 2
            n=0 conflict=false
            if [ "$cmd" = claim ]; then
                for key in "$@"; do
                    check_key "$key"
                    n=$((n + 1))
                    held=$(sed -n 1p "$dir/$key" 2>/dev/null || true)
                    if [ -n "$held" ] && [ "$held" != "$owner" ]; then
                        fact "conflict_$n" "$held ($(sed -n 2p "$dir/$key"))"
                        conflict=true
                    fi
                done
                # Nothing recorded when any claim is someone else's.
                if [ "$conflict" = true ]; then return 0; fi
            fi
            for key in "$@"; do
                check_key "$key"
                printf '%s\n%s\n' "$owner" "$urn" >"$dir/$key.new" && mv -f "$dir/$key.new" "$dir/$key"
            done
            ;;
        release)
            owner=$1
            shift
            for key in "$@"; do
                check_key "$key"
                if [ "$(sed -n 1p "$dir/$key" 2>/dev/null || true)" = "$owner" ]; then rm -f "$dir/$key"; fi
            done
            # The last record gone, no trace of the registry either (a failed first create leaves the host as it was).
            if rmdir "$dir" 2>/dev/null; then rmdir "$(dirname "$dir")" 2>/dev/null || true; fi
            ;;
        who)
            n=0
            for key in "$@"; do
                check_key "$key"
                n=$((n + 1))
                held=$(sed -n 1p "$dir/$key" 2>/dev/null || true)
                [ -z "$held" ] || fact "owner_$n" "$held"
            done
            ;;
        *) die "unknown own command $cmd" ;;
    esac
}

check_key() { case $1 in "" | *[!0-9a-f]*) die "bad claim key $1" ;; esac; }
main "$@"
