#!/usr/bin/env bash
# Dispatch gated by the measured egress: one group of 16 simulated devices,
# its master a simulated file server whose uplink is 1 MB/s, its slaves'
# downlinks 256 KB/s, fan-out 4, and an egress budget of 400 KB/s for the
# group. The controller reads the master's /-/stats (its bytes sent) every
# 300 ms: with two or more slaves downloading the group is over budget and
# is held, so no slave is dispatched although the fan-out has room and
# slaves are pending; it dispatches again when the egress drops. Every
# device still ends with its image.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
enter_private_netns

devices=16
make_image "$TEST_DIR/origin" fw-2.0.bin 262144
start_origin || { not_ok "origin starts"; finish; }
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 4" "source-poll-interval = 300ms" || { not_ok "acs starts"; finish; }
start_fleet_swarm swarm --devices $devices --groups 1 --file-server-ratio 0.05 --occupancy 0=0 \
  --upload-rate 1M --download-rate 256K
if wait_devices $devices 30; then ok "$devices devices registered"; else
  not_ok "devices registered" "$(device_count)"; finish; fi

id=$(start_image_campaign '"sources":"master","egress_budget":400000')
check_equal "the campaign carries the budget" 400000 "$(api GET "/api/campaigns/$id" | jq -r .rollout.egress_budget)"
# sample the group every 100 ms until the campaign is done
: >"$TEST_DIR/samples"
for ((i = 0; i < 600; i++)); do
  api GET "/api/campaigns/$id" | jq -c '{state, counts, g: .group_details[0]}' >>"$TEST_DIR/samples"
  [ "$(tail -n 1 "$TEST_DIR/samples" | jq -r .state)" = done ] && break
  sleep 0.1
done
campaign_finishes "$id" $devices
check "the controller logged the hold and the release" \
  grep -q "held, its sources send .* bytes/s, over the budget of 400000" "$TEST_DIR/acs.log"
check "and the release" grep -q "dispatching again" "$TEST_DIR/acs.log"
check "while held by its egress, the group got no new dispatch though its fan-out had room and slaves waited" \
  python3 - "$TEST_DIR/samples" <<'PY'
import json, sys
samples = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
held = 0
for before, after in zip(samples, samples[1:]):
    if before["g"]["rollout"]["held"] != "egress" or after["g"]["rollout"]["held"] != "egress":
        continue
    if before["counts"]["pending"] == 0 or before["g"]["in_flight"] >= 4:
        continue
    held += 1
    started = after["counts"]["done"] + after["counts"]["downloading"] + after["counts"]["queued"]
    had = before["counts"]["done"] + before["counts"]["downloading"] + before["counts"]["queued"]
    if started > had:
        sys.exit(f"dispatched while held: {before} -> {after}")
sys.exit(0 if held >= 3 else f"held with room and pending slaves in only {held} samples")
PY
egress=$(jq -s '[.[] | .g.rollout.egress] | max' "$TEST_DIR/samples")
if [ "$egress" -gt 400000 ]; then ok "the measured egress went over the budget ($egress bytes/s)"; else
  not_ok "the egress was measured" "$egress"; fi

stop_daemon swarm
stop_daemon origin
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
