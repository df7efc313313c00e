#!/usr/bin/env bash
# The console's API and CLI verbs against cascade-acs and a 12-device swarm
# in one group (device 5's downloads always fault; devices 8-11 download
# slowly): sorted and filtered device lists with a fault column, a
# device's timeline, elections explained (API and cascadectl groups), a
# campaign's faults listed, cleared and retried (API and cascadectl
# faults), its report (text, JSON, CSV), and cancel: the slow transfers
# already running are recorded as they end (done, never cancelled), watch
# exits 4 and its lines carry timestamps.
# timeout: 150
source "$(dirname "$0")/../lib.sh"

start_origin
make_image "$TEST_DIR/origin" fw.bin 1048576
make_image "$TEST_DIR/origin" fw2.bin 1048576
start_acs acs "[campaign]" "tick = 100ms" "fanout = 4" "max-attempts = 2" "[connection_request]" "retry-interval = 1s"
start_swarm swarm --devices 12 --groups 1 --file-server-ratio 0.25 --fault-devices 5 --slow-devices 8,9,10,11 \
  --slow-rate 128K --concurrency 8 --periodic 20
ctl() { "$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" "$@"; }
wait_until 30 bash -c "test \"\$(curl -s '$ACS_API_URL/api/devices' | jq .total)\" = 12" && ok "12 devices registered" \
  || not_ok "12 devices registered"

# ---- device lists: sorted, searched, filtered -----------------------------------------------
keys=$(api GET '/api/devices?sort=key' | jq -r '.devices[].key')
check_equal "sort=key lists the keys in order" "$(sort <<<"$keys")" "$keys"
check_equal "order=desc reverses it" "$(sort -r <<<"$keys")" "$(api GET '/api/devices?sort=key&order=desc' | jq -r '.devices[].key')"
occupancies=$(api GET '/api/devices?sort=occupancy' | jq -r '.devices[].cpu_occupancy')
check_equal "sort=occupancy orders by CPU occupancy" "$(sort -n <<<"$occupancies")" "$occupancies"
check_equal "q finds a device by a piece of its serial" "C4C4DE-SwarmGW-SWARM000007" \
  "$(api GET '/api/devices?q=rm000007' | jq -r '[.devices[].key] | join(",")')"
check_equal "a bad sort field is refused" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$ACS_API_URL/api/devices?sort=colour")"
check_equal "cascadectl devices sorts by key" "$(sort <<<"$keys" | head -3)" \
  "$(ctl devices | awk 'NR > 1 && NR <= 4 { print $1 }')"
check "cascadectl devices has a FAULT column" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' devices | head -1 | grep -q 'FAULT (OPEN)'"

# ---- elections explained ------------------------------------------------------------------
groups=$(api GET /api/groups)
check_equal "one group, its master among 3 candidates" "1 3" "$(jq -r '"\(.groups | length) \(.groups[0].candidates_total)"' <<<"$groups")"
check_equal "the master's reason says why it was elected" master \
  "$(jq -r --arg m "$(jq -r '.groups[0].master' <<<"$groups")" '.groups[0].candidates[] | select(.key == $m) | .verdict' <<<"$groups")"
check "every other candidate says why it was passed over" \
  test "$(jq '[.groups[0].candidates[] | select(.verdict == "passed over" and (.reason | startswith("passed over:")))] | length' <<<"$groups")" = 2
check "each candidate carries its figures" \
  test "$(jq '[.groups[0].candidates[] | select(.cpu_occupancy != null and .cache_size > 0 and .bandwidth > 0 and .file_server.enable)] | length' <<<"$groups")" = 3
output=$(ctl groups)
if grep -q "elected: lowest CPU occupancy" <<<"$output" && grep -q "passed over: busier" <<<"$output"; then
  ok "cascadectl groups gives each candidate's reason"
else not_ok "cascadectl groups gives each candidate's reason" "$output"; fi

