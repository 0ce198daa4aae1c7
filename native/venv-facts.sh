# shellcheck shell=sh
# venv-facts: what PythonEnv's Read compares: the venv's Python and a hash of `pip freeze` (freeze_sha256, lib.sh).
# Usage: venv-facts.sh VENV     (exit 4: no venv there)
main() {
    venv=$1
    [ -x "$venv/bin/python" ] || exit 4
    python_info "$venv/bin/python"
    fact freeze_sha256 "$(freeze_sha256 "$venv")"
}
main "$@"
