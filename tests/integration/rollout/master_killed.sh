#!/usr/bin/env bash
# Failure scenario 1: a master device dies (cascade-cpe and its
# cascade-master killed with SIGKILL) when its slaves hold about half of the
# image. Its slaves' connections break, they report the fault, the
# controller marks the master bad, elects the other file server of the
# group, which fetches from the origin; the slaves are re-pointed and resume
# with Range where they stopped: every slave ends with a verified,
# byte-exact image and received exactly the image's bytes in all (the issue
# allows one extra request's worth; nothing is fetched twice).
#
# It runs in a private network namespace whose loopback has an Ethernet MTU
# (1500) and the slaves have 64 KiB receive buffers, as gateways do: on the
# host's lo (MTU 64 KiB) the kernel buffers megabytes per connection, and a
# killed server's orphaned sockets would still deliver them.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
enter_private_netns 1500
[ -n "${CASCADE_PRIVATE_NETNS:-}" ] || { skip "$(basename "$0")" "needs root and unshare --net (a namespace with MTU 1500)"; exit 0; }

slaves=12
make_image "$TEST_DIR/origin" fw-2.0.bin 4194304
start_origin
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 16"
# the larger bandwidth wins the election (occupancy is not measured here)
start_master_device ma MASTERA 0 --bandwidth 200000
start_master_device mb MASTERB 0 --bandwidth 100000
# slaves download at 256 KiB/s, so the kill lands mid-transfer
start_fleet_swarm swarm --devices $slaves --groups 1 --download-rate 512K --receive-buffer 64K
wait_devices $((slaves + 2)) 30 && ok "$((slaves + 2)) devices registered" || { not_ok "devices registered"; finish; }
group=$(group_id hw-0)

# the master alone serves its group: this is the root's failover (a tree's
# relays failing: source_failure.sh)
id=$(start_image_campaign '"sources":"master"')
total=$((slaves * IMAGE_SIZE))
# progress as the slaves see it (the master's own counter runs ahead by
# what the sockets buffer)
received() { swarm_stats swarm | jq -r .bytes_received; }
half_received() { [ "$(received)" -ge $((total / 2)) ]; }
if wait_until 60 half_received; then
  served=$(received)
  kill_hard ma
  kill_hard ma-server
  percent=$((100 * served / total))
  if [ "$percent" -lt 90 ]; then ok "master A killed (SIGKILL) when its slaves held $percent% of their bytes"
  else not_ok "master killed mid-transfer" "already $percent% sent"; fi
else
  not_ok "master A serves its slaves" "$(diagnose)"
  finish
fi

campaign_finishes "$id" "$((slaves + 2))" "(the dead master had the image)"
check_equal "master B was elected in its place and A is marked bad" "$(device_key MASTERB) [\"$(device_key MASTERA)\"] 1" \
  "$(group_detail "$TEST_DIR/campaign-$id.json" "$group" '"\(.master) \(.bad_masters | tojson) \(.failed_masters)"')"
check "the controller logged why" grep -q "master $(device_key MASTERA) failed (its slaves cannot download from it)" \
  "$TEST_DIR/acs.log"
check_equal "every slave finished from master B" $slaves \
  "$(jq -r --arg b "$(device_key MASTERB)" '[.device_states[] | select(.role == "slave" and .source == $b and .state == "done")] | length' \
    "$TEST_DIR/campaign-$id.json")"
# B is a member of the group too: it fetched A's copy as a slave, so once
# elected it serves at once and the origin is not asked again
if [ "$(jq -r --arg b "$(device_key MASTERB)" '.device_states[] | select(.key == $b) | .source' "$TEST_DIR/campaign-$id.json")" = "$(device_key MASTERA)" ]; then
  check_equal "the origin served one request: master B already held A's copy" 1 "$(image_requests origin)"
else
  check_equal "the origin served one request per master (A, then B)" 2 "$(image_requests origin)"
fi

stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
final() { jq -r --argjson size "$IMAGE_SIZE" --arg b "${MASTER_URL[mb]}" "$@" "$TEST_DIR/report.json"; }
check_equal "every slave's last download: verified SHA-256, from master B" $slaves \
  "$(final '[group_by(.device)[] | last | select(.fault == 0 and .hashed and (.url | startswith($b)))] | length')"
faults=$(final --arg a "${MASTER_URL[ma]}" '[.[] | select(.fault != 0 and (.url | startswith($a)))] | length')
if [ "$faults" -ge 3 ]; then ok "$faults failed downloads from the dead master reported (master_serve_failures = 3)"
else not_ok "slaves reported faults against the dead master" "$faults"; fi
check_equal "no slave received more than the image: bytes received per slave (min max), discarded" \
  "$IMAGE_SIZE $IMAGE_SIZE 0" \
  "$(final '[group_by(.device)[] | last] | "\(map(.bytes_received) | min) \(map(.bytes_received) | max) \(map(.bytes_discarded) | max)"')"
resumed=$(final '[group_by(.device)[] | last | select(.range_requests >= 1)] | length')
if [ "$resumed" -ge 1 ]; then ok "$resumed slaves resumed from master B with Range"; else not_ok "slaves resumed with Range" "$resumed"; fi
# a slave may ask B with Range more than once (a resume cut short is
# resumed again), so B's 206 count lies between the slaves that resumed and
# the Range requests the swarm sent in all
range_sent=$(final '[group_by(.device)[] | last | .range_requests] | add')
answered=$(server_stats mb | jq -r --argjson total "$total" \
  '"\(.requests.by_status["206"] // 0) \(if .image_bytes_sent | add < $total then "yes" else "no" end)"')
partial=${answered% *}
if [ "$partial" -ge "$resumed" ] && [ "$partial" -le "$range_sent" ] && [ "${answered#* }" = yes ]; then
  ok "master B answered those resumes with 206 ($partial of $range_sent Range requests) and sent only the missing bytes"
else
  not_ok "master B answered those resumes with 206 and sent only the missing bytes" \
    "206 answers, bytes below the total: $answered; resumed $resumed, Range requests $range_sent"
fi
for name in mb mb-server origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon left stopped cleanly"
finish