# ---- a campaign with a faulty device: faults, report, retry -----------------------------------------
ctl campaign start --file "$TEST_DIR/origin/fw.bin" --origin "$ORIGIN_URL/fw.bin" >/dev/null && ok "campaign 1 started"
ctl campaign watch 1 --interval 0.3 --timeout 90 >"$TEST_DIR/watch1.txt"
check_equal "watch exits 1: one device failed" 1 "$?"
check "watch lines start with a UTC timestamp" \
  grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z campaign 1 ' "$TEST_DIR/watch1.txt"
faulty=C4C4DE-SwarmGW-SWARM000005
faulty_id=$(api GET "/api/devices?q=SWARM000005" | jq -r '.devices[0].id')
faults=$(api GET "/api/faults?device=$faulty")
check_equal "the faulty device's two attempts are two open faults of campaign 1" "2 9010 1" \
  "$(jq -r '"\(.total) \(.faults[0].code) \(.faults[0].campaign)"' <<<"$faults")"
check_equal "filters: by code and campaign" 2 "$(api GET '/api/faults?code=9010&campaign=1' | jq .total)"
check_equal "filters: another code finds none" 0 "$(api GET '/api/faults?code=9018' | jq .total)"
check_equal "the device list shows its fault" "9010 2" \
  "$(api GET '/api/devices?fault=any' | jq -r '.devices[] | "\(.last_fault.code) \(.open_faults)"')"
check_equal "cascadectl devices --fault any shows it, with its code and count" "C4C4DE-SwarmGW-SWARM000005 9010 (2)" \
  "$(ctl devices --fault any --search swarm00000 | awk 'NR == 2 { print $1, $(NF - 1), $NF }')"
check_equal "cascadectl devices --state failed finds the same one" C4C4DE-SwarmGW-SWARM000005 \
  "$(ctl --json devices --state failed | jq -r '[.devices[].key] | join(",")')"
check "cascadectl faults lists them" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' faults --campaign 1 | grep -c '$faulty.*9010' | grep -qx 2"
device=$(api GET "/api/devices/$faulty_id")
check "the device's timeline holds its Informs, RPCs, transfers and faults" \
  test "$(jq '[.events[].kind] | unique | join(",")' <<<"$device")" = '"fault,inform,rpc,transfer"'
check_equal "... and its open faults" 2 "$(jq '.faults | length' <<<"$device")"

report=$(ctl --json campaign report 1)
check_equal "report: 11 done, 1 failed" "11 1" "$(jq -r '"\(.counts.done) \(.counts.failed)"' <<<"$report")"
check_equal "report: the origin served one request (the master's) against 12 direct" "1 12 1048576" \
  "$(jq -r '"\(.origin.requests) \(.origin.direct_requests) \(.origin.bytes)"' <<<"$report")"
check "report: a makespan from start to end" test "$(jq '.makespan_ms == (.finished_ms - .started_ms) and .makespan_ms > 0' <<<"$report")" = true
csv=$(ctl campaign report 1 --csv)
check_equal "report --csv: a header, one group, a total" 3 "$(wc -l <<<"$csv")"
check "report --csv: the total row" grep -qx 'total,,12,11,1,0,0,1,1048576,10,,,' <<<"$csv"
check "report (text) names the makespan" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' campaign report 1 | grep -q '^makespan   [0-9.]* s'"

first=$(jq -r '.faults[1].id' <<<"$faults")
check_equal "clear one fault by id" '{"cleared":1}' "$(api POST /api/faults/clear "{\"id\": $first}")"
check_equal "clear without saying which is refused" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{}' "$ACS_API_URL/api/faults/clear")"
check_equal "the cleared one is listed as cleared" "$first" "$(api GET '/api/faults?cleared=cleared' | jq -r '.faults[0].id')"
output=$(ctl faults retry --device "$faulty")
check_equal "cascadectl faults retry sends the failed device again" "1 devices retried, 1 faults cleared" "$output"
ctl campaign watch 1 --interval 0.3 --timeout 60 >/dev/null
check_equal "it fails again (its downloads always fault): campaign 1 done, 1 failed" "done 1" \
  "$(api GET /api/campaigns/1 | jq -r '"\(.state) \(.counts.failed)"')"
