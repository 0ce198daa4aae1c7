# shellcheck shell=sh
# Helpers prepended to every native/*.sh operation before it is sent over SSH (never sourced remotely).
# Facts go to stdout as key=value; logs to stderr. Exit codes: 1 failure, 2 usage, 3 Apache rejected config.
set -eu
umask 022
export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ (install the Debian package $2)}"; }
fact() { printf '%s=%s\n' "$1" "$2"; }

# python_info PYTHON: the interpreter's version, ABI (SOABI), base executable and whether libpython is
# shared, as facts. The only place that asks a Python about itself.
python_info() {
    "$1" -c 'import sys, sysconfig
print("python_version=%d.%d.%d" % sys.version_info[:3])
print("python_abi=%s" % sysconfig.get_config_var("SOABI"))
print("python_executable=%s" % getattr(sys, "_base_executable", sys.executable))
print("python_shared=%s" % (1 if sysconfig.get_config_var("Py_ENABLE_SHARED") else 0))'
}

# python_fact PYTHON KEY: one of python_info's facts (empty when the interpreter cannot run).
python_fact() { python_info "$1" 2>/dev/null | sed -n "s/^$2=//p"; }

has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

apache_running() {
    if has_systemd; then systemctl is-active --quiet apache2; else
        [ -f /var/run/apache2/apache2.pid ] && kill -0 "$(cat /var/run/apache2/apache2.pid)" 2>/dev/null
    fi
}

# apache_reload graceful|restart: a full stop/start is needed when the module or its Python changes.
# Apache must not inherit the lock's descriptor, or a started server would hold the lock forever.
apache_reload() { apache_reload_ "$@" 9>&-; }
apache_reload_() {
    if ! apache_running; then
        if has_systemd; then systemctl start apache2; else apache2ctl start; fi
        return
    fi
    case "$1" in
        graceful)
            log=$(error_log)
            before=$(wc -c <"$log" 2>/dev/null || echo 0)
            # Callers test the result (`if ! apache_reload`), where set -e is off: every failure returns.
            if has_systemd; then systemctl reload apache2; else apache2ctl graceful; fi || return 1
            wait_resumed "$log" "$before" ;;
        restart)
            if has_systemd; then systemctl restart apache2; else
                apache2ctl stop || return 1
                # The parent removes its pid file before every child (mod_wsgi daemons included) is gone,
                # and a child still holding port 80 makes the start fail: wait for all of them (30 s at most).
                n=0
                while { [ -f /var/run/apache2/apache2.pid ] || pgrep -x apache2 >/dev/null; } && [ $n -lt 300 ]; do
                    sleep 0.1
                    n=$((n + 1))
                done
                apache2ctl start
            fi ;;
        *) die "unknown reload mode $1" ;;
    esac
}

# Serialise config changes on the host across provider processes.
with_lock() {
    mkdir -p /run/lock
    exec 9>/run/lock/modwsgi.lock
    flock -w 120 9 || die "another modwsgi apply has held /run/lock/modwsgi.lock for 2 minutes (fuser -v /run/lock/modwsgi.lock shows who)"
}

# Apache's main error log (Debian: /var/log/apache2/error.log), as the running config names it.
error_log() {
    l=$(apache2ctl -t -D DUMP_RUN_CFG 2>/dev/null | sed -n 's/^Main ErrorLog: "\(.*\)"$/\1/p')
    echo "${l:-/var/log/apache2/error.log}"
}

# A graceful restart only signals the parent, which re-reads the config a moment later: wait until it says
# it resumed (so the next change cannot be swapped in under it), or fail when the parent died instead.
wait_resumed() {
    n=0
    while [ $n -lt 150 ]; do
        if tail -c +"$(($2 + 1))" "$1" 2>/dev/null | grep -q 'resuming normal operations'; then return 0; fi
        apache_running || { say "Apache stopped during the graceful restart:"; tail -n 5 "$1" >&2; return 1; }
        sleep 0.1
        n=$((n + 1))
    done
    say "warning: no 'resuming normal operations' in $1 after 15 s; going on"
}
