#!/usr/bin/env bash
# Stock devices that cannot take the partial-path probe (cascade-swarm
# --profile partial-path, the ACS in [acs] probe = partial): a third fault
# it, a third drop the connection mid-session, a third restart their agent.
# The faulting ones are read with leaf names instead; the others are marked
# and not probed again before probe_retry, however often they call in; and
# every one of them still gets its Download. In the default leaf style
# nobody is asked a partial path at all.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

devices=30
start_origin
make_image "$TEST_DIR/origin" fw.bin 65536
start_acs acs "[acs]" "probe = partial" "probe-retry = 1h" "[campaign]" "tick = 100ms" "[connection_request]" \
  "retry-interval = 1s"
start_swarm swarm --devices $devices --file-server-ratio 0 --periodic 2 --drop-delay 1 --profile partial-path=1 \
  --report "$TEST_DIR/report.jsonl"
registered() { [ "$(api GET '/api/devices' | jq -r .total)" = "$devices" ]; }
wait_until 30 registered && ok "all $devices devices registered" || not_ok "devices registered"
swarm_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$TEST_DIR/swarm.log" | head -1)
stats() { curl -s --max-time 10 "$swarm_url/-/stats"; }
# long enough for every device to call in several times (periodic 2 s)
wait_until 30 bash -c "test \"\$(curl -s '$swarm_url/-/stats' | jq .sessions)\" -ge $((devices * 4))" \
  && ok "every device called in several times" || not_ok "devices called in" "$(stats | jq .sessions)"
stats >"$TEST_DIR/stats.json"
check_equal "each dropping device dropped once, each restarting one restarted once (never every session)" "10 10" \
  "$(jq -r '.profiles["partial-path"] | "\(.drops) \(.restarts)"' "$TEST_DIR/stats.json")"
check_equal "the ACS marked those 20 probes failed, once each" 20 \
  "$(grep -o 'attribute probe of [^ ]* failed' "$TEST_DIR/acs.log" | sort -u | wc -l)"
check_equal "and logged no second failure for any of them" 20 "$(grep -c 'attribute probe of .* failed' "$TEST_DIR/acs.log")"
api GET /api/devices >"$TEST_DIR/devices.json"
check_equal "the 10 that fault the partial path were read with leaf names" 10 \
  "$(jq '[.devices[] | select(.attributes_probed and .software_version == "1.0" and .cpu_occupancy != null)] | length' "$TEST_DIR/devices.json")"
body=$(jq -nc --arg url "$ORIGIN_URL/fw.bin" --arg sha "$IMAGE_SHA256" '{image: "fw.bin", origin_url: $url, size: 65536, sha256: $sha}')
check_equal "campaign started" 1 "$(api POST /api/campaigns "$body" | jq -r .id)"
if wait_until 60 campaign_is 1 done; then ok "campaign done"; else not_ok "campaign done" "$(api GET /api/campaigns/1 | jq -c .counts)"; fi
check_equal "every device got its Download and finished, the unprobed ones too" "$devices 0" \
  "$(api GET /api/campaigns/1 | jq -r '"\(.counts.done) \(.counts.failed)"')"
check_equal "nobody dropped a session again" "10 10" \
  "$(stats | jq -r '.profiles["partial-path"] | "\(.drops) \(.restarts)"')"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"

# the default leaf style never asks a partial path
start_acs leaf "[campaign]" "tick = 100ms"
start_swarm leafswarm --devices $devices --file-server-ratio 0 --periodic 2 --drop-delay 1 --profile partial-path=1 \
  --exit-after-bootstrap
wait "${DAEMON_PID[leafswarm]}" 2>/dev/null
unset "DAEMON_PID[leafswarm]"
summary=$(tail -n 1 "$TEST_DIR/leafswarm.log")
check_equal "leaf style: no drop, no restart" "0 0" "$(jq -r '.profiles["partial-path"] | "\(.drops) \(.restarts)"' <<<"$summary")"
check_equal "leaf style: every stock device probed" $devices \
  "$(api GET /api/devices | jq '[.devices[] | select(.attributes_probed)] | length')"
check_equal "leaf style: no fault recorded" 0 "$(sqlite3 "$TEST_DIR/leaf.db" 'select count(*) from faults')"
stop_daemon leaf && ok "cascade-acs (leaf) stops cleanly"
finish
