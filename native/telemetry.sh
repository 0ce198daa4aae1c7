# shellcheck shell=sh
# telemetry: the mod_wsgi-telemetry ingester as a supervised service (Telemetry resource).
# Usage: telemetry.sh apply STAGE ROOT VENV PYTHON VERSION USER MEMBERS PIDFILE UNIT LOG RUN_DIR
#        telemetry.sh facts ROOT PIDFILE UNIT
#        telemetry.sh remove ROOT PIDFILE UNIT USER RUN_DIR
# STAGE holds supervise.sh, the unit and settings.env (rendered by the provider); ROOT gets them.
main() {
    cmd=$1
    shift
    case $cmd in
        apply) with_lock telemetry-apply; apply "$@" ;;
        facts) facts "$@" ;;
        remove) with_lock telemetry-remove; remove "$@" ;;
        *) say "usage: telemetry.sh apply|facts|remove ..."; exit 2 ;;
    esac
}

apply() {
    stage=$1 root=$2 venv=$3 python=$4 version=$5 user=$6 members=$7 pidfile=$8 unit=$9 log=${10} rundir=${11}
    need_cmd "$python" python3
    need_cmd setpriv util-linux
    getent passwd "$user" >/dev/null ||
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    # Every sender (Apache's user and each daemon group's) writes to the group's 0660 socket.
    members_changed=false
    for m in www-data $(printf '%s' "$members" | tr ',' ' '); do
        id -u "$m" >/dev/null 2>&1 || { rm -rf "$stage"; die "daemon user $m does not exist on the host"; }
        if ! id -nG "$m" | tr ' ' '\n' | grep -qx "$user"; then
            usermod -aG "$user" "$m"
            members_changed=true
        fi
    done
    # A user dropped from daemonUsers leaves the group too (else it keeps writing to the socket). The group is this
    # resource's (useradd --user-group), so every member of it was added here.
    for m in $(getent group "$user" | cut -d: -f4 | tr ',' ' '); do
        case ",www-data,$members," in
            *",$m,"*) ;;
            *) gpasswd -d "$m" "$user" >/dev/null; members_changed=true ;;
        esac
    done
    fact members_changed "$members_changed"
    mkdir -p "$root" "$(dirname "$log")"
    # No venv yet, or another interpreter: a new venv, built beside the live one and swapped in only once the
    # package is in it, so a failed venv or pip leaves the running ingester's venv as it was.
    build=$venv
    rm -rf "$venv.new" "$venv.old" # what a run stopped half-way left
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$root/python" 2>/dev/null)" != "$python" ]; then
        build=$venv.new
        need_space "$root" 64 "the telemetry venv" || { rm -rf "$stage"; exit 1; }
        make_venv "$python" "$build" ||
            { rm -rf "$stage" "$build"; die "could not create a venv with $python (python3-venv)"; }
    fi
    have=$("$build/bin/python" -c 'import importlib.metadata as m; print(m.version("mod-wsgi-telemetry"))' \
        2>/dev/null || true)
    if [ "$have" != "$version" ]; then
        say "installing mod-wsgi-telemetry $version into $build"
        "$build/bin/pip" install --disable-pip-version-check -q "mod-wsgi-telemetry==$version" >&2 ||
            { rm -rf "$stage" "$venv.new"; die "pip could not install mod-wsgi-telemetry==$version (see above)"; }
    fi
    if [ "$build" != "$venv" ]; then
        swap_venv "$build" "$venv"
        printf '%s\n' "$python" >"$root/python"
    fi
    changed=false
    [ "$have" = "$version" ] || changed=true
    cmp -s "$stage/supervise.sh" "$root/supervise.sh" || { install -m 0755 "$stage/supervise.sh" "$root/"; changed=true; }
    cmp -s "$stage/settings.env" "$root/settings.env" || { install -m 0644 "$stage/settings.env" "$root/"; changed=true; }
    if has_systemd; then
        cmp -s "$stage/unit" "$unit" || { install -m 0644 "$stage/unit" "$unit"; changed=true; }
        systemctl daemon-reload
        systemctl enable --quiet modwsgi-telemetry 9>&-
        if [ $changed = true ] || ! systemctl is-active --quiet modwsgi-telemetry; then
            systemctl restart modwsgi-telemetry 9>&-
        fi
        fact supervisor systemd
    else
        if [ $changed = true ] || ! loop_running "$pidfile" "$root"; then
            stop_loop "$pidfile" "$root"
            # Slow-request URLs in the log may carry tokens: root's alone (0640), not the umask's 0644.
            (umask 027 && : >>"$log")
            chmod 0640 "$log"
            # A session of its own, no descriptor of this operation (the host lock is fd 9): Apache restarts,
            # the end of this SSH command and of the operation leave it running.
            setsid nohup sh "$root/supervise.sh" </dev/null >>"$log" 2>&1 9>&- &
        fi
        fact supervisor loop
    fi
    rm -rf "$stage"
    wait_ui "$root/settings.env" || { tail -n 20 "$log" >&2 2>/dev/null || true; die "mod_wsgi-telemetry did not answer"; }
    # The socket's directory is the service's (0750): the group shares it with the senders.
    ls -ld "$rundir" >&2
}