check_equal "two new open faults" 2 "$(api GET "/api/faults?device=$faulty_id" | jq .total)"
check_equal "retrying a device that has not failed is refused" 409 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"device": "C4C4DE-SwarmGW-SWARM000007"}' "$ACS_API_URL/api/faults/retry")"
check_equal "cascadectl faults clear --code clears them" "2 faults cleared" "$(ctl faults clear --code 9010)"
check_equal "no device has an open fault now" 0 "$(api GET '/api/devices?fault=any' | jq .total)"

# ---- cancel: running transfers are recorded as they end --------------------------------------
ctl campaign start --file "$TEST_DIR/origin/fw2.bin" --origin "$ORIGIN_URL/fw2.bin" --fanout 4 >/dev/null && ok "campaign 2 started"
# the slow devices come first in no particular order; wait until four slaves download at once
slow_running() { api GET '/api/campaigns/2?devices=1' | jq -e '[.device_states[] | select(.state == "downloading" and (.key | test("SWARM0000(08|09|10|11)")))] | length >= 1' >/dev/null; }
wait_until 60 slow_running && ok "slow devices are downloading" || not_ok "slow devices are downloading"
slow_downloading=$(api GET '/api/campaigns/2?devices=1' |
  jq -r '[.device_states[] | select(.state == "downloading" and (.key | test("SWARM0000(08|09|10|11)"))) | .key] | sort | join(",")')
ctl campaign cancel 2 >/dev/null && ok "campaign 2 cancelled"
before=$(api GET '/api/campaigns/2?devices=1')
running=$(jq '[.device_states[] | select(.state == "downloading" or .state == "queued")] | length' <<<"$before")
check "some transfers were still running when it was cancelled ($running)" test "$running" -ge 1
check_equal "the campaign is cancelled at once" cancelled "$(jq -r .state <<<"$before")"
check_equal "the slow devices downloading then are not called cancelled" "$slow_downloading" \
  "$(jq -r --arg keys "$slow_downloading" '[.device_states[] | select(.key as $k | $keys | split(",") | index($k)) | select(.state != "cancelled") | .key] | sort | join(",")' <<<"$before")"
ctl campaign watch 2 --interval 0.3 --timeout 10 >"$TEST_DIR/watch2.txt" 2>"$TEST_DIR/watch2.err"
check_equal "watch exits 4 on a cancelled campaign" 4 "$?"
check "... and says transfers still run" grep -q "was cancelled" "$TEST_DIR/watch2.err"
settled() { api GET /api/campaigns/2 | jq -e '.counts.downloading + .counts.queued == 0' >/dev/null; }
wait_until 60 settled && ok "the running transfers ended" || not_ok "the running transfers ended"
after=$(api GET /api/campaigns/2)
done_before=$(jq '.counts.done' <<<"$before")
check_equal "each running transfer was recorded as done, none as cancelled" "$((done_before + running))" \
  "$(jq '.counts.done + .counts.failed' <<<"$after")"
check_equal "still cancelled" cancelled "$(jq -r .state <<<"$after")"
check_equal "the slow devices' transfers ended done" "$slow_downloading" \
  "$(api GET '/api/campaigns/2?devices=1' | jq -r --arg keys "$slow_downloading" '[.device_states[] | select(.key as $k | $keys | split(",") | index($k)) | select(.state == "done") | .key] | sort | join(",")')"
check_equal "every device is accounted for" 12 "$(jq '.counts.done + .counts.failed + .counts.cancelled' <<<"$after")"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
