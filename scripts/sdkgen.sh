#!/bin/sh
# Writes sdk/nodejs, sdk/python and sdk/go from schema.json with Pulumi's own code generators.
# Usage: scripts/sdkgen.sh [schema.json [out-dir]]   (defaults: the repository's schema.json and sdk/)
#
# The generator is scripts/sdkgen/main.go, built once from the Go module proxy against the pkg/v3 version
# pinned in scripts/sdkgen/go.mod and cached in $MODWSGI_CACHE/sdkgen-<hash of go.mod, go.sum, main.go>/,
# so later runs only generate (about a second). Progress goes to stderr.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/scripts/sdkgen"
SCHEMA="${1:-$ROOT/schema.json}"
OUT_DIR="${2:-$ROOT/sdk}"
CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"

say() { printf 'sdkgen: %s\n' "$*" >&2; }

hash=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)
BIN="$CACHE/sdkgen-$hash/sdkgen"

if [ ! -x "$BIN" ]; then
    command -v go >/dev/null 2>&1 || { say "go is required to build the SDK generator (Go >= 1.26)"; exit 1; }
    say "building the SDK generator (Pulumi codegen from the Go module proxy; first run only, minutes on 2 cores)"
    start=$(date +%s)
    mkdir -p "$CACHE/sdkgen-$hash"
    # Built under a temporary name and renamed, so a concurrent run never executes a half-written binary.
    tmp="$BIN.tmp.$$"
    log="$CACHE/sdkgen-$hash/build.log"
    # -mod=readonly: go.sum must already pin every module; the build never edits the committed go.mod.
    if ! (cd "$SRC" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
        go build -trimpath -ldflags "-s -w" -o "$tmp" .) >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        rm -f "$tmp"
        say "building the SDK generator failed (full log: $log)"
        exit 1
    fi
    mv -f "$tmp" "$BIN"
    say "built in $(($(date +%s) - start)) s"
fi

"$BIN" "$SCHEMA" "$OUT_DIR"
# Each resource class registers itself with stack traces paused (why: scripts/sdkgen/quiet-stacks.mjs).
node "$SRC/quiet-stacks.mjs" "$OUT_DIR/nodejs"
# The TypeScript output goes through the repository's Prettier settings, so it passes `npm run lint` like the
# rest of the tree (Pulumi's generator writes its own layout). Same Prettier from package-lock.json: same bytes.
"$ROOT/node_modules/.bin/prettier" --config "$ROOT/.prettierrc.json" --log-level warn --write "$OUT_DIR/nodejs"
