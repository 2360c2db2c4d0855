#!/usr/bin/env bash
# Starts the debug build of Herald for the Playwright suite on 127.0.0.1:PORT with a brand-new
# SQLite database under end2end/.data (emptied on every start) and one TenantAdmin, created
# with the operator command as a self-hoster would (tests/support/accounts.ts has its login).
#
# Webhook endpoints are the test receiver (test-receiver crate): an HTTPS server on 127.0.0.1
# for hooks.herald.test with its own test CA. Herald reaches it through its own settings —
# the hosts override, the allow-list for 127.0.0.1 and the extra CA — exactly as a self-hoster
# would for a private endpoint. The receiver's ports go to .data/receiver.json for the specs.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:?usage: start-herald.sh PORT}"
rm -rf .data && mkdir -p .data

../target/debug/test-receiver --ca-file "$PWD/.data/receiver-ca.pem" --host hooks.herald.test \
  > .data/receiver.json &
receiver=$!
trap 'kill "$receiver" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [[ -s .data/receiver.json ]] && break
  sleep 0.1
done
[[ -s .data/receiver.json ]] || { echo "the test receiver did not start" >&2; exit 1; }

export HERALD_LISTEN="127.0.0.1:$port"
export HERALD_PUBLIC_URL="http://127.0.0.1:$port"
export HERALD_DATABASE_URL="sqlite://$PWD/.data/herald.db"
export HERALD_SITE_ROOT="$PWD/../target/site"
export HERALD_DELIVERY_HOSTS="hooks.herald.test=127.0.0.1"
export HERALD_DELIVERY_ALLOW="127.0.0.1/32"
export HERALD_EXTRA_CA_CERTIFICATES="$PWD/.data/receiver-ca.pem"
# Retries come quickly, so a spec can watch a failing delivery end without waiting minutes.
export HERALD_RETRY_SCHEDULE="1s,1s"
HERALD_ADMIN_PASSWORD="e2e admin passphrase" \
  ../target/debug/herald admin create --email admin@herald.test --name "Ada Admin"
../target/debug/herald &
herald=$!
trap 'kill "$herald" "$receiver" 2>/dev/null || true' EXIT
trap 'exit 0' TERM INT
wait "$herald"
