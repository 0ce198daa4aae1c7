#!/bin/sh
# Puts a pinned `pulumi` and `pulumi-language-nodejs` in $MODWSGI_CACHE/pulumi-<version>/bin, and next to them
# the YAML and Python language hosts. Uses a matching `pulumi` already on PATH; otherwise builds from the Go module
# proxy (release binaries cannot be downloaded here). Prints the bin directory on stdout, progress on stderr.
set -eu

# The newest pkg/v3 release the Go module proxy here serves (on 2026-12-02; it refused 3.260-3.274 before);
# the engine speaks the same protocol to the 3.270 Node SDK in package.json.
PULUMI_VERSION="${PULUMI_VERSION:-3.276.0}"
# The Go module proxy reachable here serves no build of the standalone language-host module
# (sdk/nodejs/cmd/pulumi-language-nodejs/v3); its last release inside sdk/v3 is 3.68.0, and it
# speaks the same LanguageRuntime protocol to the newer engine.
LANGHOST_VERSION="${LANGHOST_VERSION:-3.68.0}"
# pulumi-language-yaml lives in the pulumi-yaml module (1.30.0 needs sdk/v3 3.224.0); a language host is a
# separate process speaking gRPC to the engine, so its own sdk/v3 need not match the CLI's.
YAML_VERSION="${YAML_VERSION:-1.30.0}"
# The standalone Python host module (sdk/python/cmd/pulumi-language-python/v3) is refused by the proxy here for
# every version (403); its last release inside sdk/v3 is the same 3.68.0 as the Node host's. That host predates
# runtime options (Pulumi.yaml `virtualenv`): a program picks its venv's Python with PULUMI_PYTHON_CMD.
PYTHON_LANGHOST_VERSION="${PYTHON_LANGHOST_VERSION:-$LANGHOST_VERSION}"
CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"
# Bumped whenever the local patches below change, so a cached build without them is not reused.
PATCH_LEVEL=2
OUT="$CACHE/pulumi-$PULUMI_VERSION-p$PATCH_LEVEL"

say() { printf 'pulumi-cli: %s\n' "$*" >&2; }

have_version() {
    [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-nodejs" ] &&
        [ "$("$1/pulumi" version 2>/dev/null)" = "v$PULUMI_VERSION" ]
}

# The language hosts print no version: a stamp next to each records what it was built from.
have_tool() { [ -x "$1/$2" ] && [ "$(cat "$1/.$2.version" 2>/dev/null)" = "$3" ]; }

# build_tool DIR VERSION PACKAGE BINARY VERSION_VAR MODULE...: a throw-away wrapper module per tool, since each
# needs its own version of github.com/pulumi/pulumi/sdk/v3. Writes $BIN/BINARY; VERSION_VAR gets vVERSION.
build_tool() {
    dir="$OUT/src/$1" version=$2 pkg=$3 bin=$4 version_var=$5
    shift 5
    rm -rf "$dir" && mkdir -p "$dir"
    # Module downloads are hundreds of lines: keep them in a log, show its end only on failure.
    # (set -e does not apply inside an `if` condition: every step says `|| exit 1` itself.)
    if ! (
        cd "$dir" || exit 1
        go mod init local/build >/dev/null 2>&1 || exit 1
        # Same replace as upstream's go.mod; replaces in dependencies are not inherited.
        go mod edit -replace=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e || exit 1
        printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" >tools.go
        for module in "$@"; do go get "$module@v$version" || exit 1; done
        go mod tidy || exit 1
        if [ "$1" = github.com/pulumi/pulumi/pkg/v3 ]; then patch_sdk "$version" || exit 1; fi
        go build -trimpath -tags osusergo,grpcnotrace \
            -ldflags "-s -w -X $version_var=v$version" -o "$BIN/$bin" "$pkg" || exit 1
        # The Python host runs programs through this shim script, looked up on PATH.
        if [ "$bin" = pulumi-language-python ]; then
            shim=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)/python/cmd/pulumi-language-python-exec
            install -m 755 "$shim" "$BIN/" || exit 1
        fi
    ) >"$dir.log" 2>&1; then
        tail -n 30 "$dir.log" >&2
        say "building $bin v$version failed (full log: $dir.log)"
        return 1
    fi
}

SDK_VERSION_VAR=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

