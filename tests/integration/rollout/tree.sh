#!/usr/bin/env bash
# A tree of sources: one group of 24 devices (a master device, cascade-cpe +
# cascade-master, and 23 simulated ones, 5 of them file servers that check
# pieces and relay, 4 stock CPEs), gateway links emulated (2 MB/s up and
# down per device), a campaign with a piece list. The origin answers one
# request; slaves are served by slaves (the tree is two levels deep or
# more), some while their source was still receiving the image; stock
# devices only ever download; every device verifies its image.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
enter_private_netns

simulated=23
make_image "$TEST_DIR/origin" fw-2.0.bin $((2 * 1048576))
start_origin --piece-size 64K || { not_ok "origin starts"; finish; }
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 8" "relay-warmup = 300ms" "source-poll-interval = 500ms" || { not_ok "acs starts"; finish; }
start_master_device m0 MASTER0 0 --bandwidth 16000 --download-rate-limit 2M || { not_ok "master starts"; finish; }
# devices 0..4 are file servers (the first of the group), 4 of the rest stock CPEs
start_fleet_swarm swarm --devices $simulated --groups 1 --file-server-ratio 0.2 --stock-ratio 0.2 \
  --upload-rate 2M --download-rate 2M
if wait_devices $((simulated + 1)) 30; then ok "$((simulated + 1)) devices registered"; else
  not_ok "devices registered" "$(device_count)"; finish; fi

started=$(now_ms)
id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_URL/$IMAGE_NAME" --piece-size 64K --mode spv | jq -r .id)
campaign_finishes "$id" $((simulated + 1))
api GET '/api/devices?limit=100' >"$TEST_DIR/devices.json"
states=$TEST_DIR/campaign-$id.json
check_equal "the origin answered one request: the group's master" 1 "$(image_requests origin)"
check_equal "the campaign ran a tree" tree "$(jq -r .rollout.sources "$states")"

# depth of every member below the master (its chain of sources)
depth=$(jq -r '[.device_states[] | {key, source}] as $all |
  def up($key; $n): ($all[] | select(.key == $key) | .source) as $s | if $s == null or $n > 30 then $n else up($s; $n + 1) end;
  [$all[] | up(.key; 0)] | max' "$states")
if [ "$depth" -ge 2 ]; then ok "slaves were served by slaves: the tree is $depth levels deep"; else
  not_ok "a slave served by a slave" "depth $depth: $(jq -c '[.device_states[] | {key, source}]' "$states")"; fi
served_by_relays=$(jq -r '(.device_states[] | select(.role == "master") | .key) as $master |
  [.device_states[] | select(.source != null and .source != $master)] | length' "$states")
if [ "$served_by_relays" -ge 5 ]; then ok "$served_by_relays devices downloaded from a relay, not the master"; else
  not_ok "relays served devices" "$served_by_relays"; fi
check_equal "stock devices are leaves: none is anyone's source" 0 \
  "$(jq -r --slurpfile devices "$TEST_DIR/devices.json" \
    '[$devices[0].devices[] | select(.cascade | not) | .key] as $stock | [.device_states[] | select(.source as $s | $stock | index($s))] | length' \
    "$states")"
check_equal "4 stock devices took part" 4 "$(jq '[.devices[] | select(.cascade | not)] | length' "$TEST_DIR/devices.json")"

stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
check_equal "every simulated device verified the SHA-256 of its image" $simulated \
  "$(jq '[group_by(.device)[] | last | select(.fault == 0 and .hashed)] | length' "$TEST_DIR/report.json")"
# a simulated relay's URL is BASE/d/N/...: did a child start before N itself was done?
overlapped=$(jq -r '
  (map(select(.fault == 0)) | map({key: (.device | tostring), value: .time_ms}) | from_entries) as $done |
  [.[] | select(.fault == 0 and (.url | test("/d/[0-9]+/"))) |
   {start: (.time_ms - .seconds * 1000), source: (.url | capture("/d/(?<n>[0-9]+)/").n)} |
   select(.start < $done[.source])] | length' "$TEST_DIR/report.json")
if [ "$overlapped" -ge 1 ]; then ok "$overlapped downloads started before their relay had the whole image (cut-through)"
else not_ok "relays served while receiving" "$(jq -c '.[] | {device, url, time_ms, seconds}' "$TEST_DIR/report.json")"; fi
check_equal "no device received more than the image" "$IMAGE_SIZE" \
  "$(jq '[group_by(.device)[] | last | .bytes_received] | max' "$TEST_DIR/report.json")"
last=$(jq 'map(select(.fault == 0) | .time_ms) | max' "$TEST_DIR/report.json")
echo "# makespan $((last - started)) ms for $((simulated + 1)) devices, 2 MiB, 2 MB/s links"

for name in m0 m0-server origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
