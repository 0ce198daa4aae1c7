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

# freeze_sha256 VENV: the sha256 of `pip freeze` in VENV. pip takes ~0.5 s of CPU to start and every refresh
# asks (PythonEnv's Read): the hash is kept in VENV/modwsgi-freeze.stamp beside a stamp of what pip freeze reads
# (the names, sizes and times of site-packages' entries: installing, upgrading or removing a package changes it),
# and pip runs again only when the stamp differs.
freeze_sha256() {
    stamp=$(ls -la --time-style=+%s.%N "$1"/lib/python*/site-packages 2>/dev/null | sha256sum | cut -d' ' -f1)
    # A line cut short (the write interrupted) is no hash: 64 hex digits or pip is asked.
    if [ -f "$1/modwsgi-freeze.stamp" ] && read -r was sum <"$1/modwsgi-freeze.stamp" && [ "$was" = "$stamp" ] &&
        [ ${#sum} -eq 64 ] && case $sum in *[!0-9a-f]*) false ;; esac; then
        printf '%s\n' "$sum"
        return 0
    fi
    # The same bytes as `pip freeze | sha256sum` (a command substitution drops the last newline: put it back).
    ok=1
    out=$("$1/bin/pip" freeze --disable-pip-version-check) || ok=0
    sum=$(if [ -n "$out" ]; then printf '%s\n' "$out"; fi | sha256sum | cut -d' ' -f1)
    # Only a hash pip produced is kept: a failed run is asked again next time.
    [ $ok = 0 ] || printf '%s %s\n' "$stamp" "$sum" >"$1/modwsgi-freeze.stamp" 2>/dev/null || true
    printf '%s\n' "$sum"
}

# make_venv PYTHON VENV: what `PYTHON -m venv VENV` makes, in a fraction of its time. That command installs pip
# (and, up to Python 3.11, setuptools) from ensurepip's wheels and byte-compiles them: 3.5-4 s on a 2-core host,
# for every venv. Here it runs once per interpreter, for a seed venv in VENV_SEEDS; each venv is then
# `-m venv --without-pip` plus a copy of the seed's site-packages (its compiled files too: Python points their
# source paths at the copy as it loads them) and of pip's scripts, their #! naming VENV's python (~0.2 s), checked
# file by file against the packages' RECORDs. Anything unexpected falls back to the plain command; a seed whose
# copy failed is removed (made again for the next venv).
VENV_SEEDS=/var/cache/modwsgi/venv-seeds
make_venv() {
    if mv_seed=$(venv_seed "$1"); then
        seeded_venv "$1" "$mv_seed" "$2" && return 0
        say "the venv seed $mv_seed did not give a whole venv: removed; making $2 with $1 -m venv"
        rm -rf "$mv_seed"
    fi
    rm -rf "$2"
    "$1" -m venv "$2"
}

# venv_seed PYTHON: the path of PYTHON's seed venv, made first if need be, in a root-only directory (refused when
# it or its parent is not root's alone: a seed runs as root). Its name holds the interpreter's path and a hash of
# the seed format, its version and the wheels ensurepip installs (names and SHA-256: a distro's security update of
# pip keeps its version): an upgraded Python or pip wheel gets a new seed, and the old one of that path is removed
# (as is a seed a stopped run left without its .complete mark). Making a seed also removes the seeds of
# interpreters no longer there (their bin/python leads nowhere: a python3.11 gone with an upgrade).
venv_seed() {
    for vs_d in "${VENV_SEEDS%/*}" "$VENV_SEEDS"; do
        [ ! -e "$vs_d" ] && continue
        [ -d "$vs_d" ] && [ ! -L "$vs_d" ] && [ "$(stat -c %u "$vs_d")" = 0 ] || return 1
        case $(stat -c %A "$vs_d") in ?????w???? | ????????w?) return 1 ;; esac
    done
    vs_id=$("$1" -I -c 'import ensurepip, hashlib, os, sys
print("seed 1", sys.version, ensurepip.version())
for d in (getattr(ensurepip, "_WHEEL_PKG_DIR", None), os.path.join(os.path.dirname(ensurepip.__file__), "_bundled")):
    for n in sorted(os.listdir(d)) if d and os.path.isdir(d) else ():
        with open(os.path.join(d, n), "rb") as f:
            print(d, n, hashlib.sha256(f.read()).hexdigest())' 2>/dev/null) || return 1
    vs_path=$(printf '%s' "$1" | sha256sum | cut -c 1-16)
    vs_seed=$VENV_SEEDS/$vs_path-$(printf '%s' "$vs_id" | sha256sum | cut -c 1-16)
    if [ ! -f "$vs_seed/.complete" ]; then
        need_space "$VENV_SEEDS" 64 "a venv seed" 2>/dev/null || return 1
        rm -rf "$VENV_SEEDS/$vs_path"-*
        for vs_d in "$VENV_SEEDS"/*; do
            [ -d "$vs_d/bin" ] && [ ! -L "$vs_d" ] && [ ! -e "$vs_d/bin/python" ] && rm -rf "$vs_d"
        done
        # Flushed before it is marked: a crash must not leave a marked seed of empty files.
        { mkdir -p "$VENV_SEEDS" && chmod 700 "$VENV_SEEDS" && "$1" -m venv "$vs_seed" >&2 &&
            sync -f "$vs_seed" && : >"$vs_seed/.complete"; } || { rm -rf "$vs_seed"; return 1; }
    fi
    printf '%s\n' "$vs_seed"
}

# seeded_venv PYTHON SEED VENV: VENV from SEED's packages; fails (for the plain command) on anything unexpected.
seeded_venv() {
    "$1" -m venv --without-pip "$3" || return 1
    sv_site=$(cd "$2" && ls -d lib/python*/site-packages) || return 1
    case $sv_site in *"
"*) return 1 ;; esac
    [ -d "$3/$sv_site" ] && cp -a "$2/$sv_site/." "$3/$sv_site/" || return 1
    for sv_f in "$2"/bin/*; do
        sv_n=${sv_f##*/}
        # The venv's own python links and activate scripts stay; the rest are pip's, run by the seed's python.
        [ ! -e "$3/bin/$sv_n" ] || continue
        sv_shebang=$(head -n 1 "$sv_f")
        sv_py=${sv_shebang#"#!$2/bin/"}
        case $sv_py in '' | */* | *' '*) return 1 ;; esac
        [ "$sv_shebang" = "#!$2/bin/$sv_py" ] && [ -x "$3/bin/$sv_py" ] || return 1
        { printf '#!%s\n' "$3/bin/$sv_py" && tail -n +2 "$sv_f"; } >"$3/bin/$sv_n" && chmod 755 "$3/bin/$sv_n" || return 1
    done
    # Every file each package's RECORD lists is there, at its size (pip's scripts, rewritten above, only there).
    "$3/bin/python" -I -c 'import csv, os, sys, sysconfig
site = sysconfig.get_paths()["purelib"]
records = [os.path.join(site, d, "RECORD") for d in os.listdir(site) if d.endswith(".dist-info")]
for r in records:
    for row in csv.reader(open(r, newline="")):
        f = os.path.normpath(os.path.join(site, row[0]))
        if not os.path.isfile(f) or (row[2:3] not in ([], [""]) and not row[0].startswith("..") and os.path.getsize(f) != int(row[2])):
            sys.exit(f + ": missing or not the size its RECORD says")
if not records:
    sys.exit("no package in " + site)
import pip' >&2
}

# df_of DIR: "FREE_KIB MOUNT_POINT" of the filesystem DIR is on (or would be: DIR may not exist yet).
df_of() {
    d=$1
    while [ ! -d "$d" ]; do d=$(dirname "$d"); done
    df -Pk "$d" 2>/dev/null | awk 'NR == 2 { print $4, $6 }'
}

# need_space DIR MIB WHAT: succeeds when DIR's filesystem has MIB free; else says so, naming the filesystem.
need_space() {
    free=$(df_of "$1")
    kib=${free%% *} mnt=${free#* }
    case $kib in '' | *[!0-9]*) kib=0 mnt='?' ;; esac
    [ "$kib" -ge $(($2 * 1024)) ] && return 0
    printf 'error: not enough disk space for %s: the filesystem of %s (mounted on %s) has %d MiB free, %s MiB needed\n' \
        "$3" "$1" "$mnt" $((kib / 1024)) "$2" >&2
    return 1
}

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

# One writer per host: every operation that changes the host holds the lock for its whole run, across provider
# processes, stacks and machines. The provider's command line sets MODWSGI_LOCK (the lock file), MODWSGI_APPLY_LOG,
# MODWSGI_LOCK_WAIT (seconds) and MODWSGI_HOLDER (stack, project, provider pid and machine). The lock file names
# its holder for those waiting; the apply log gets a begin and an end line per holder. The lock is on fd 9: what
# the script starts to run on (Apache, services apt starts) must not inherit it (`9>&-`).
# with_lock OP [own-trap]: own-trap: the script's exit trap is its own and calls `unlock RC` last.
with_lock() {
    lock_file=${MODWSGI_LOCK:-} lock_log=${MODWSGI_APPLY_LOG:-} lock_wait=${MODWSGI_LOCK_WAIT:-600}
    { [ -n "$lock_file" ] && [ -n "$lock_log" ]; } ||
        die "MODWSGI_LOCK and MODWSGI_APPLY_LOG are not set (the provider sets them)"
    case $lock_wait in '' | *[!0-9]*) die "MODWSGI_LOCK_WAIT is not a whole number of seconds: $lock_wait" ;; esac
    lock_who=$(printf '%s' "${MODWSGI_HOLDER:-sh pid $$ on $(uname -n)}" | tr -c 'A-Za-z0-9._@:/ -' '_' | cut -c 1-240)
    mkdir -p "$(dirname "$lock_file")"
    [ ! -L "$lock_file" ] || die "$lock_file is a symbolic link: not using it as the lock"
    # Appending: opening it must not erase the holder's record.
    exec 9>>"$lock_file"
    if ! flock -n 9; then
        say "waiting for $(lock_holder) (up to $lock_wait s)"
        flock -w "$lock_wait" 9 ||
            die "another modwsgi operation holds this host: $(lock_holder); gave up after $lock_wait s"
    fi
    lock_op=$1
    if [ "${2:-}" != own-trap ]; then
        trap 'unlock $?' EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    lock_since=$(utc_now)
    printf '%s %s %s\n' "$lock_since" "$lock_op" "$lock_who" >"$lock_file"
    apply_log "$lock_since begin $lock_op holder=$lock_who"
}

# unlock RC: the end line, the holder's record cleared, the lock released (once; nothing when not held).
unlock() {
    [ -n "${lock_op:-}" ] || return 0
    apply_log "$(utc_now) end $lock_op rc=$1 holder=$lock_who"
    printf '' >"$lock_file" 2>/dev/null || true
    exec 9>&-
    lock_op=
}

# The lock's current holder, from its record: "OP for HOLDER, since TIME".
lock_holder() {
    h_since='' h_op='' h_who=''
    read -r h_since h_op h_who 2>/dev/null <"$lock_file" || true
    if [ -n "$h_op" ]; then
        echo "$h_op for $h_who, since $h_since"
    else
        echo "a process that left no record in $lock_file (fuser -v $lock_file shows it)"
    fi
}

apply_log() {
    { mkdir -p "$(dirname "$lock_log")" && printf '%s\n' "$1" >>"$lock_log"; } 2>/dev/null ||
        say "warning: could not write $lock_log"
}

utc_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

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

# health_check URL HOST EXPECT TIMEOUT: GET URL (Apache on loopback) with Host: HOST (and, for https, HOST as the
# TLS server name, certificate not verified: it is our own server) until it answers EXPECT (or, when EXPECT is "",
# any status below 500), retrying for TIMEOUT seconds. On failure: the last answer, and the tail of Apache's
# error log since the check began (where mod_wsgi writes the app's traceback).
health_check() {
    log=$(error_log)
    from=$(wc -c <"$log" 2>/dev/null || echo 0)
    if python3 - "$@" <<'PY'
import http.client, socket, ssl, sys, time, urllib.parse
url, host, expect, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlsplit(url)
ctx = ssl._create_unverified_context()

def get():
    if u.scheme == "https":
        sock = socket.create_connection((u.hostname, u.port or 443), timeout=10)
        conn = http.client.HTTPSConnection(host, u.port or 443, timeout=10, context=ctx)
        conn.sock = ctx.wrap_socket(sock, server_hostname=host)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
    conn.request("GET", u.path or "/", headers={"Host": host, "User-Agent": "modwsgi-health-check"})
    status = conn.getresponse().status
    conn.close()
    return status

deadline, last = time.monotonic() + timeout, "no answer"
while True:
    try:
        status = get()
        if (expect and status == int(expect)) or (not expect and status < 500):
            sys.exit(0)
        last = "HTTP %d%s" % (status, "" if not expect else " (expected %s)" % expect)
    except (OSError, http.client.HTTPException) as e:
        last = str(e)
    if time.monotonic() > deadline:
        print("health check: GET %s (Host: %s) answered %s for %d s" % (url, host, last, timeout), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.5)
PY
    then return 0; fi
    say "Apache's error log ($log) since the check began ends:"
    tail -c +"$((from + 1))" "$log" 2>/dev/null | tail -n 30 >&2 || true
    return 1
}
