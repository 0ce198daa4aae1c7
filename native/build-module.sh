# shellcheck shell=sh
# build-module: pip-build mod_wsgi into its own venv against the host's Python and apxs; idempotent.
# Usage: build-module.sh VERSION PYTHON VENV
# Everything mod_wsgi's build needs, checked before anything is written: each failure names the missing
# piece and the Debian package that provides it.
preflight() {
    python=$1
    [ "$(uname -s)" = Linux ] || die "mod_wsgi daemon mode needs Linux (this host runs $(uname -s))"
    command -v apache2 >/dev/null 2>&1 || command -v httpd >/dev/null 2>&1 || die "Apache httpd not found (install the Debian package apache2)"
    v=$( (apache2 -v 2>/dev/null || httpd -v) | sed -n 's|^Server version: Apache/\([0-9]*\.[0-9]*\).*|\1|p')
    [ "$v" = 2.4 ] || die "mod_wsgi 6 needs Apache 2.4 (found ${v:-an unknown version})"
    [ -x "$python" ] || die "$python not found (install the Debian package python3)"
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
        die "mod_wsgi 6 needs Python >= 3.10 ($python is $("$python" -c 'import sys;print("%d.%d" % sys.version_info[:2])'))"
    "$python" -c 'import sysconfig,sys; sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") else 1)' ||
        die "$python is not built with a shared libpython (Py_ENABLE_SHARED=0); mod_wsgi needs one (use the distro's python3)"
    "$python" -c 'import venv, ensurepip' 2>/dev/null ||
        die "$python cannot make venvs with pip (install the Debian package python3-venv)"
    apxs=$(command -v apxs || command -v apxs2 || true)
    [ -n "$apxs" ] || die "apxs not found (install the Debian package apache2-dev)"
    inc=$("$python" -c 'import sysconfig;print(sysconfig.get_path("include"))')
    [ -f "$inc/Python.h" ] || die "Python headers not found ($inc/Python.h; install the Debian package python3-dev)"
    cc=$("$apxs" -q CC 2>/dev/null || echo cc)
    command -v "${cc%% *}" >/dev/null 2>&1 || die "C compiler ${cc%% *} not found (install the Debian package gcc)"
    apr=$("$("$apxs" -q APR_CONFIG 2>/dev/null || echo apr-1-config)" --includedir 2>/dev/null || true)
    # Apache loads only the first wsgi_module: Debian's (4.9 on 12, 5.0 on 13) would silently win.
    if [ -e /etc/apache2/mods-enabled/wsgi.load ]; then
        die "Debian's mod_wsgi package is enabled (/etc/apache2/mods-enabled/wsgi.load, $(dpkg-query -W -f '${Version}' libapache2-mod-wsgi-py3 2>/dev/null || echo 'version unknown')): it predates 6.x and would load instead; run a2dismod wsgi (or apt-get purge libapache2-mod-wsgi-py3)"
    fi
    grep -qs '^#define APR_HAS_THREADS *1' "$apr/apr.h" || die "Apache's APR is built without threads (APR_HAS_THREADS != 1 in ${apr:-?}/apr.h); mod_wsgi needs a threaded APR"
}

main() {
    version=$1 python=$2 venv=$3
    preflight "$python"
    built=existing
    if [ ! -x "$venv/bin/python" ] || [ "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))' 2>/dev/null)" != "$version" ]; then
        # The path names version and Python, so the module Apache runs now is never touched here.
        rm -rf "$venv"
        "$python" -m venv "$venv" || { rm -rf "$venv"; die "could not create a venv with $python (install the Debian package python3-venv)"; }
        if "$venv/bin/pip" cache list --disable-pip-version-check "mod_wsgi-$version-*" 2>/dev/null | grep -q "mod_wsgi-$version-"; then
            built=wheel-cache
        else
            built=compiled
            say "compiling mod_wsgi $version against $python and $apxs (~30 s)"
        fi
        # --use-pep517 builds a wheel (the legacy `setup.py install` path builds none), and pip's cache keeps
        # it: installing the same version again is a copy, not a compile.
        APXS=$apxs "$venv/bin/pip" install --disable-pip-version-check -q --use-pep517 "mod_wsgi==$version" >&2 ||
            { rm -rf "$venv"; die "pip could not build mod_wsgi $version (see above)"; }
    fi
    so=$("$venv/bin/mod_wsgi-express" module-location)
    fact version "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))')"
    fact module_path "$so"
    fact module_sha256 "$(sha256sum "$so" | cut -d' ' -f1)"
    fact python_version "$("$venv/bin/python" -c 'import sys;print("%d.%d.%d" % sys.version_info[:3])')"
    fact python_abi "$("$venv/bin/python" -c 'import sysconfig;print(sysconfig.get_config_var("SOABI"))')"
    fact built "$built"
}
main "$@"
