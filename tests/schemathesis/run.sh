#!/usr/bin/env bash
# schemathesis (a real client nobody here wrote) against the served OpenAPI
# document, once per role: admin, county staff, publisher, agency. Starts
# `jobmatch serve` on a fresh SQLite store and a free port; fails on any
# server error, undocumented status, wrong content type or a response that
# does not match its schema.
#   bash tests/schemathesis/run.sh [path/to/jobmatch] [max examples per operation]
set -euo pipefail
BIN=${1:-target/release/jobmatch}
EXAMPLES=${2:-15}
command -v schemathesis >/dev/null || { echo "schemathesis is not installed (pip install schemathesis)"; exit 1; }
TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export JOBMATCH_DATA_DIR=$TMP/data JOBMATCH_LISTEN=127.0.0.1:$PORT
export JOBMATCH_DATABASE_URL=sqlite://$TMP/data/jobmatch.db
# Generated requests fail authentication on purpose; do not throttle them.
export JOBMATCH_AUTH_FAILURES_PER_MINUTE=100000 JOBMATCH_AGENCY_RATE_LIMIT_PER_MINUTE=100000
"$BIN" serve >"$TMP/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
BASE=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
ADMIN=$("$BIN" keys create --org 市人社局 --kind bureau --role admin --region 330400 | tail -1)
key_for() { # name kind region role
  local org
  org=$(curl -fs -XPOST "$BASE/v1/orgs" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"name\":\"$1\",\"kind\":\"$2\",\"region_code\":\"$3\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -fs -XPOST "$BASE/v1/orgs/$org/keys" -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d "{\"role\":\"$4\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}
STAFF=$(key_for 南湖区人社局 bureau 330402 staff)
PUBLISHER=$(key_for 南湖零工市场 gig_market 330402 publisher)
AGENCY=$(key_for 嘉禾人力资源公司 hr_agency 330400 agency)
rc=0
# Whether the server still takes a role's key (not 401): a run whose key was
# revoked or whose organisation was deactivated would test nothing but 401s.
accepted() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/jobs" -H "Authorization: Bearer ${!1}")" != 401 ]
}
# Admin last: its run follows the document's links to deactivate
# organisations and revoke keys, the other roles' among them.
for role in STAFF PUBLISHER AGENCY ADMIN; do
  if ! accepted "$role"; then
    echo "the $role key is refused before its run: the run would test nothing"; rc=1; continue
  fi
  echo "== schemathesis as $role"
  # From the scratch folder: schemathesis keeps a cache where it runs.
  (cd "$TMP" && schemathesis run "$BASE/openapi.json" --url "$BASE" \
    -H "Authorization: Bearer ${!role}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" --seed 20261201 --phases coverage,fuzzing \
    --generation-database none --request-timeout 30 --no-color --output-truncate true --workers 2) || rc=1
done
if grep -q '"level":"ERROR"\|ERROR' "$TMP/server.log"; then
  echo "server logged errors:"; grep 'ERROR' "$TMP/server.log" | head -20; rc=1
fi
exit $rc
