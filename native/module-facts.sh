# shellcheck shell=sh
# module-facts: what WsgiModule's Read compares: the version the host really has (pip's metadata in the
# venv, or dpkg's for Debian's package), the Python it runs, the .so's hash and the hash it should have (recorded
# at build time, or dpkg's checksum for Debian's package), and whether Apache runs.
# Usage: module-facts.sh MODULE_SO VENV [BUILT_RECORD]     (VENV empty: Debian's package)
main() {
    so=$1 venv=$2 record=${3:-}
    if [ -z "$venv" ]; then
        fact version "$(dpkg-query -W -f '${Version}' libapache2-mod-wsgi-py3 2>/dev/null | sed 's/-[^-]*$//')"
        python_info /usr/bin/python3
    elif [ -x "$venv/bin/python" ]; then
        fact version "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mod_wsgi"))' 2>/dev/null)"
        python_info "$venv/bin/python"
    fi
    sum=$(sha256sum "$so" 2>/dev/null | cut -d' ' -f1)
    fact module_sha256 "$sum"
    if [ -n "$record" ] && [ -f "$record" ]; then
        # Only for the .so the record names: a LoadModule pointing elsewhere is drift of its own (modulePath).
        read -r rec_sum rec_so <"$record" || true
        [ "$rec_so" != "$so" ] || fact built_sha256 "$rec_sum"
    elif [ -z "$venv" ] && [ -n "$sum" ]; then
        # dpkg keeps an MD5 per file: the .so is as installed unless --verify flags its checksum (third column 5).
        if dpkg --verify libapache2-mod-wsgi-py3 2>/dev/null | grep -q "^..5.* $so\$"; then
            fact built_sha256 "not the file dpkg installed"
        else
            fact built_sha256 "$sum"
        fi
    fi
    if apache_running; then fact apache_running 1; else fact apache_running 0; fi
}
main "$@"
