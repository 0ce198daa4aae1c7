# shellcheck shell=sh
# probe: host facts the provider plans with and reports (ApacheHost outputs). Usage: probe.sh
main() {
    # shellcheck source=/dev/null
    . /etc/os-release 2>/dev/null || true
    fact os_id "${ID:-unknown}"
    fact os_version "${VERSION_ID:-unknown}"
    fact os_name "${PRETTY_NAME:-unknown}"
    fact systemd "$(has_systemd && echo true || echo false)"
    fact apache_version "$(apache2 -v 2>/dev/null | sed -n 's|^Server version: Apache/\([0-9.]*\).*|\1|p')"
    fact apache_mpm "$(apache2ctl -V 2>/dev/null | sed -n 's|^Server MPM: *||p')"
    fact apache_running "$(apache_running && echo true || echo false)"
    layout=unknown
    if [ -d /etc/apache2/mods-available ]; then layout=debian; elif [ -d /etc/httpd/conf.modules.d ]; then layout=redhat; fi
    fact apache_layout "$layout"
    fact apxs "$(command -v apxs || command -v apxs2 || true)"
    fact python3 "$(python_fact /usr/bin/python3 python_version)"
    # Every python3.X interpreter on the host (the ones a WsgiModule could be built against).
    fact pythons "$(for p in /usr/bin/python3.[0-9]*; do case "$p" in *-config) ;; *) [ -x "$p" ] && printf '%s ' "$p" ;; esac; done)"
}
main "$@"
