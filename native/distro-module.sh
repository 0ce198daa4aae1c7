# shellcheck shell=sh
# distro-module: Debian's mod_wsgi (libapache2-mod-wsgi-py3), installed with apt when missing. Its own
# mods-enabled links are left to the caller's config transaction (it loads the .so through ours).
# Usage: distro-module.sh
main() {
    with_lock distro-module
    command -v apache2 >/dev/null 2>&1 || die "Apache httpd not found (install the Debian package apache2)"
    need_cmd dpkg-query dpkg
    built=package
    so=/usr/lib/apache2/modules/mod_wsgi.so
    if [ "$(dpkg-query -W -f '${Status}' libapache2-mod-wsgi-py3 2>/dev/null)" != "install ok installed" ]; then
        built=installed
        install_package
    elif dpkg --verify libapache2-mod-wsgi-py3 2>/dev/null | grep -qE "^(..5|missing).* $so\$"; then
        # Replaced by other bytes (dpkg's checksum differs) or removed: the package's own file comes back.
        built=reinstalled
        say "$so is not the file dpkg installed: reinstalling libapache2-mod-wsgi-py3"
        install_package --reinstall
    fi
    [ -f "$so" ] || die "$so missing although libapache2-mod-wsgi-py3 is installed (reinstall it)"
    fact version "$(dpkg-query -W -f '${Version}' libapache2-mod-wsgi-py3 | sed 's/-[^-]*$//')"
    fact module_path "$so"
    fact module_sha256 "$(sha256sum "$so" | cut -d' ' -f1)"
    python_info /usr/bin/python3 | grep -E '^python_(version|abi)='
    fact built "$built"
}
# install_package [--reinstall]: apt-get install of Debian's module, Apache left alone.
install_package() {
    say "apt-get install $* libapache2-mod-wsgi-py3"
    # Packages must not start or restart Apache here: the config transaction does that, configtested.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.modwsgi && chmod 755 /usr/sbin/policy-rc.d.modwsgi
    [ -e /usr/sbin/policy-rc.d ] || ln -s policy-rc.d.modwsgi /usr/sbin/policy-rc.d
    apt_get install -y -q --no-install-recommends "$@" libapache2-mod-wsgi-py3 >&2 ||
        { apt_get update -q >&2 && apt_get install -y -q --no-install-recommends "$@" libapache2-mod-wsgi-py3 >&2; } ||
        { [ ! -L /usr/sbin/policy-rc.d ] || rm -f /usr/sbin/policy-rc.d; rm -f /usr/sbin/policy-rc.d.modwsgi; die "apt-get could not install libapache2-mod-wsgi-py3 (see above)"; }
    [ "$(readlink /usr/sbin/policy-rc.d 2>/dev/null)" != policy-rc.d.modwsgi ] || rm -f /usr/sbin/policy-rc.d
    rm -f /usr/sbin/policy-rc.d.modwsgi
}

# apt-get that waits up to 5 minutes for dpkg's lock (unattended-upgrades, a person's apt) instead of failing.
# Services a package starts must not inherit the host lock (fd 9).
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@" 9>&-; }
main "$@"
