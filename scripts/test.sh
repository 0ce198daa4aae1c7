#!/usr/bin/env bash
# npm test: unit tests, then a fresh sandbox Debian host, then the end-to-end lifecycle with the real
# Pulumi CLI. Ends with one summary line `tests: N passed, M failed` over both runs.
source "$(dirname "$0")/env.sh"
cd "$REPO"

results=$(mktemp -d)
status=0

step "unit tests"
vitest run test/unit --reporter=default --reporter=json --outputFile.json="$results/unit.json" || status=1

step "sandbox host h1 (fresh: Debian 12 rootfs from the cache, sshd, Apache)"
start=$(date +%s)
test/sandbox/sandbox.sh down
test/sandbox/sandbox.sh up 1
echo "sandbox ready in $(( $(date +%s) - start )) s" >&2

step "end-to-end tests (pulumi up/preview/refresh/destroy against h1)"
vitest run test/e2e --reporter=default --reporter=json --outputFile.json="$results/e2e.json" || status=1

[ "${KEEP_SANDBOX:-}" = 1 ] || test/sandbox/sandbox.sh down

node -e '
    let passed = 0, failed = 0;
    for (const f of process.argv.slice(1)) {
        try {
            const r = require(f);
            passed += r.numPassedTests;
            // A file that failed to load counts as one failure even when no test ran.
            failed += r.numFailedTests || (r.success ? 0 : 1);
        } catch { failed += 1; }
    }
    console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results/unit.json" "$results/e2e.json"
rm -rf "$results"
exit $status
