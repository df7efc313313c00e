#!/usr/bin/env bash
# Failure scenario 4: cascade-acs is killed (SIGKILL) in the middle of a
# campaign and started again on the same ports and database three seconds
# later. Meanwhile downloads go on; devices that finish find the ACS gone
# and back off (cascade-swarm: 1, 2, 4 ... s with jitter; cascade-cpe: its
# TR-069 retry), then report. The campaign finishes with every device done
# exactly once: none lost, none counted twice.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

slaves=40
devices=$((slaves + 2))
make_image "$TEST_DIR/origin" fw-2.0.bin 1048576
start_origin
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 6"
start_master_device m0 MASTER0 0 --bandwidth 100000
start_master_device m1 MASTER1 1 --bandwidth 100000
# 1 MiB at 512 KiB/s, six at a time per master: the campaign takes a while
start_fleet_swarm swarm --devices $slaves --groups 2 --download-rate 512K --ack-log "$TEST_DIR/acks" --retry-max 4
wait_devices $devices 30 && ok "$devices devices registered" || { not_ok "devices registered"; finish; }

id=$(start_image_campaign)
done_count() { api GET "/api/campaigns/$id" | jq -r '.counts.done // 0'; }
some_done() { [ "$(done_count)" -ge 12 ]; }
if wait_until 60 some_done; then
  before=$(done_count)
  kill_hard acs
  ok "cascade-acs killed (SIGKILL) with $before of $devices devices done"
else
  not_ok "the campaign progresses" "$(diagnose)"
  finish
fi
sleep 3
check "nothing answers on the ACS's ports while it is down" bash -c "! curl -s --max-time 2 '$ACS_API_URL/api/devices' >/dev/null"
restart_acs acs && ok "cascade-acs restarted on the same ports and database" || { not_ok "acs restarts"; finish; }
check "it reloaded the fleet and the running campaign" grep -q "loaded $devices devices, 2 groups, 1 campaigns" "$TEST_DIR/acs.log"

if wait_until 90 campaign_is "$id" done; then ok "the campaign finishes after the restart"; else
  not_ok "the campaign finishes after the restart" "$(api GET "/api/campaigns/$id")"$'\n'"$(diagnose)"; fi
campaign_json "$id" >/dev/null
check_equal "no device lost: the ACS knows all $devices" $devices "$(device_count)"
check_equal "campaign counts: all $devices done, nothing else, nothing twice" "$devices $devices 0 0 0 0 0" \
  "$(jq -r '"\(.counts | add) \(.counts.done) \(.counts.failed) \(.counts.pending) \(.counts.queued) \(.counts.downloading) \(.counts.cancelled)"' \
    "$TEST_DIR/campaign-$id.json")"
check_equal "one member per device" "$devices $devices" \
  "$(jq -r '"\(.device_states | length) \([.device_states[].key] | unique | length)"' "$TEST_DIR/campaign-$id.json")"
check_equal "every device's success is recorded (TransferComplete fault 0, distinct devices)" $devices \
  "$(sqlite3 "$TEST_DIR/acs.db" "select count(distinct device_id) from transfers where fault_code = 0 and command_key like 'cascade-c$id-%'")"
check_equal "the origin served one request per master" 2 "$(image_requests origin)"

stop_daemon swarm
summary=$(tail -n 1 "$TEST_DIR/swarm.log")
failed_sessions=$(jq -r .failed_sessions <<<"$summary")
if [ "$failed_sessions" -ge 1 ]; then ok "the swarm rode through the outage ($failed_sessions failed sessions retried)"
else not_ok "the swarm met the outage" "$summary"; fi
check_equal "every slave: one verified download, its TransferComplete acknowledged" "$slaves $slaves" \
  "$(report_lines swarm '"\([.[] | select(.fault == 0 and .hashed)] | length)"') $(grep ' transfer cascade-' "$TEST_DIR/acks" | awk '{print $1}' | sort -u | wc -l)"

for name in m0 m1 m0-server m1-server origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon stopped cleanly"
finish
