# shellcheck shell=sh
# build-module: pip-build mod_wsgi into its own venv against the host's Python and apxs; idempotent.
# Usage: build-module.sh VERSION PYTHON VENV DEBIAN_LOAD [RECORD]              (from the package index)
#        build-module.sh VERSION PYTHON VENV DEBIAN_LOAD RECORD ARCHIVE SHA256 URL_FILE WHEELS
#   DEBIAN_LOAD: the mods-enabled link of Debian's own mod_wsgi package (must be absent);
#   RECORD: where the .so's SHA-256 is recorded after the build (sha256sum format); an existing build whose .so
#   no longer matches it was replaced by other bytes and is built again;
#   ARCHIVE: the source archive's path on the host (uploaded; or downloaded from the URL in URL_FILE when that
#   is set), checked against SHA256; WHEELS: a tar of build wheels (setuptools) for building without an index.
#   The URL may carry credentials: it is in a root-only file, never on a command line (this script's, Python's),
#   and messages show it with its userinfo redacted.
# Everything mod_wsgi's build needs, checked before anything is written: each failure names the missing
# piece and the Debian package that provides it.
preflight() {
    python=$1
    [ "$(uname -s)" = Linux ] || die "mod_wsgi daemon mode needs Linux (this host runs $(uname -s))"
    command -v apache2 >/dev/null 2>&1 || command -v httpd >/dev/null 2>&1 || die "Apache httpd not found (install the Debian package apache2)"
    v=$( (apache2 -v 2>/dev/null || httpd -v) | sed -n 's|^Server version: Apache/\([0-9]*\.[0-9]*\).*|\1|p')
    [ "$v" = 2.4 ] || die "mod_wsgi 6 needs Apache 2.4 (found ${v:-an unknown version})"
    [ -x "$python" ] || die "$python not found (install the Debian package python3)"
    pv=$(python_fact "$python" python_version)
    major=${pv%%.*} rest=${pv#*.}
    [ "${major:-0}" -gt 3 ] || { [ "${major:-0}" -eq 3 ] && [ "${rest%%.*}" -ge 10 ]; } ||
        die "mod_wsgi 6 needs Python >= 3.10 ($python is ${pv:-not runnable})"
    [ "$(python_fact "$python" python_shared)" = 1 ] ||
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
    if [ -e "$debian_load" ]; then
        die "Debian's mod_wsgi package is enabled ($debian_load, $(dpkg-query -W -f '${Version}' libapache2-mod-wsgi-py3 2>/dev/null || echo 'version unknown')): it predates 6.x and would load instead; run a2dismod wsgi (or apt-get purge libapache2-mod-wsgi-py3)"
    fi
    grep -qs '^#define APR_HAS_THREADS *1' "$apr/apr.h" || die "Apache's APR is built without threads (APR_HAS_THREADS != 1 in ${apr:-?}/apr.h); mod_wsgi needs a threaded APR"
}

# redact_url URL: the URL for messages, its userinfo's password (or a lone token) shown as ***.
# printf is a builtin: the URL reaches sed on stdin, not in its arguments.
redact_url() {
    printf '%s\n' "$1" | sed -e 's|^\([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:]*\):[^/?#]*@|\1:***@|' -e t \
        -e 's|^\([A-Za-z][A-Za-z0-9+.-]*://\)[^/?#]*@|\1***@|'
}

# Downloads the URL in file argv[1] to argv[2]. Credentials in the URL go in an Authorization header (urllib
# takes none from a URL, and its error would quote them), not sent on to a redirect's host; an error has
# its credentials cut out.
FETCH='import base64, shutil, sys, urllib.parse, urllib.request
with open(sys.argv[1]) as f:
    url = f.read().strip()
parts = urllib.parse.urlsplit(url)
userinfo, at, hostport = parts.netloc.rpartition("@")
try:
    req = urllib.request.Request(parts._replace(netloc=hostport).geturl())
    if at:
        user, _, password = userinfo.partition(":")
        token = urllib.parse.unquote(user) + ":" + urllib.parse.unquote(password)
        req.add_unredirected_header("Authorization", "Basic " + base64.b64encode(token.encode()).decode())
    with urllib.request.urlopen(req, timeout=300) as r, open(sys.argv[2], "wb") as out:
        shutil.copyfileobj(r, out)
except Exception as e:
    msg = "%s: %s" % (type(e).__name__, e)
    for s in sorted({userinfo, urllib.parse.unquote(userinfo)} - {""}, key=len, reverse=True):
        msg = msg.replace(s, "***")
    sys.exit("download failed: " + msg)'

# fetch_archive ARCHIVE SHA256 URL_FILE: the archive in place and verified (downloaded first when URL_FILE is set).
fetch_archive() {
    archive=$1 sum=$2 url_file=$3 shown=''
    [ -z "$url_file" ] || shown=$(redact_url "$(cat "$url_file")")
    if [ -n "$url_file" ] && ! echo "$sum  $archive" | sha256sum -c --status 2>/dev/null; then
        say "downloading $shown"
        "$python" -c "$FETCH" "$url_file" "$archive.part" ||
            { rm -f "$archive.part"; die "could not download $shown (see above)"; }
        mv "$archive.part" "$archive"
    fi
    [ -f "$archive" ] || die "source archive $archive is missing"
    got=$(sha256sum "$archive" | cut -d' ' -f1)
    [ "$got" = "$sum" ] || { rm -f "$archive"; die "source archive ${shown:-$archive} has SHA-256 $got, not $sum as declared (removed it)"; }
    got=$(tar -xzOf "$archive" --wildcards '*/PKG-INFO' 2>/dev/null | sed -n 's/^Version: *//p' | head -n 1)
    [ "$got" = "$version" ] || die "source archive ${shown:-$archive} holds mod_wsgi ${got:-of no known version}, not $version as declared"
}

# PARALLEL_CC, written as sitecustomize.py on PYTHONPATH for pip's build: setuptools compiles an extension's C
# files one after another (its `parallel` option only runs several extensions at once, and mod_wsgi is one),
# so this patches its compiler class, when its module is first imported, to run those compiles on every core
# (27 files: 16-21 s -> 8-13 s on 2 cores). It reaches the build only without pip's build isolation, which sets
# PYTHONPATH itself; a failed compile still fails the build (its error is raised, the queued ones cancelled),
# and a setuptools whose compiler it does not recognise compiles as before, one file at a time.
PARALLEL_CC='import importlib.abc, importlib.machinery, os, sys, threading

def patch(cls):
    if getattr(cls, "_modwsgi_parallel", False):
        return
    serial = cls.compile
    lock = threading.Lock()  # build_ext running several extensions at once shares one compiler object

    def compile(self, *args, **kwargs):
        jobs = []
        with lock:
            compile_one = getattr(self, "_compile", None)
            if compile_one is not None:
                self._compile = lambda *a, **k: jobs.append((a, k))
                try:
                    objects = serial(self, *args, **kwargs)
                finally:
                    del self._compile
        if compile_one is None:  # a setuptools without _compile: as it was
            return serial(self, *args, **kwargs)
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max(1, len(os.sched_getaffinity(0)))) as pool:
            futures = [pool.submit(compile_one, *a, **k) for a, k in jobs]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
        return objects

    cls.compile = compile
    cls._modwsgi_parallel = True

class Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in ("distutils.ccompiler", "setuptools._distutils.ccompiler"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            try:
                patch(module.CCompiler)
            except Exception:  # a setuptools this does not know: compiles one at a time, as without the hook
                pass

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Finder())'

# pip arguments to build ARCHIVE offline when the venv can (setuptools there, or from WHEELS), else with
# pip's isolated build, which fetches setuptools from the package index (and compiles serially: see PARALLEL_CC).
archive_args() {
    archive=$1 wheels=$2
    if [ -n "$wheels" ]; then
        dir=$venv/build-wheels
        mkdir -p "$dir" && tar -xf "$wheels" -C "$dir"
        "$venv/bin/pip" install --disable-pip-version-check -q --no-index --find-links "$dir" setuptools >&2 ||
            die "could not install setuptools from the uploaded build wheels (see above)"
        [ -z "$(ls "$dir"/wheel-*.whl 2>/dev/null)" ] || "$venv/bin/pip" install --disable-pip-version-check -q --no-index --find-links "$dir" wheel >&2
    fi
    if "$venv/bin/python" -c 'import setuptools' 2>/dev/null; then
        set -- --no-index --no-build-isolation
        # setuptools >= 70.1 or the wheel package can build a wheel (cached by pip); else setup.py install.
        if "$venv/bin/python" -c 'import setuptools.command.bdist_wheel' 2>/dev/null || "$venv/bin/python" -c 'import wheel' 2>/dev/null; then
            set -- "$@" --use-pep517
        fi
        echo "$@" "$archive"
    else
        say "no setuptools in $venv and no buildWheels: pip fetches setuptools from the package index to build"
        echo --use-pep517 "$archive"
    fi
}

# cached_wheel: pip's wheel cache holds a mod_wsgi $version wheel that $venv's Python can install (pip's own tag
# rules). A wheel of the same version built for another Python (a cp313 one when this is 3.13t, say) does not
# count. Only a guess still: pip files a wheel under the URL of the archive it was built from, so one built from
# an uploaded sdist, another URL or another index is listed here but not taken for PyPI's (see pip_install).
cached_wheel() {
    "$venv/bin/pip" cache list --disable-pip-version-check --format=abspath "mod_wsgi-$version-*" 2>/dev/null |
        "$venv/bin/python" -c '
import os, sys
from pip._vendor.packaging.tags import sys_tags
from pip._vendor.packaging.utils import parse_wheel_filename
ours = set(sys_tags())
names = [os.path.basename(line.strip()) for line in sys.stdin if line.strip().endswith(".whl")]
sys.exit(0 if any(ours & parse_wheel_filename(n)[3] for n in names) else 1)' 2>/dev/null
}

