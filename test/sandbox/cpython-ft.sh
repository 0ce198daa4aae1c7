#!/bin/bash
# A free-threaded CPython 3.13 (PEP 703, `python3.13t`) for the Debian 13 sandbox hosts: neither Debian 12 nor 13
# ships one. Built once INSIDE a sandbox host from Debian's own source package of python3.13 (apt-get source,
# Debian's patches applied), configured --disable-gil --enable-shared --prefix=/opt/python3.13t with an rpath to
# its own libpython, archived in the sandbox cache like the rootfs; later runs only unpack the archive.
#
#   cpython-ft.sh ensure hN   install into hN, building it in hN first when the archive is missing
#   cpython-ft.sh build hN    build in hN and (re)write the archive
#   cpython-ft.sh install hN  unpack the archive into hN's /opt (idempotent)
#
# Environment: MODWSGI_CACHE (default /var/cache/modwsgi), CPYTHON_FT_SUITE (default trixie: the hosts' suite,
# whose libc and libraries the build links against; a bookworm host gets a different archive name).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"
SUITE="${CPYTHON_FT_SUITE:-trixie}"
PREFIX=/opt/python3.13t
ARCHIVE="$CACHE/cpython-3.13t-$SUITE.tar.zst"

say() { printf 'cpython-ft: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
on_host() { "$HERE/sandbox.sh" ssh "$@"; }

# Runs on the host (sh -s): build deps, source, configure, make, make install; the tree goes to stdout as a tar.
# Its log stays on the host (/root/cpython-ft/build.log); its tail is shown when a step fails.
# shellcheck disable=SC2016 # expanded on the host
BUILD='set -eu
mirror=$1 suite=$2 prefix=$3
work=/root/cpython-ft log=/root/cpython-ft/build.log
rm -rf "$work" "$prefix" && mkdir -p "$work" && cd "$work"
step() { printf "cpython-ft on %s: %s\n" "$(hostname)" "$1" >&2; }
fail() { tail -n 40 "$log" >&2; printf "cpython-ft: error: %s failed (log: %s on the host)\n" "$1" "$log" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
echo "deb-src $mirror $suite main" >/etc/apt/sources.list.d/modwsgi-cpython-src.list
step "apt-get build-dep python3.13 (profiles nocheck, nodoc)"
{ apt-get update -qq && apt-get build-dep -y -qq --no-install-recommends -P nocheck,nodoc python3.13; } >>"$log" 2>&1 ||
    fail "installing the build dependencies"
step "apt-get source python3.13 (Debian patches applied)"
apt-get source -qq python3.13 >>"$log" 2>&1 || fail "apt-get source"
src=$(find "$work" -maxdepth 1 -type d -name "python3.13-*" | head -n 1)
[ -n "$src" ] || fail "finding the unpacked source"
cd "$src"
# The Debian patch distutils-install-layout.diff puts lib/python3.13/site-packages of a venv on sys.path, without
# the t of a free-threaded build, where venv and pip use lib/python3.13t/site-packages: nothing installed in a
# venv could be imported (Debian builds no free-threaded Python, so it never shows there). Named as upstream does,
# before the build: site is a frozen module, compiled into libpython (editing the installed site.py changes nothing).
sed -i "/if is_virtual_environment:/,/site-packages/ s|\"python%d.%d\" % sys.version_info\[:2\]|f\"python{ver[0]}.{ver[1]}{abi_thread}\"|" Lib/site.py
grep -q "f\"python{ver\[0\]}.{ver\[1\]}{abi_thread}\",\$" Lib/site.py || fail "the site.py fix for venvs (Debian patch changed?)"
step "configure --disable-gil --enable-shared --prefix=$prefix ($(basename "$src"))"
# The rpath finds libpython3.13t.so without ld.so.conf. It goes in LDFLAGS_NODIST: the Debian patch
# makefile-bootstrap.diff keeps the LDFLAGS given to configure out of the Makefile (debian/rules passes them to
# make). The system libmpdec and expat: their -dev packages are build deps, their libraries are on every host
# with python3.
./configure --prefix="$prefix" --disable-gil --enable-shared --without-ensurepip \
    --with-system-libmpdec --with-system-expat LDFLAGS_NODIST="-Wl,-rpath,$prefix/lib" >>"$log" 2>&1 || fail "configure"
step "make -j2"
make -j2 >>"$log" 2>&1 || fail "make"
make install >>"$log" 2>&1 || fail "make install"
"$prefix/bin/python3.13t" -c "import sys; assert not sys._is_gil_enabled()" || fail "the built interpreter check"
rm -rf "$work/venv" && "$prefix/bin/python3.13t" -m venv "$work/venv" && "$work/venv/bin/python" -c "import pip" ||
    fail "the venv check (pip installed in a venv must be importable there)"
rm -f /etc/apt/sources.list.d/modwsgi-cpython-src.list
step "done: $("$prefix/bin/python3.13t" -VV | head -n 1)"
tar -C "$(dirname "$prefix")" --numeric-owner -cf - "$(basename "$prefix")"'

cmd_build() {
    local host=${1:?usage: cpython-ft.sh build hN} start
    command -v zstd >/dev/null || die "zstd not found (apt-get install zstd)"
    mkdir -p "$CACHE"
    start=$(date +%s)
    say "building free-threaded CPython 3.13 in $host from Debian's python3.13 source (cold: ~20 min on 2 busy cores)"
    # The Debian mirror this machine's apt already uses (sandbox.sh finds it: never hard-coded).
    on_host "$host" sh -s -- "$("$HERE/sandbox.sh" mirror)" "$SUITE" "$PREFIX" <<<"$BUILD" | zstd -q -T0 -o "$ARCHIVE.part" -f ||
        { rm -f "$ARCHIVE.part"; die "the build in $host failed (see above)"; }
    mv "$ARCHIVE.part" "$ARCHIVE"
    say "archived $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) in $(($(date +%s) - start)) s"
}

cmd_install() {
    local host=${1:?usage: cpython-ft.sh install hN}
    [ -f "$ARCHIVE" ] || die "$ARCHIVE is missing: cpython-ft.sh build $host"
    # One line, quoted for the remote shell (ssh joins its arguments): unpack unless there, then check it runs.
    # shellcheck disable=SC2016 # expanded on the host
    local script='set -e; if [ -x "$1/bin/python3.13t" ]; then cat >/dev/null; else tar -C "$(dirname "$1")" --numeric-owner -xf -; fi; "$1/bin/python3.13t" -c "import sys, ssl, decimal, ctypes, sqlite3, venv, ensurepip; print(sys.version)"'
    zstd -q -dc "$ARCHIVE" | on_host "$host" "$(printf '%q ' sh -c "$script" sh "$PREFIX")" || die "installing into $host failed (see above)"
}

case "${1:-}" in
    build) cmd_build "${2:-}" ;;
    install) cmd_install "${2:-}" ;;
    ensure)
        [ -f "$ARCHIVE" ] || cmd_build "${2:-}"
        cmd_install "${2:-}"
        ;;
    *) echo "usage: $0 ensure hN | build hN | install hN" >&2; exit 2 ;;
esac
