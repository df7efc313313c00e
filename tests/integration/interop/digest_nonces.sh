#!/usr/bin/env bash
# Digest with cascade's own nonces. 100 devices behind one address
# (cascade-swarm --source-range none) that re-send their last nonce with
# nc=00000001 in every new session are answered 401 stale=true, never
# counted as failed logins: they finish a campaign and the address is
# never refused (429). A captured Authorization header replayed later, from
# another address, is refused by the ACS and by cascade-cpe's
# connection-request listener (and counts as no failed login either).
# SHA-256 Digest works when the ACS offers it.
# timeout: 180
source "$(dirname "$0")/../lib.sh"

devices=100
start_origin
make_image "$TEST_DIR/origin" fw.bin 65536
start_acs acs "[auth]" "mode = digest" "username = cpe" "password = s3cret" "max-failures = 10" "failure-window = 60s" \
  "[connection_request]" "username = $CR_USER" "password = $CR_PASS" "retry-interval = 2s" \
  "[campaign]" "fanout = 20" "tick = 100ms"
start_swarm swarm --devices $devices --file-server-ratio 0 --source-range none --concurrency 16 --periodic 2 \
  --profile nonce-reuse=1 --username cpe --password s3cret
registered() { [ "$(api GET '/api/devices?limit=1' | jq -r .total)" = "$devices" ]; }
wait_until 60 registered && ok "$devices nonce-reusing devices behind one address registered" \
  || not_ok "devices registered" "$(api GET '/api/devices?limit=1' | jq .total)"
swarm_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$TEST_DIR/swarm.log" | head -1)
stale() { curl -s --max-time 10 "$swarm_url/-/stats" | jq '.profiles["nonce-reuse"].stale_nonces'; }
# every device starts at least one more session with its old nonce
wait_until 30 bash -c "test \"\$(curl -s --max-time 10 '$swarm_url/-/stats' | jq '.profiles[\"nonce-reuse\"].stale_nonces')\" -ge $devices" \
  && ok "their old nonces were answered stale=true ($(stale) times)" || not_ok "old nonces answered stale" "$(stale)"
body=$(jq -nc --arg url "$ORIGIN_URL/fw.bin" --arg sha "$IMAGE_SHA256" '{image: "fw.bin", origin_url: $url, size: 65536, sha256: $sha}')
check_equal "campaign started" 1 "$(api POST /api/campaigns "$body" | jq -r .id)"
if wait_until 90 campaign_is 1 done; then ok "the campaign finished"; else not_ok "campaign finished" "$(api GET /api/campaigns/1 | jq -c .counts)"; fi
check_equal "every device done" "$devices 0" "$(api GET /api/campaigns/1 | jq -r '"\(.counts.done) \(.counts.failed)"')"
metrics=$(curl -s "$ACS_API_URL/metrics")
check_equal "the address was never refused (no 429)" "0 0" \
  "$(awk '/^cascade_acs_auth_blocked_addresses_total/ {b=$2} /^cascade_acs_auth_refused_total/ {r=$2} END {print b, r}' <<<"$metrics")"
# (a 503 may come when pooled connections race a session's end: retried)
check_equal "no exchange of the swarm got an HTTP error (401 unanswered, 429)" 0 \
  "$(curl -s "$swarm_url/-/stats" | jq -r .http_errors)"
stop_daemon swarm

# ---- a captured Authorization header, replayed ----------------------------------------
inform_xml REPLAY1 >"$TEST_DIR/inform.xml"
curl -s -v --digest -u cpe:s3cret -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform.xml" -o /dev/null "$ACS_CWMP_URL" \
  2>"$TEST_DIR/capture.txt"
captured=$(grep -i '^> Authorization: Digest' "$TEST_DIR/capture.txt" | sed 's/^> Authorization: //' | tr -d '\r')
check "a Digest login was captured" test -n "$captured"
check_equal "the device was registered once" 1 "$(sqlite3 "$TEST_DIR/acs.db" "select inform_count from devices where serial_number = 'REPLAY1'")"
codes=""
for attempt in $(seq 1 12); do
  codes="$codes$(curl -s -o /dev/null -D "$TEST_DIR/replay.head" -w '%{http_code} ' --interface 127.0.0.2 \
    -H "Authorization: $captured" -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform.xml" "$ACS_CWMP_URL")"
