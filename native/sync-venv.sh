# shellcheck shell=sh
# sync-venv: make a venv with PYTHON at PATH and install the requirements file; idempotent.
# Usage: sync-venv.sh PATH PYTHON REQUIREMENTS_FILE
main() {
    venv=$1 python=$2 reqs=$3
    need_cmd "$python" python3
    want=$("$python" -c 'import sys;print("%d.%d" % sys.version_info[:2])')
    if [ -x "$venv/bin/python" ]; then
        have=$("$venv/bin/python" -c 'import sys;print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
        [ "$have" = "$want" ] || { say "venv $venv has Python $have, want $want: recreating"; rm -rf "$venv"; }
    fi
    if [ ! -x "$venv/bin/python" ]; then
        say "creating venv $venv with $python"
        mkdir -p "$(dirname "$venv")"
        "$python" -m venv "$venv" || die "could not create a venv with $python (install the Debian package python3-venv)"
    fi
    if ! "$venv/bin/pip" install --disable-pip-version-check -q --use-pep517 -r "$reqs" >&2; then
        rm -f "$reqs"
        die "pip could not install the requirements into $venv (see above)"
    fi
    rm -f "$reqs"
    fact python_version "$("$venv/bin/python" -c 'import sys;print("%d.%d.%d" % sys.version_info[:3])')"
    fact freeze_sha256 "$("$venv/bin/pip" freeze --disable-pip-version-check | sha256sum | cut -d' ' -f1)"
}
main "$@"
