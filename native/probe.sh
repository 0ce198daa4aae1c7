# shellcheck shell=sh
# probe: host facts the provider plans with. Usage: probe.sh
main() {
    # shellcheck source=/dev/null
    . /etc/os-release 2>/dev/null || true
    fact os_id "${ID:-unknown}"
    fact os_version "${VERSION_ID:-unknown}"
    fact systemd "$(has_systemd && echo true || echo false)"
    fact apache_version "$(apache2 -v 2>/dev/null | sed -n 's|^Server version: Apache/\([0-9.]*\).*|\1|p')"
    fact apache_running "$(apache_running && echo true || echo false)"
    fact apxs "$(command -v apxs || command -v apxs2 || true)"
    fact python3 "$(/usr/bin/python3 -c 'import sys;print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
}
main "$@"
