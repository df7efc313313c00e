#!/usr/bin/env bash
# A relay that has nothing yet for its child is not a relay that is gone.
# The master (a simulated file server) receives the image slowly (8 KiB/s:
# its first 64 KiB piece takes 8 s); a simulated relay under it relays
# while it receives and cuts a reader after 1 s without a checked piece
# (--relay-wait-timeout 1).
# Its own child asks it before any piece came: the relay answers 200 and
# cuts the body before its first byte. The child reports 9017 (started,
# could not finish), as cascade-cpe does for a cut body, not 9016 (an HTTP
# error); the controller does not hold it against a relay still
# receiving: the relay stays in the tree, the child goes to another source
# later, and everyone finishes.
# timeout: 90
source "$(dirname "$0")/../lib.sh"
enter_private_netns

make_image "$TEST_DIR/origin" fw-2.0.bin 131072
start_origin --piece-size 64K || { not_ok "origin starts"; finish; }
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 8" "relay-warmup = 300ms" "source-poll-interval = 500ms" ||
  { not_ok "acs starts"; finish; }
# the master: a simulated file server that receives at 8 KiB/s and is the idlest (it is elected)
start_fleet_swarm master --devices 1 --groups 1 --file-server-ratio 1 --serial-prefix MAST --occupancy 0=100 \
  --download-rate 8192 --upload-rate 1M
# two more, busier: the first placed relays from the master, the other from it
start_fleet_swarm swarm --devices 2 --groups 1 --file-server-ratio 1 --relay-wait-timeout 1 \
  --upload-rate 1M --download-rate 1M --occupancy 0=5000,1=5000
if wait_devices 3 30; then ok "3 devices registered"; else not_ok "devices registered" "$(device_count)"; finish; fi

id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_URL/$IMAGE_NAME" --piece-size 64K | jq -r .id)
campaign_finishes "$id" 3
states=$TEST_DIR/campaign-$id.json
stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
cut=$(jq -r '[.[] | select(.fault != 0 and (.url | test("/d/[0-9]+/")))] | length' "$TEST_DIR/report.json")
if [ "$cut" -ge 1 ]; then ok "a child was cut by its relay before any piece came ($cut time(s))"; else
  not_ok "a relay cut its child" "$(jq -c '.[] | {device, url, fault, bytes_received}' "$TEST_DIR/report.json")"; fi
check_equal "the child reported 9017 (a cut body), never 9016 (an HTTP error)" "9017" \
  "$(jq -r '[.[] | select(.fault != 0) | .fault] | unique | map(tostring) | join(",")' "$TEST_DIR/report.json")"
check_equal "the relay stayed in the tree (no bad source), no master failed" "[] 0" \
  "$(jq -r '.group_details[0] | "\(.bad_masters | tojson) \(.failed_masters)"' "$states")"
check "the controller dropped no relay" bash -c "! grep -q 'leaves the tree' '$TEST_DIR/acs.log'"
check_equal "both simulated devices verified their image" 2 \
  "$(jq '[group_by(.device)[] | last | select(.fault == 0)] | length' "$TEST_DIR/report.json")"

for name in master origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
