#!/usr/bin/env bash
# npm test: unit tests, the sandbox tool's own tests, then a fresh sandbox Debian host and the end-to-end
# lifecycle with the real Pulumi CLI. Ends with one summary line `tests: N passed, M failed` over all runs.
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"
cd "$REPO" || exit

# Node keeps V8's compiled code between starts: each of the suite's ~700 Pulumi runs starts a TypeScript program
# (@pulumi/pulumi, ts-node, TypeScript) and the provider, and compiling them was half of a program's CPU (3.1 s of
# a preview's, 1.6 s with the cache). A user can set the same variable; the benchmark (bench/) leaves it unset.
export NODE_COMPILE_CACHE="$MODWSGI_CACHE/node-compile-cache"

results=$(mktemp -d)
status=0

step "sandbox tool tests (up, idempotence, isolation, NAT, down leaves nothing)"
vitest run test/sandbox --reporter=default --reporter=json --outputFile.json="$results/sandbox.json" || status=1

# The hosts start in the background while the unit tests run (two minutes each, side by side); the sandbox tool
# tests come first because they end with `down`, which would take the hosts with it.
start_hosts() {
    set -e
    start=$(date +%s)
    test/sandbox/sandbox.sh down
    test/sandbox/sandbox.sh up 4
    # h29-h31: the SSH tests' own (they count logins); h5 and h6 behind them, the jump chain's hops.
    test/sandbox/sandbox.sh up-one 29
    test/sandbox/sandbox.sh up-one 30
    test/sandbox/sandbox.sh up-one 31
    test/sandbox/sandbox.sh up-behind 5 29
    test/sandbox/sandbox.sh up-behind 6 5
    # h7: Debian 13 (its rootfs is cached like the Debian 12 one; h1-h6 are running, so only h7 starts).
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up 7
    # h8: Debian 12 again, for the ApacheHost test (it switches the MPM); h9 for the examples test.
    test/sandbox/sandbox.sh up 8
    test/sandbox/sandbox.sh up 9
    # h10: a host whose Apache runs under systemd as PID 1; h11 (and h34, below): connection cuts; h12: load under reloads.
    test/sandbox/sandbox.sh up-systemd 10
    test/sandbox/sandbox.sh up 11
    test/sandbox/sandbox.sh up 12
    # h13: Debian 13 for examples/django; h14: releases (h1-h12 are running, so only the new one starts each time).
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up 13
    test/sandbox/sandbox.sh up 14
    # h18: the packaged provider, installed as a user would; h15-h17 come up with it: adoption, import, YAML/Python.
    test/sandbox/sandbox.sh up 18
    # h19 and h32: drift classes 1-7 and 8-14; h20 and h33: the same on Debian 13.
    test/sandbox/sandbox.sh up 19
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up 20
    test/sandbox/sandbox.sh up-one 32
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up-one 33
    test/sandbox/sandbox.sh up-one 34
    # h35 (Debian 13) and h36: the WsgiModule sources test; h37 and h38 (Debian 13): the VirtualHost test.
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up-one 35
    test/sandbox/sandbox.sh up-one 36
    test/sandbox/sandbox.sh up-one 37
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up-one 38
    # h26: telemetry and timeouts; h27 (Debian 13): per-interpreter GIL; h28 (Debian 13): a free-threaded CPython.
    test/sandbox/sandbox.sh up-one 26
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up-one 27
    SANDBOX_SUITE=trixie test/sandbox/sandbox.sh up-one 28
    echo "sandbox ready in $(( $(date +%s) - start )) s" >&2
}
step "sandbox hosts (fresh): h1-h4 and h7-h38 on the bridge, h5 reachable only through h29, h6 only through h5 (h10 systemd; h7, h13, h20, h27, h28, h33, h35, h38 Debian 13; h21-h25 are the benchmark's) (in the background; its log follows the unit tests)"
start_hosts >"$results/hosts.log" 2>&1 &
hosts_pid=$!

step "unit tests"
vitest run test/unit --reporter=default --reporter=json --outputFile.json="$results/unit.json" || status=1

step "sandbox hosts"
if ! wait "$hosts_pid"; then
    status=1
    cat "$results/hosts.log"
    echo "sandbox hosts did not all start: the end-to-end tests cannot run" >&2
    test/sandbox/sandbox.sh down
    echo '{"numPassedTests":0,"numFailedTests":1}' >"$results/hosts.json"
    node scripts/test-summary.mjs "$results"/unit.json "$results"/sandbox.json "$results"/hosts.json
    exit 1
fi
cat "$results/hosts.log"

step "end-to-end tests with the real Pulumi CLI, in groups that share no sandbox host, side by side"
# Each group is one vitest run (its files one after another); its output is printed when it ends.
group=0
pids=()
# At most E2E_JOBS groups at once (default 4): the load tests measure clients under wrk, which a machine of 2
# cores running every group at once would starve.
while read -r files; do
    while [ "$(jobs -rp | wc -l)" -ge "${E2E_JOBS:-4}" ]; do wait -n || true; done
    group=$((group + 1))
    # shellcheck disable=SC2086 # the group's file names, split on purpose
    vitest run $files --reporter=default --reporter=json --outputFile.json="$results/e2e-$group.json" \
        >"$results/e2e-$group.log" 2>&1 &
    pids+=($!)
    echo "e2e group $group: $files" >&2
done < <(node scripts/e2e-groups.mjs)
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
    echo "--- e2e group $((i + 1)) ---"
    cat "$results/e2e-$((i + 1)).log"
    # A run that died before writing its report still counts as a failure.
    [ -s "$results/e2e-$((i + 1)).json" ] || echo '{"numPassedTests":0,"numFailedTests":1}' >"$results/e2e-$((i + 1)).json"
done

[ "${KEEP_SANDBOX:-}" = 1 ] || test/sandbox/sandbox.sh down

# The summary comes last, with each failed test by name, so the tail of a long log says what failed.
node scripts/test-summary.mjs "$results"/unit.json "$results"/sandbox.json "$results"/e2e-*.json
rm -rf "$results"
exit $status
