# shellcheck shell=sh
# build-module: pip-build mod_wsgi into its own venv against the host's Python and apxs; idempotent.
# Usage: build-module.sh VERSION PYTHON VENV
main() {
    version=$1 python=$2 venv=$3
    need_cmd "$python" python3
    [ -x "$(command -v apxs || true)" ] || die "apxs not found (install the Debian package apache2-dev)"
    "$python" -c 'import sysconfig,sys; sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") else 1)' ||
        die "$python is not built with a shared libpython (Py_ENABLE_SHARED=0); mod_wsgi needs one"
    built=existing
    if [ ! -x "$venv/bin/python" ] || [ "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))' 2>/dev/null)" != "$version" ]; then
        # The path names version and Python, so the module Apache runs now is never touched here.
        rm -rf "$venv"
        "$python" -m venv "$venv" || { rm -rf "$venv"; die "could not create a venv with $python (install the Debian package python3-venv)"; }
        if "$venv/bin/pip" cache list --disable-pip-version-check "mod_wsgi-$version-*" 2>/dev/null | grep -q "mod_wsgi-$version-"; then
            built=wheel-cache
        else
            built=compiled
            say "compiling mod_wsgi $version against $python and $(command -v apxs) (~30 s)"
        fi
        # --use-pep517 builds a wheel (the legacy `setup.py install` path builds none), and pip's cache keeps
        # it: installing the same version again is a copy, not a compile.
        APXS=$(command -v apxs) "$venv/bin/pip" install --disable-pip-version-check -q --use-pep517 "mod_wsgi==$version" >&2 ||
            { rm -rf "$venv"; die "pip could not build mod_wsgi $version (see above)"; }
    fi
    so=$("$venv/bin/mod_wsgi-express" module-location)
    fact version "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))')"
    fact module_path "$so"
    fact module_sha256 "$(sha256sum "$so" | cut -d' ' -f1)"
    fact python_version "$("$venv/bin/python" -c 'import sys;print("%d.%d.%d" % sys.version_info[:3])')"
    fact built "$built"
}
main "$@"
