#!/usr/bin/env bash
# Failure scenario 3: a group without an eligible master. Group hw-0 has a
# master device; group hw-1's only file server has not informed within
# [election] max_inform_age, so the election finds nobody there and the
# whole group (its slaves and that device) falls back to the origin, while
# hw-0 goes through its master as usual. Every device ends with a verified
# image.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

slaves=20
make_image "$TEST_DIR/origin" fw-2.0.bin 1048576
start_origin
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 16" "[election]" "max-inform-age = 3s"
# master 0 informs every second; master 1 only at start (periodic: 60 s)
start_master_device m0 MASTER0 0 --bandwidth 100000 --periodic-interval 1s
start_master_device m1 MASTER1 1 --bandwidth 100000
start_fleet_swarm swarm --devices $slaves --groups 2
wait_devices $((slaves + 2)) 30 && ok "$((slaves + 2)) devices registered" || { not_ok "devices registered"; finish; }
group0=$(group_id hw-0)
group1=$(group_id hw-1)
last_inform() { api GET /api/devices | jq -r --arg k "$(device_key "$1")" '.devices[] | select(.key == $k) | .last_inform'; }
stale() { [ $(( $(date +%s) - $(last_inform MASTER1) )) -gt 3 ]; }
if wait_until 15 stale; then
  ok "hw-1's only file server last informed $(( $(date +%s) - $(last_inform MASTER1) )) s ago (max_inform_age 3 s)"
else not_ok "master 1's Inform gets stale" "$(last_inform MASTER1)"; fi

id=$(start_image_campaign)
campaign_finishes "$id" "$((slaves + 2))"
check_equal "hw-1: no master, falls back to the origin (no failed master involved)" "null true 0" \
  "$(group_detail "$TEST_DIR/campaign-$id.json" "$group1" '"\(.master) \(.fallback_origin) \(.failed_masters)"')"
check_equal "hw-0: its master serves" "$(device_key MASTER0) false" \
  "$(group_detail "$TEST_DIR/campaign-$id.json" "$group0" '"\(.master) \(.fallback_origin)"')"
check_equal "all 11 hw-1 devices downloaded from the origin" 11 \
  "$(jq -r --argjson g "$group1" '[.device_states[] | select(.group == $g and .source == null and .state == "done")] | length' \
    "$TEST_DIR/campaign-$id.json")"
check_equal "all 10 hw-0 slaves downloaded from their master" 10 \
  "$(jq -r --argjson g "$group0" --arg m "$(device_key MASTER0)" \
    '[.device_states[] | select(.group == $g and .role == "slave" and .source == $m)] | length' "$TEST_DIR/campaign-$id.json")"
check_equal "origin requests: hw-0's master + the 11 devices of hw-1" 12 "$(image_requests origin)"
check "the small-cache device fetched from the origin like a slave" grep -q "fetching $ORIGIN_URL/$IMAGE_NAME" "$TEST_DIR/m1.log"

stop_daemon swarm
check_equal "every slave verified its image; hw-1's came from the origin, hw-0's from the master" "20 10 10" \
  "$(report_lines swarm --arg o "$ORIGIN_BASE" --arg m "${MASTER_URL[m0]}" \
    '"\([.[] | select(.fault == 0 and .hashed)] | length) \([.[] | select(.group == 1 and (.url | startswith($o)))] | length) \([.[] | select(.group == 0 and (.url | startswith($m)))] | length)"')"

for name in m0 m1 m0-server m1-server origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon stopped cleanly"
finish
