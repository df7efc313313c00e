#!/usr/bin/env bash
# Master failover with simulated devices. Group A (even devices): the first
# master's download faults, the second stalls past the stall timeout; after
# max_failed_masters the slaves fall back to the origin and neither bad
# master is elected again. Group B (odd devices): the first master gets the
# image but its file server answers 503, so its slaves fail against it; it
# is replaced and the slaves are re-pointed to the new master and finish.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

start_origin
make_image "$TEST_DIR/origin" fw.bin 524288
start_acs acs "[campaign]" "fanout = 3" "stall-timeout = 3s" "max-failed-masters = 2" "max-attempts = 2" \
  "master-serve-failures = 2" "tick = 100ms" "[connection_request]" "retry-interval = 1s"
# devices 0, 2, 4 serve in group A; 1, 3, 5 in group B; occupancy fixes the election order
start_swarm swarm --devices 20 --groups 2 --file-server-ratio 0.3 --concurrency 16 \
  --occupancy 0=100,2=200,4=300,1=100,3=200,5=300 --fault-devices 0 --stall-devices 2 --dead-servers 1
wait_until 30 bash -c "test \"\$(curl -s $ACS_API_URL/api/devices | jq -r .total)\" = 20" && ok "20 devices registered" || not_ok "devices registered"
key() { printf '%s' "C4C4DE-SwarmGW-SWARM$(printf '%06d' "$1")"; }
group_of() { api GET /api/devices | jq -r --arg key "$(key "$1")" '.devices[] | select(.key==$key) | .group'; }
group_a=$(group_of 0)
group_b=$(group_of 1)
check_equal "group A's elected master is device 0 (lowest occupancy)" "$(key 0)" \
  "$(api GET /api/groups | jq -r ".groups[] | select(.id==$group_a) | .master")"

# the masters alone serve (this is their failover; a tree's relays: tests/integration/rollout/source_failure.sh)
api POST /api/campaigns "{\"image\":\"fw.bin\",\"origin_url\":\"$ORIGIN_URL/fw.bin\",\"size\":524288,\"sha256\":\"$IMAGE_SHA256\",\"sources\":\"master\"}" >/dev/null
if wait_until 60 campaign_is 1 done; then ok "campaign finishes despite three bad masters"; else not_ok "campaign finishes" "$(api GET /api/campaigns/1)"; fi
api GET "/api/campaigns/1?devices=1" >"$TEST_DIR/campaign.json"
group() { jq -c ".group_details[] | select(.group==$1)" "$TEST_DIR/campaign.json"; }
check_equal "A: both failed masters are listed as bad, in order" "[\"$(key 0)\",\"$(key 2)\"]" "$(group "$group_a" | jq -c .bad_masters)"
check_equal "A: after max_failed_masters the slaves use the origin" "true 2 null" \
  "$(group "$group_a" | jq -r '"\(.fallback_origin) \(.failed_masters) \(.master)"')"
check_equal "A: the faulting and the stalling device end failed, the rest done" "2 8" \
  "$(jq -r --argjson g "$group_a" '[.device_states[] | select(.group==$g)] | "\([.[] | select(.state=="failed")] | length) \([.[] | select(.state=="done")] | length)"' "$TEST_DIR/campaign.json")"
check_equal "A: a bad master is never elected again (no device downloaded from 0 or 2)" 0 \
  "$(jq --arg a "$(key 0)" --arg b "$(key 2)" '[.device_states[] | select(.source==$a or .source==$b)] | length' "$TEST_DIR/campaign.json")"
check_equal "B: the master whose server failed was replaced by device 3" "$(key 3) [\"$(key 1)\"]" \
  "$(group "$group_b" | jq -r '"\(.master) \(.bad_masters | tojson)"')"
check_equal "B: every device done, including the replaced master" 10 \
  "$(jq --argjson g "$group_b" '[.device_states[] | select(.group==$g and .state=="done")] | length' "$TEST_DIR/campaign.json")"
check_equal "B: the other 8 slaves, re-pointed, finished from the new master" 8 \
  "$(jq --argjson g "$group_b" --arg m "$(key 3)" '[.device_states[] | select(.group==$g and .source==$m)] | length' "$TEST_DIR/campaign.json")"
check "the failovers are logged with their reasons" bash -c "grep -q 'failed (TransferComplete fault, fault 9010)' '$TEST_DIR/acs.log' && grep -q 'failed (stalled)' '$TEST_DIR/acs.log' && grep -q 'failed (its slaves cannot download from it)' '$TEST_DIR/acs.log'"
check_equal "slave faults against the dead server are recorded per device" 1 \
  "$(sqlite3 "$TEST_DIR/acs.db" "select count(*) > 0 from faults where code = 9016")"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
