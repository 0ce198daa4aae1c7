# shellcheck shell=sh
# ensure-packages: install with apt whichever of Apache and mod_wsgi's build prerequisites are missing.
# Usage: ensure-packages.sh PACKAGE...
main() {
    with_lock ensure-packages
    need_cmd apt-get apt
    missing=
    for p in "$@"; do
        [ "$(dpkg-query -W -f '${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        say "apt-get install$missing"
        # shellcheck disable=SC2086 # package names, validated by the provider
        apt_get install -y -q --no-install-recommends $missing >&2 || {
            say "retrying after apt-get update"
            apt_get update -q >&2 && apt_get install -y -q --no-install-recommends $missing >&2
        } || die "apt-get could not install$missing (see above)"
    fi
    fact installed "${missing# }"
}
# apt-get that waits up to 5 minutes for dpkg's lock (unattended-upgrades, a person's apt) instead of failing.
# Services a package starts (apache2's postinst starts Apache) must not inherit the host lock (fd 9).
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@" 9>&-; }
main "$@"
