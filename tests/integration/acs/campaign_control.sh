#!/usr/bin/env bash
# Pause, resume and cancel through cascadectl, the API token, and
# cascadectl's error messages (unreachable API, refused token, bad
# arguments, unknown campaign, wrong state).
# timeout: 90
source "$(dirname "$0")/../lib.sh"

echo "t0ken-$$" >"$TEST_DIR/token"
start_origin
make_image "$TEST_DIR/origin" fw.bin 262144
ACS_EXTRA_ARGS="--api-token-file $TEST_DIR/token" start_acs acs "[campaign]" "fanout = 1" "tick = 100ms" \
  "[connection_request]" "retry-interval = 1s" "username = acs" "password = cr-secret"
ctl() { "$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --token-file "$TEST_DIR/token" "$@"; }

check_equal "API without the token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$ACS_API_URL/api/devices")"
check_equal "API with a wrong token: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$ACS_API_URL/metrics")"
check_equal "API with the token: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer t0ken-$$" "$ACS_API_URL/api/devices")"
output=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" devices 2>&1); status=$?
if [ $status -eq 1 ] && grep -q 'refused the request (401).*--token-file' <<<"$output"; then ok "cascadectl names the missing token"
else not_ok "cascadectl names the missing token" "$status: $output"; fi

# the devices only open sessions when asked: Digest-authenticated connection requests drive the campaign
start_swarm swarm --devices 10 --groups 1 --file-server-ratio 0.2 --concurrency 8 --cr-username acs --cr-password cr-secret
wait_until 30 bash -c "ctl() { '$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' --token-file '$TEST_DIR/token' \"\$@\"; }; test \"\$(ctl devices --json | jq .total)\" = 10" \
  && ok "10 devices registered" || not_ok "devices registered"

# Take the fleet offline so the campaign cannot move before it is paused.
stop_daemon swarm
ctl campaign start --file "$TEST_DIR/origin/fw.bin" --origin "$ORIGIN_URL/fw.bin" >/dev/null && ok "campaign 1 started"
check "pause" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' --token-file '$TEST_DIR/token' campaign pause 1 | grep -q '^campaign 1 paused'"
snapshot=$(ctl --json campaign status 1 | jq -c .counts)
check_equal "the master is queued, the slaves wait" '{"pending":9,"queued":1,"downloading":0,"done":0,"failed":0,"cancelled":0}' "$snapshot"
start_swarm swarm --devices 10 --groups 1 --file-server-ratio 0.2 --concurrency 8 --cr-username acs --cr-password cr-secret --periodic 0.5
sleep 2.5
check_equal "nothing moves while paused, though the devices keep informing" "$snapshot" "$(ctl --json campaign status 1 | jq -c .counts)"
output=$(ctl campaign pause 1 2>&1); status=$?
if [ $status -eq 1 ] && grep -q 'HTTP 409: campaign 1 is paused: cannot pause' <<<"$output"; then ok "pausing twice is refused with the reason"
else not_ok "pausing twice is refused" "$status: $output"; fi
cr_failures() { curl -s -H "Authorization: Bearer t0ken-$$" "$ACS_API_URL/metrics" | awk '/^cascade_acs_connection_request_failures_total/ {print $2}'; }
failures_before=$(cr_failures)
ctl campaign resume 1 >/dev/null && ok "resume"
if ctl campaign watch 1 --interval 0.2 --timeout 60 >/dev/null; then ok "campaign 1 finishes after resume"; else not_ok "campaign 1 finishes after resume"; fi
check_equal "all 10 devices done" 10 "$(ctl --json campaign status 1 | jq .counts.done)"
check_equal "every connection request to the online fleet passed the devices' Digest check" "$failures_before" "$(cr_failures)"
check_equal "a connection request without the password is refused by a device" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$(ctl devices --json | jq -r '.devices[0].connection_request_url')")"

make_image "$TEST_DIR/origin" fw2.bin 262144
ctl campaign start --file "$TEST_DIR/origin/fw2.bin" --origin "$ORIGIN_URL/fw2.bin" >/dev/null && ok "campaign 2 started"
ctl campaign cancel 2 >/dev/null && ok "cancel"
counts=$(ctl --json campaign status 2)
check_equal "cancelled campaign state" cancelled "$(jq -r .state <<<"$counts")"
check_equal "no device is left pending, queued or downloading" 0 "$(jq '.counts.pending + .counts.queued + .counts.downloading' <<<"$counts")"
check_equal "cancelled + done cover every device" 10 "$(jq '.counts.cancelled + .counts.done' <<<"$counts")"
set_before=$(curl -s -H "Authorization: Bearer t0ken-$$" "$ACS_API_URL/metrics" | awk '/^cascade_acs_rpcs_sent_total/ {print $2}')
sleep 1.5
check_equal "a cancelled campaign sends no more RPCs" "$set_before" \
  "$(curl -s -H "Authorization: Bearer t0ken-$$" "$ACS_API_URL/metrics" | awk '/^cascade_acs_rpcs_sent_total/ {print $2}')"
ctl --json campaign status | jq -e '.campaigns | length == 2' >/dev/null && ok "status lists both campaigns"

expect_error() {
  local what=$1 code=$2 pattern=$3 output status
  shift 3
  output=$("$@" 2>&1); status=$?
  if [ $status -eq "$code" ] && grep -q -- "$pattern" <<<"$output"; then ok "$what"; else not_ok "$what" "status $status: $output"; fi
}
expect_error "unknown campaign is named" 1 "no such campaign" ctl campaign status 99
expect_error "start without arguments explains what is needed" 2 "needs --image NAME --origin URL" ctl campaign start
expect_error "bad fanout is named" 2 "bad value 'lots' for --fanout" ctl campaign start --fanout lots
expect_error "bad mode is reported by the API" 1 'mode must be "url" or "spv"' \
  ctl campaign start --file "$TEST_DIR/origin/fw.bin" --origin "$ORIGIN_URL/fw.bin" --mode ftp
expect_error "bad selector is reported by the API" 1 "selector must be field=value" \
  ctl campaign start --file "$TEST_DIR/origin/fw.bin" --origin "$ORIGIN_URL/fw.bin" --selector colour=red
expect_error "unknown command" 2 "unknown command 'frobnicate'" ctl frobnicate
expect_error "unreachable API is named" 1 "cannot reach the API at http://127.0.0.1:1/api/groups" \
  "$CASCADE_BIN/cascadectl" --api http://127.0.0.1:1 groups
expect_error "malformed campaign JSON is refused" 0 "body is not a JSON object" \
  curl -s -H "Authorization: Bearer t0ken-$$" --data-binary '{nope' "$ACS_API_URL/api/campaigns"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