# A multi-line secret (an SSH private key, a TLS key) reaches the output and the -v=9 log one line at a
# time when a plugin writes it to stderr: the engine relays stderr line by line (a language host built on
# the Go SDK, pulumi-language-yaml, logs the properties it sends at -v=9), and its secret filter only knows
# whole values. Build the CLI against a copy of the sdk module whose filter also knows each line of 8 or
# more characters of a multi-line secret (test/e2e/yaml.test.ts shows the leak this closes).
patch_sdk() {
    src=$(go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3@v$1")
    rm -rf sdk && cp -r "$src" sdk && chmod -R u+w sdk
    file=sdk/go/common/util/logging/log.go
    anchor='		items = append(items, secret, replacement)'
    [ "$(grep -cxF "$anchor" "$file")" = 1 ] || { echo "patch_sdk: $file changed upstream" >&2; return 1; }
    # The whole secret stays first in the replacer's list, so where it appears whole it is matched whole.
    awk -v anchor="$anchor" '{ print } $0 == anchor {
        print "\t\tfor _, line := range strings.Split(secret, \"\\n\") {"
        print "\t\t\tif line = strings.TrimSuffix(line, \"\\r\"); len(line) >= 8 && line != secret {"
        print "\t\t\t\titems = append(items, line, replacement)"
        print "\t\t\t}"
        print "\t\t}"
    }' "$file" >"$file.new" && mv "$file.new" "$file"
    gofmt -l "$file" | grep -q . && { echo "patch_sdk: $file does not format after the patch" >&2; return 1; }
    go mod edit -replace="github.com/pulumi/pulumi/sdk/v3=./sdk"
}

need_go() {
    command -v go >/dev/null 2>&1 || { say "go is required to build $1 (apt-get install golang, or Go >= 1.26)"; return 1; }
    export GOTOOLCHAIN=local GOFLAGS=-mod=mod
}

# The CLI and the Node host: the bin directory of a matching pair, built into $OUT/bin if there is none.
cli_bin() {
    if have_version "$OUT/bin"; then echo "$OUT/bin"; return; fi
    onpath=$(command -v pulumi 2>/dev/null || true)
    if [ -n "$onpath" ] && have_version "$(dirname "$onpath")"; then dirname "$onpath"; return; fi

    need_go "the Pulumi CLI" || exit 1
    say "building pulumi v$PULUMI_VERSION and pulumi-language-nodejs from the Go module proxy (first run only; ~10-20 min on 2 cores)"
    start=$(date +%s)
    BIN="$OUT/bin"
    say "compiling pulumi v$PULUMI_VERSION"
    build_tool cli "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi "$SDK_VERSION_VAR" \
        github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 || exit 1
    say "compiling pulumi-language-nodejs v$LANGHOST_VERSION"
    build_tool langhost "$LANGHOST_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
        pulumi-language-nodejs "$SDK_VERSION_VAR" github.com/pulumi/pulumi/sdk/v3 || exit 1
    have_version "$OUT/bin" || { say "built binaries do not report v$PULUMI_VERSION"; exit 1; }
    say "built in $(( $(date +%s) - start )) s"
    echo "$OUT/bin"
}

# The YAML and Python hosts, next to the CLI (the engine finds language hosts on PATH), each built once on its
# own: adding them never invalidates a cached CLI. A failed build is reported and leaves the CLI usable.
language_hosts() {
    BIN=$1
    if ! have_tool "$BIN" pulumi-language-yaml "$YAML_VERSION" && need_go pulumi-language-yaml; then
        say "compiling pulumi-language-yaml v$YAML_VERSION (first run only; ~4 min on 2 cores)"
        build_tool yaml "$YAML_VERSION" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml pulumi-language-yaml \
            github.com/pulumi/pulumi-yaml/pkg/version.Version github.com/pulumi/pulumi-yaml &&
            echo "$YAML_VERSION" >"$BIN/.pulumi-language-yaml.version"
    fi
    if ! have_tool "$BIN" pulumi-language-python "$PYTHON_LANGHOST_VERSION" && need_go pulumi-language-python; then
        say "compiling pulumi-language-python v$PYTHON_LANGHOST_VERSION (first run only; ~1 min on 2 cores)"
        build_tool python "$PYTHON_LANGHOST_VERSION" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python \
            pulumi-language-python "$SDK_VERSION_VAR" github.com/pulumi/pulumi/sdk/v3 &&
            echo "$PYTHON_LANGHOST_VERSION" >"$BIN/.pulumi-language-python.version"
    fi
    return 0
}

main() {
    # (build_tool sets globals of its own: bin, dir, version.)
    cli_dir=$(cli_bin)
    language_hosts "$cli_dir"
    echo "$cli_dir"
}

main "$@"