done
check_equal "the ACS refuses the replayed header every time, from another address (401, never 429)" \
  "$(printf '401 %.0s' $(seq 1 12))" "$codes"
check "the refusal says stale=true (a fresh nonce, not a failed login)" grep -qi 'stale=true' "$TEST_DIR/replay.head"
check_equal "the replays registered nothing" 1 "$(sqlite3 "$TEST_DIR/acs.db" "select inform_count from devices where serial_number = 'REPLAY1'")"
check_equal "and blocked no address" 0 "$(curl -s "$ACS_API_URL/metrics" | awk '/^cascade_acs_auth_blocked_addresses_total/ {print $2}')"
stop_daemon acs

# ---- SHA-256 when offered first ---------------------------------------------------------
start_acs sha "[auth]" "mode = digest" "username = cpe" "password = s3cret" "digest-algorithms = SHA-256, MD5"
inform_xml SHA1 >"$TEST_DIR/inform-sha.xml"
status=$(curl -s -v --digest -u cpe:s3cret -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform-sha.xml" -o /dev/null \
  -w '%{http_code}' "$ACS_CWMP_URL" 2>"$TEST_DIR/sha.txt")
check_equal "a SHA-256 Digest login is accepted" 200 "$status"
check "the client answered with algorithm=SHA-256" grep -qi '^> Authorization: Digest .*algorithm=SHA-256' "$TEST_DIR/sha.txt"
check_equal "a wrong password is refused" 401 "$(curl -s -o /dev/null -w '%{http_code}' --digest -u cpe:nope \
  --data-binary @"$TEST_DIR/inform-sha.xml" "$ACS_CWMP_URL")"

# ---- cascade-cpe's connection-request listener ----------------------------------------------
start_cpe gw GW1 --username cpe --password s3cret --periodic-interval 300s
wait_until 20 grep -q 'advertised as http' "$TEST_DIR/gw.log" || { not_ok "cascade-cpe listens" "$(tail -5 "$TEST_DIR/gw.log")"; finish; }
cr_url=$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/gw.log" | head -1 | sed 's/advertised as //')
informs() { sqlite3 "$TEST_DIR/sha.db" "select inform_count from devices where serial_number = 'GW1'" 2>/dev/null; }
wait_until 20 bash -c "test -n \"\$(sqlite3 '$TEST_DIR/sha.db' \"select inform_count from devices where serial_number = 'GW1'\")\""
status=$(curl -s -v --digest -u "$CR_USER:$CR_PASS" -o /dev/null -w '%{http_code}' "$cr_url" 2>"$TEST_DIR/cr.txt")
check_equal "cascade-cpe accepts a Digest connection request" 200 "$status"
captured=$(grep -i '^> Authorization: Digest' "$TEST_DIR/cr.txt" | sed 's/^> Authorization: //' | tr -d '\r')
wait_until 10 bash -c "test \"\$(sqlite3 '$TEST_DIR/sha.db' \"select inform_count from devices where serial_number = 'GW1'\")\" -ge 2"
before=$(informs)
codes=""
for attempt in 1 2 3; do
  codes="$codes$(curl -s -o /dev/null -D "$TEST_DIR/cr-replay.head" -w '%{http_code} ' --interface 127.0.0.2 \
    -H "Authorization: $captured" "$cr_url")"
done
check_equal "cascade-cpe refuses the replayed connection request" "401 401 401 " "$codes"
check "its refusal says stale=true" grep -qi 'stale=true' "$TEST_DIR/cr-replay.head"
sleep 1
check_equal "the replays opened no session" "$before" "$(informs)"
check "cascade-cpe logged the replay as stale, not as a wrong password" grep -q 'stale or replayed nonce' "$TEST_DIR/gw.log"
stop_daemon gw && ok "cascade-cpe stops cleanly"
stop_daemon sha && ok "cascade-acs stops cleanly"
finish
