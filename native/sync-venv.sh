# shellcheck shell=sh
# sync-venv: make a venv with PYTHON at VENV and install STAGE/requirements.txt into it; idempotent.
# With STAGE/wheels.tar, pip installs from those wheels alone (--no-index): hosts without PyPI.
# Usage: sync-venv.sh VENV PYTHON STAGE MODULE_LOAD_FILE
main() {
    with_lock sync-venv
    venv=$1 python=$2 stage=$3 load=$4
    need_cmd "$python" python3
    want=$(python_fact "$python" python_version | cut -d. -f1,2)
    check_module_abi
    if [ -x "$venv/bin/python" ]; then
        have=$(python_fact "$venv/bin/python" python_version | cut -d. -f1,2)
        [ "$have" = "$want" ] || { say "venv $venv has Python $have, want $want: recreating"; rm -rf "$venv"; }
    fi
    if [ ! -x "$venv/bin/python" ]; then
        need_space "$venv" 64 "the venv $venv" || { rm -rf "$stage"; exit 1; }
        say "creating venv $venv with $python"
        mkdir -p "$(dirname "$venv")"
        make_venv "$python" "$venv" || { rm -rf "$stage"; die "could not create a venv with $python (install the Debian package python3-venv)"; }
    fi
    # pip unpacks and builds under TMPDIR and installs into the venv: check both before it changes anything.
    if ! need_space "${TMPDIR:-/tmp}" 64 "pip's temporary files" || ! need_space "$venv" 64 "the venv $venv"; then
        rm -rf "$stage"
        exit 1
    fi
    set -- --disable-pip-version-check -q --use-pep517 -r "$stage/requirements.txt"
    if [ -f "$stage/wheels.tar" ]; then
        mkdir -p "$stage/wheels" && tar -xf "$stage/wheels.tar" -C "$stage/wheels"
        set -- "$@" --no-index --find-links "$stage/wheels"
    fi
    if ! "$venv/bin/pip" install "$@" >&2; then
        rm -rf "$stage"
        die "pip could not install the requirements into $venv (see above)"
    fi
    rm -rf "$stage"
    fact python_version "$(python_fact "$venv/bin/python" python_version)"
    fact freeze_sha256 "$(freeze_sha256 "$venv")"
}

# A venv must come from the Python the loaded mod_wsgi was built for (same ABI), else its daemons die
# at start with "No module named 'encodings'".
check_module_abi() {
    [ -f "$load" ] || return 0
    # The load file's "# mod_wsgi VERSION for SOABI" line names the ABI (Debian's .so path does not).
    abi=$(sed -n 's/^# mod_wsgi [^ ]* for //p' "$load")
    [ -n "$abi" ] || abi=$(sed -n 's/^LoadModule wsgi_module //p' "$load" | tr -d '"')
    soabi=$(python_fact "$python" python_abi)
    case "$abi" in
        *"$soabi"*) ;;
        *) rm -rf "$stage"; die "$python ($soabi) does not match the loaded mod_wsgi ($abi): build the venv with the WsgiModule's python" ;;
    esac
}
main "$@"
