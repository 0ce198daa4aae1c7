# shellcheck shell=sh
# module-facts: what WsgiModule's Read compares: the version the host really has (pip's metadata in the
# venv, or dpkg's for Debian's package), the Python it runs, and the .so's hash.
# Usage: module-facts.sh MODULE_SO VENV     (VENV empty: Debian's package)
main() {
    so=$1 venv=$2
    if [ -z "$venv" ]; then
        fact version "$(dpkg-query -W -f '${Version}' libapache2-mod-wsgi-py3 2>/dev/null | sed 's/-[^-]*$//')"
        python_info /usr/bin/python3
    elif [ -x "$venv/bin/python" ]; then
        fact version "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mod_wsgi"))' 2>/dev/null)"
        python_info "$venv/bin/python"
    fi
    fact module_sha256 "$(sha256sum "$so" 2>/dev/null | cut -d' ' -f1)"
}
main "$@"
