#!/usr/bin/env bash
# Relays that fail, at the controller: the tree re-points their children,
# which resume at their offset; the relay leaves the tree; the campaign is
# not halted and ends with every device done.
#   1. A relay device (cascade-cpe + cascade-master, file server) killed
#      (SIGKILL) while several slaves download from it: they report it gone,
#      the controller drops it and re-points them; they resume with Range
#      from another source and receive exactly the image's bytes in all.
#   2. A simulated relay that sends a flipped byte: the file-server devices
#      it serves catch the bad piece as it lands (9018 naming the piece), the
#      controller drops it, they resume at that piece elsewhere: at most one
#      piece re-downloaded each.
# Runs in a private network namespace with MTU 1500 and small receive
# buffers (as master_killed.sh does: a killed server's socket buffers must
# not deliver what it never sent).
# timeout: 150
source "$(dirname "$0")/../lib.sh"
enter_private_netns 1500
[ -n "${CASCADE_PRIVATE_NETNS:-}" ] || { skip "$(basename "$0")" "needs root and unshare --net (a namespace with MTU 1500)"; exit 0; }

slaves=10
piece=65536
make_image "$TEST_DIR/origin" fw-2.0.bin 1048576
start_origin --piece-size 64K || { not_ok "origin starts"; finish; }
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 8" "relay-warmup = 300ms" "source-poll-interval = 300ms" || { not_ok "acs starts"; finish; }
# M wins the election (the larger bandwidth; occupancy is not measured), R is a relay
start_master_device m MASTERM 0 --bandwidth 200000 || { not_ok "master M starts"; finish; }
start_master_device r RELAYR 0 --bandwidth 100000 || { not_ok "relay R starts"; finish; }
start_fleet_swarm swarm --devices $slaves --groups 1 --download-rate 256K --receive-buffer 64K
wait_devices $((slaves + 2)) 30 && ok "$((slaves + 2)) devices registered" || { not_ok "devices registered"; finish; }
group=$(group_id hw-0)

id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_URL/$IMAGE_NAME" --piece-size 64K | jq -r .id)
relay_key=$(device_key RELAYR)
children_of_relay() {
  api GET "/api/campaigns/$id?devices=1" |
    jq -r --arg r "$relay_key" '[.device_states[] | select(.source == $r and .state == "downloading")] | length'
}
relay_busy() { [ "$(children_of_relay)" -ge 2 ] && [ "$(image_bytes r)" -ge $((IMAGE_SIZE * 3 / 4)) ]; }
if wait_until 40 relay_busy; then
  kill_hard r
  kill_hard r-server
  api GET "/api/campaigns/$id?devices=1" |
    jq -c --arg r "$relay_key" '[.device_states[] | select(.source == $r and .state == "downloading") | .key | sub(".*-"; "")]' \
    >"$TEST_DIR/children"
  ok "relay R killed (SIGKILL) while $(jq length "$TEST_DIR/children") slaves downloaded from it"
else
  not_ok "relay R serves slaves" "$(campaign_json "$id" | jq -c '[.device_states[] | {key, state, source}]')"$'\n'"$(diagnose)"
  finish
fi
campaign_finishes "$id" $((slaves + 2)) "(R held the whole image before it died)"
states=$TEST_DIR/campaign-$id.json
check_equal "R left the tree (a bad source); M is still the master, no master failed" \
  "[\"$relay_key\"] $(device_key MASTERM) 0" \
  "$(group_detail "$states" "$group" '"\(.bad_masters | tojson) \(.master) \(.failed_masters)"')"
check "the controller logged why" grep -q "relay $relay_key leaves the tree (a child cannot download from it" \
  "$TEST_DIR/acs.log"
check_equal "the campaign was not halted, nobody failed" "done 0" "$(jq -r '"\(.state) \(.counts.failed)"' "$states")"
stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
final() { jq -r --argjson size "$IMAGE_SIZE" --arg r "${MASTER_URL[r]}" "$@" "$TEST_DIR/report.json"; }
check_equal "every slave ends with a verified image" $slaves \
  "$(final '[group_by(.device)[] | last | select(.fault == 0 and .hashed)] | length')"