# install_setuptools: what pip's build of mod_wsgi needs in the venv (>= 70.1 builds wheels itself).
install_setuptools() {
    "$venv/bin/pip" install --disable-pip-version-check -q 'setuptools>=70.1' >&2 ||
        { rm -rf "$venv"; die "pip could not install setuptools (mod_wsgi's build needs it) into $venv (see above)"; }
}

# pip_build ARGS...: the one pip command that installs (and, when it must, builds) mod_wsgi, with apxs and the hook.
pip_build() {
    APXS=$apxs PYTHONPATH=$hooks "$venv/bin/pip" install --disable-pip-version-check -q "$@"
}

# pip_install ARGS...: pip installs mod_wsgi into the venv with the build hook; dies (the venv removed) on failure.
# From the wheel cache, a first failure is pip building after all (its cached wheel was another source's): then
# setuptools goes in and pip tries once more, as a compile.
pip_install() {
    if [ "$built" = wheel-cache ]; then
        pip_build "$@" >/dev/null 2>&1 && return 0
        built=compiled
        say "pip did not take mod_wsgi $version from its wheel cache (built there from another source or index): compiling it"
        install_setuptools
    fi
    pip_build "$@" >&2 ||
        { rm -rf "$venv"; die "pip could not build mod_wsgi $version (see above)${archive:+; without a package index, buildWheels must hold a setuptools wheel}"; }
}

# so_as_built: the venv's .so still has the SHA-256 recorded when it was built (true when nothing is recorded).
so_as_built() {
    [ -n "$record" ] && [ -f "$record" ] || return 0
    if sha256sum -c --status "$record" 2>/dev/null; then return 0; fi
    say "the mod_wsgi .so in $venv is not the one built there (its SHA-256 differs from $record): building it again"
    return 1
}

main() {
    with_lock build-module
    version=$1 python=$2 venv=$3 debian_load=$4 record=${5:-} archive=${6:-} sum=${7:-} url_file=${8:-} wheels=${9:-}
    preflight "$python"
    [ -z "$archive" ] || fetch_archive "$archive" "$sum" "$url_file"
    built=existing
    if [ ! -x "$venv/bin/python" ] || [ "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))' 2>/dev/null)" != "$version" ] || ! so_as_built; then
        # The path names version, Python and archive, so the module Apache runs now is never touched here.
        need_space "${TMPDIR:-/tmp}" 64 "pip's build of mod_wsgi" || exit 1
        need_space "$venv" 64 "mod_wsgi's venv" || exit 1
        rm -rf "$venv"
        make_venv "$python" "$venv" || { rm -rf "$venv"; die "could not create a venv with $python (install the Debian package python3-venv)"; }
        if [ -z "$archive" ] && cached_wheel; then
            built=wheel-cache
        else
            built=compiled
            say "compiling mod_wsgi $version against $python and $apxs, $(nproc) files at a time (~10-20 s on 2 cores)"
        fi
        if [ -n "$archive" ]; then
            args=$(archive_args "$archive" "$wheels") || { rm -rf "$venv"; exit 1; }
            # shellcheck disable=SC2086 # a word list from archive_args; its parts hold no spaces
            set -- $args
        else
            # setuptools in the venv rather than pip's isolated build (which would fetch it all the same), so the
            # build sees PARALLEL_CC; >= 70.1 builds wheels itself; from pip's wheel cache nothing is built and
            # none is needed. --use-pep517 builds a wheel (the legacy `setup.py install` path builds none), and
            # pip's cache keeps it: installing the same version again is a copy, not a compile.
            [ "$built" != compiled ] || install_setuptools
            set -- --no-build-isolation --use-pep517 "mod_wsgi==$version"
        fi
        hooks=$venv/build-hooks
        { mkdir -p "$hooks" && printf '%s\n' "$PARALLEL_CC" >"$hooks/sitecustomize.py"; } ||
            { say "could not write the build hook to $hooks: compiling one file at a time"; hooks=; }
        pip_install "$@"
        rm -rf "$venv/build-wheels" "$venv/build-hooks" # the hooks path, also when writing it failed half-way
    fi
    so=$("$venv/bin/mod_wsgi-express" module-location)
    # A build of an earlier release has no record yet: its .so is taken as built (it is what the state had).
    if [ -n "$record" ] && { [ "$built" != existing ] || [ ! -f "$record" ]; }; then
        sha256sum "$so" >"$record.tmp" && mv -f "$record.tmp" "$record"
    fi
    fact version "$("$venv/bin/python" -c 'import importlib.metadata as m;print(m.version("mod_wsgi"))')"
    fact module_path "$so"
    fact module_sha256 "$(sha256sum "$so" | cut -d' ' -f1)"
    python_info "$venv/bin/python" | grep -E '^python_(version|abi)='
    fact built "$built"
}
main "$@"
