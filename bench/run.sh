#!/bin/bash
# npm run bench: installs what the bench needs (outside the repo, cached in $MODWSGI_CACHE/bench), then runs
# bench/run.mjs on sandbox hosts h21..h25 (BENCH_HOSTS to change; BENCH_RUNS, default 5, runs per figure).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/../scripts/env.sh
source scripts/env.sh

BENCH_CACHE="$MODWSGI_CACHE/bench"
export ANSIBLE_VENV="$BENCH_CACHE/ansible-venv"
if [ ! -x "$ANSIBLE_VENV/bin/ansible-playbook" ]; then
    step "ansible-core into $ANSIBLE_VENV"
    mkdir -p "$BENCH_CACHE"
    rm -rf "$ANSIBLE_VENV"
    python3 -m venv "$ANSIBLE_VENV"
    # 2.19 is the newest line that runs on this machine's Python 3.11.
    "$ANSIBLE_VENV/bin/pip" install -q 'ansible-core>=2.19,<2.20'
fi
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

# Our side runs as a user installs it: the plugin archive and the SDK package that `npm run package` builds
# (the bundled plugin, the compiled SDK), not the repository's sources.
step "the provider and its SDK as packaged (npm run package)"
npm run --silent package >/dev/null
rm -rf bench/.work/plugin bench/node_modules/@pulumi/modwsgi
mkdir -p bench/.work/plugin bench/node_modules/@pulumi/modwsgi
# The amd64 and arm64 archives hold the same bytes (nothing in them is compiled).
tar -xzf "dist/package/pulumi-resource-modwsgi-v$(node -p 'require("./package.json").version')-linux-amd64.tar.gz" \
    -C bench/.work/plugin
tar -xzf dist/package/pulumi-modwsgi-*.tgz -C bench/node_modules/@pulumi/modwsgi --strip-components=1

step "benchmark (30-35 minutes on 2 cores with the defaults; BENCH_SCALING_RUNS=5 about 40 more)"
exec node bench/run.mjs
