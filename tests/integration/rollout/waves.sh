#!/usr/bin/env bash
# Waves: two groups of 20 simulated devices (one file server each, elected
# master). Group hw-0 runs in waves 10%,50%,100% with a 100% success
# threshold: no device of a wave starts before every device of the waves
# before it is done, and the campaign ends done. Group hw-1's devices (all
# but its master) fail every download: its campaign, waves 10%,50% with a
# 20% error threshold, halts in wave 1 and nobody of wave 2 downloads.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
enter_private_netns

devices=40
make_image "$TEST_DIR/origin" fw-2.0.bin 262144
start_origin || { not_ok "origin starts"; finish; }
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 4" || { not_ok "acs starts"; finish; }
# device n is in group n % 2; the first of each group (0 and 1) is its file server;
# the odd devices (hw-1) but 1 fail their downloads
faulty=$(seq -s, 3 2 39)
start_fleet_swarm swarm --devices $devices --groups 2 --file-server-ratio 0.05 --occupancy 0=0,1=0 \
  --download-rate 1M --fault-devices "$faulty"
if wait_devices $devices 30; then ok "$devices devices registered"; else
  not_ok "devices registered" "$(device_count)"; finish; fi
api GET '/api/devices?limit=100' >"$TEST_DIR/devices.json"

# --- waves that open on success ---------------------------------------------
id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_URL/$IMAGE_NAME" --no-pieces --selector hardware_version=hw-0 --waves 10%,50% --wave-success 100 | jq -r .id)
check_equal "the campaign has three waves (100% added)" "3 1 100" \
  "$(api GET "/api/campaigns/$id" | jq -r '.rollout.waves | "\(.count) \(.open) \(.success_threshold_percent)"')"
campaign_finishes "$id" 20
check_equal "every wave opened" 3 "$(jq -r .rollout.waves.open "$TEST_DIR/campaign-$id.json")"
check "the controller logged wave 2 opening" grep -q "campaign $id: wave 2 of 3 opens" "$TEST_DIR/acs.log"
check "and wave 3" grep -q "campaign $id: wave 3 of 3 opens" "$TEST_DIR/acs.log"
# a device's wave is its rank by id in its group: 2 devices in wave 1, 8 more in wave 2, 10 in wave 3
report_lines swarm '.' >"$TEST_DIR/report.json"
check "no device of a wave started before every device of the waves before it was done" python3 - \
  "$TEST_DIR/devices.json" "$TEST_DIR/report.json" "$TEST_DIR/campaign-$id.json" <<'PY'
import json, sys
devices = [d for d in json.load(open(sys.argv[1]))["devices"] if d["hardware_version"] == "hw-0"]
master = next(d["key"] for d in json.load(open(sys.argv[3]))["device_states"] if d["role"] == "master")
rank = {d["serial_number"]: i for i, d in enumerate(sorted(devices, key=lambda d: d["id"]))}
wave = lambda r: 0 if r < 2 else 1 if r < 10 else 2
spans = {}
for line in json.load(open(sys.argv[2])):
    if line["serial"] in rank and line["fault"] == 0:
        spans[line["serial"]] = (line["time_ms"] - line["seconds"] * 1000, line["time_ms"])
ends = [max((spans[s][1] for s in spans if wave(rank[s]) == w), default=0) for w in range(3)]
late = [(s, w) for s in spans for w in range(3) if not master.endswith(s)
        if wave(rank[s]) > w and spans[s][0] < ends[w]]
sys.exit(f"started before an earlier wave was done: {late}" if late else 0)
PY

# --- waves that halt on errors ----------------------------------------------
make_image "$TEST_DIR/origin" fw-2.1.bin 262144
curl -s -X POST "$ORIGIN_BASE/-/reload" >/dev/null
id2=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/$IMAGE_NAME" \
  --origin "$ORIGIN_BASE/images/$IMAGE_NAME" --no-pieces --selector hardware_version=hw-1 --waves 10%,50% \
  --wave-error 20 | jq -r .id)
if wait_until 60 campaign_is "$id2" halted; then ok "the campaign halts"; else
  not_ok "the campaign halts" "$(api GET "/api/campaigns/$id2")"; fi
campaign_json "$id2" >/dev/null
reason=$(jq -r .halted.reason "$TEST_DIR/campaign-$id2.json")
case "$reason" in
  "wave 1 of 3: "[12]" of its 2 devices failed"*) ok "halted in wave 1 for its errors: $reason" ;;
  *) not_ok "halted for the wave's errors" "$reason" ;;
esac
"$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" campaign status "$id2" >"$TEST_DIR/status"
check "cascadectl campaign status shows the wave" grep -q "halted image fw-2.1.bin .*wave 1 of 3" "$TEST_DIR/status"
stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
check "wave 2 never opened: its devices stayed pending and never downloaded" python3 - \
  "$TEST_DIR/devices.json" "$TEST_DIR/report.json" "$TEST_DIR/campaign-$id2.json" <<'PY'
import json, sys
devices = sorted((d for d in json.load(open(sys.argv[1]))["devices"] if d["hardware_version"] == "hw-1"),
                 key=lambda d: d["id"])
states = {d["key"]: d for d in json.load(open(sys.argv[3]))["device_states"]}
later = [d for d in devices[2:] if states[d["key"]]["role"] != "master"]
tried = {line["serial"] for line in json.load(open(sys.argv[2])) if line["image"] == "fw-2.1.bin"}
bad = [d["key"] for d in later if states[d["key"]]["state"] != "pending" or d["serial_number"] in tried]
sys.exit(f"wave 2 devices that moved: {bad}" if bad or len(later) < 17 else 0)
PY

stop_daemon origin
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
