#!/bin/sh
# Builds the generated Python SDK (sdk/python) as a wheel and type-checks a program against it.
# Usage: scripts/sdkgen/check-python.sh [sdk/python dir]
#
# Tools come from PyPI into a venv cached at $MODWSGI_CACHE/py-sdk (rebuilt when python-requirements.txt
# changes). The wheel is built from a copy (the source tree stays clean) and installed into a per-run
# directory, never into the shared venv, so concurrent runs do not meet. Checks, each must pass:
#   1. the wheel builds, and imports with the pulumi package;
#   2. check/flask_hello.py passes mypy --strict and pyright;
#   3. check/wrong_types.py fails both, with one error per `# wrong:` line (the checkers see real types).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SDK="${1:-$ROOT/sdk/python}"
CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"
VENV="$CACHE/py-sdk"
REQS="$HERE/python-requirements.txt"

say() { printf 'check-python: %s\n' "$*" >&2; }

# One run at a time: they share the venv (created on first use) and mypy's cache in it.
mkdir -p "$CACHE"
exec 9>"$CACHE/py-sdk.lock"
flock 9

want=$(sha256sum "$REQS" | cut -c1-16)
if [ "$(cat "$VENV/.requirements" 2>/dev/null || true)" != "$want" ]; then
    say "creating $VENV from PyPI"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS" >&2
    echo "$want" >"$VENV/.requirements"
fi
PY="$VENV/bin/python"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$SDK" "$work/src"
(cd "$work/src" && "$PY" -m build --wheel --no-isolation --outdir "$work/dist" .) >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log" >&2; say "wheel build failed"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
say "built $(basename "$wheel")"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --target "$work/site" "$wheel" >&2

# The venv's interpreter with the wheel's directory first on sys.path: what the checkers resolve imports with.
export PYTHONPATH="$work/site"
"$PY" -c 'import pulumi_modwsgi as m; print("imports:", m.__name__, ", ".join(n for n in dir(m) if n[0].isupper()))'

cd "$work"
"$PY" -m mypy --strict --cache-dir "$VENV/mypy-cache" "$HERE/check/flask_hello.py"
"$VENV/bin/pyright" --pythonpath "$PY" "$HERE/check/flask_hello.py"

# Every line marked `  # wrong:` must be reported by both checkers, at that line.
mypy_out=$("$PY" -m mypy --cache-dir "$VENV/mypy-cache" "$HERE/check/wrong_types.py" 2>&1 || true)
pyright_out=$("$VENV/bin/pyright" --pythonpath "$PY" "$HERE/check/wrong_types.py" 2>&1 || true)
missed=0
wrong_lines=$(grep -n '  # wrong:' "$HERE/check/wrong_types.py" | cut -d: -f1)
for line in $wrong_lines; do
    printf '%s\n' "$mypy_out" | grep -q "wrong_types.py:$line: error:" || { say "mypy missed line $line"; missed=1; }
    printf '%s\n' "$pyright_out" | grep -q "wrong_types.py:$line:[0-9]* - error:" ||
        { say "pyright missed line $line"; missed=1; }
done
[ "$missed" = 0 ] || { printf '%s\n%s\n' "$mypy_out" "$pyright_out" >&2; exit 1; }
count=$(printf '%s\n' "$wrong_lines" | grep -c .)
say "wrong_types.py: each of its $count wrong lines refused by mypy and pyright"
say "ok"