# swap_venv NEW VENV: NEW, complete, becomes VENV. A venv is not relocatable: its console scripts (the ingester's
# ExecStart) name NEW's python in their #! line, pointed at VENV's first (the symlinked pythons are left alone).
swap_venv() {
    for f in "$1"/bin/*; do
        if [ -L "$f" ] || [ ! -f "$f" ]; then continue; fi
        case $(head -n 1 "$f") in "#!$1/bin/"*) sed -i "1s|^#!$1/bin/|#!$2/bin/|" "$f" ;; esac
    done
    if [ -e "$2" ]; then mv "$2" "$2.old"; fi
    mv "$1" "$2"
    rm -rf "$2.old"
}

# loop_running PIDFILE ROOT: the supervisor loop of ROOT runs.
loop_running() {
    p=$(cat "$1" 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$2/supervise.sh"
}

stop_loop() {
    loop_running "$1" "$2" || return 0
    p=$(cat "$1")
    kill -TERM "$p" 2>/dev/null || true
    n=0
    while kill -0 "$p" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    # Its ingester too, should the loop have died before it.
    pkill -TERM -P "$p" 2>/dev/null || true
}

# wait_ui SETTINGS: the UI's /api/state answers within 30 s.
wait_ui() {
    port=$(sed -n 's/^http_port=//p' "$1") host=$(sed -n 's/^http_host=//p' "$1")
    case $host in 0.0.0.0 | :: | '') host=127.0.0.1 ;; esac
    python3 - "$host" "$port" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 30
while True:
    try:
        urllib.request.urlopen("http://%s:%s/api/state" % (sys.argv[1], sys.argv[2]), timeout=3).read()
        sys.exit(0)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.5)
PY
}

# facts ROOT PIDFILE UNIT: which supervisor, whether the ingester runs, its command line after the program.
facts() {
    root=$1 pidfile=$2 unit=$3 pid=
    if has_systemd && [ -f "$unit" ]; then
        fact supervisor systemd
        pid=$(systemctl show -p MainPID --value modwsgi-telemetry 2>/dev/null || true)
        [ "$pid" != 0 ] || pid=
    elif loop_running "$pidfile" "$root"; then
        fact supervisor loop
        pid=$(pgrep -P "$(cat "$pidfile")" -f mod_wsgi-telemetry | head -n 1 || true)
    elif [ -f "$root/supervise.sh" ]; then
        fact supervisor loop
    else
        fact supervisor none
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        fact running true
        fact pid "$pid"
        fact args "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's|.*/mod_wsgi-telemetry ||; s| *$||')"
    else
        fact running false
        fact args ""
    fi
}

remove() {
    root=$1 pidfile=$2 unit=$3 user=$4 rundir=$5
    if has_systemd && [ -f "$unit" ]; then
        systemctl disable --now --quiet modwsgi-telemetry 9>&- || true
        rm -f "$unit"
        systemctl daemon-reload
    fi
    stop_loop "$pidfile" "$root"
    rm -rf "$root" "$rundir" "$pidfile"
    if getent group "$user" >/dev/null; then
        for m in $(getent group "$user" | cut -d: -f4 | tr ',' ' '); do gpasswd -d "$m" "$user" >/dev/null || true; done
    fi
    if getent passwd "$user" >/dev/null; then userdel "$user" || true; fi
    if getent group "$user" >/dev/null; then groupdel "$user" || true; fi
}
main "$@"
