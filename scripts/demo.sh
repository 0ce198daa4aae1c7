#!/usr/bin/env bash
# npm run demo: everything from a fresh Debian machine to a Flask page served by mod_wsgi on a sandbox host.
# shellcheck source=scripts/env.sh
source "$(dirname "$0")/env.sh"

step "sandbox host h1 (Debian 12 in its own network namespace, with sshd and Apache)"
"$REPO/test/sandbox/sandbox.sh" up 1

cd "$REPO" || exit
export PULUMI_BACKEND_URL="file://$MODWSGI_CACHE/demo-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-modwsgi-demo}"
mkdir -p "$MODWSGI_CACHE/demo-state"
pulumi stack select --create demo >/dev/null

step "pulumi up (quickstart: examples/flask-hello)"
pulumi up --yes --skip-preview --refresh

url=$(pulumi stack output url)
step "GET $url"
body=""
for _ in $(seq 1 30); do
    body=$(curl -fsS "$url" 2>/dev/null) && break
    sleep 1
done
echo "$body"
[ -n "$body" ] || { echo "no answer from $url" >&2; exit 1; }
step "Apache's error log on h1 names the module it loaded"
"$REPO/test/sandbox/sandbox.sh" ssh h1 "grep -o 'Apache/[^ ]* (Debian) mod_wsgi/[^ ]* Python/[^ ]*' /var/log/apache2/error.log | tail -n 1"
echo
echo "Done. Try: curl $url   |   tear down: pulumi destroy --yes (PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL), then test/sandbox/sandbox.sh down"