# R's children still downloading when it died (one may have just finished)
final --slurpfile children "$TEST_DIR/children" '[group_by(.device)[] | last |
  select((.serial as $s | $children[0] | index($s)) and (.url | startswith($r) | not))]' >"$TEST_DIR/cut"
if [ "$(jq length "$TEST_DIR/cut")" -ge 1 ]; then ok "$(jq length "$TEST_DIR/cut") slaves were cut off by R's death"; else
  not_ok "slaves cut off by R's death" "$(cat "$TEST_DIR/children")"; fi
check_equal "they resumed at their offset with Range elsewhere, receiving exactly the image's bytes in all" \
  "$(jq length "$TEST_DIR/cut") $IMAGE_SIZE $IMAGE_SIZE 0" \
  "$(jq -r '"\([.[] | select(.range_requests >= 1)] | length) \(map(.bytes_received) | min) \(map(.bytes_received) | max) \(map(.bytes_discarded) | max)"' "$TEST_DIR/cut")"
for name in m m-server; do stop_daemon "$name"; done
stop_daemon acs

# --- 2: a relay serving a bad piece ------------------------------------------
restart_acs acs || { not_ok "acs restarts"; finish; }
make_image "$TEST_DIR/origin" fw-2.1.bin 1048576
curl -s -X POST "$ORIGIN_BASE/-/reload" >/dev/null
# every simulated device a file server that checks pieces; 0 the master, 1 lies; informing in
# turn (--ramp), their ids follow their numbers, so 1 is the first relay placed under the master
start_fleet_swarm liars --devices 12 --ramp 2 --groups 1 --serial-prefix LIAR --hardware-prefix liar- --file-server-ratio 1 \
  --occupancy 0=0,1=1 --corrupt-servers 1 --upload-rate 1M --download-rate 1M
wait_devices 24 30 && ok "12 more devices registered" || { not_ok "devices registered"; finish; }
id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_BASE/images/$IMAGE_NAME" --piece-size 64K --selector hardware_version=liar-0 | jq -r .id)
campaign_finishes "$id" 12
states=$TEST_DIR/campaign-$id.json
liar_key=$FLEET_OUI-$FLEET_PRODUCT_CLASS-LIAR000001
check_equal "the lying relay left the tree; the campaign was not halted" "[\"$liar_key\"] done" \
  "$(jq -r '"\(.group_details[0].bad_masters | tojson) \(.state)"' "$states")"
check "the controller logged the bad bytes" grep -q "relay $liar_key leaves the tree (a child reported fault 9018" \
  "$TEST_DIR/acs.log"
stop_daemon liars
report_lines liars '.' >"$TEST_DIR/liars.json"
caught=$(jq -r '[.[] | select(.fault == 9018) | .device] | unique | length' "$TEST_DIR/liars.json")
if [ "$caught" -ge 1 ]; then ok "$caught devices caught the bad piece from the liar"; else
  not_ok "the bad piece was caught" "$(jq -c '.[] | {device, fault, url}' "$TEST_DIR/liars.json")"; fi
check_equal "each of them resumed elsewhere, re-downloading at most one piece; every image verified" \
  "$caught yes 12" \
  "$(jq -r --argjson piece $piece --argjson size "$IMAGE_SIZE" '
    . as $all | [.[] | select(.fault == 9018) | .device] | unique as $caught |
    [$all | group_by(.device)[] | last] as $last |
    "\([$last[] | select(.device as $d | $caught | index($d)) | select(.range_requests >= 1)] | length) " +
    "\(if [$last[] | .bytes_received] | max <= $size + $piece then "yes" else "no" end) " +
    "\([$last[] | select(.fault == 0 and .hashed)] | length)"' "$TEST_DIR/liars.json")"

stop_daemon origin
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
