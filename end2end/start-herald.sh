#!/usr/bin/env bash
# Starts the debug build of Herald for the Playwright suite on 127.0.0.1:PORT with a brand-new
# SQLite database under end2end/.data (emptied on every start) and one TenantAdmin, created
# with the operator command as a self-hoster would (tests/support/accounts.ts has its login).
set -euo pipefail
cd "$(dirname "$0")"
port="${1:?usage: start-herald.sh PORT}"
rm -rf .data && mkdir -p .data
export HERALD_LISTEN="127.0.0.1:$port"
export HERALD_PUBLIC_URL="http://127.0.0.1:$port"
export HERALD_DATABASE_URL="sqlite://$PWD/.data/herald.db"
export HERALD_SITE_ROOT="$PWD/../target/site"
HERALD_ADMIN_PASSWORD="e2e admin passphrase" \
  ../target/debug/herald admin create --email admin@herald.test --name "Ada Admin"
exec ../target/debug/herald
