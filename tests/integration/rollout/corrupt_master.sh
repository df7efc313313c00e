#!/usr/bin/env bash
# Failure scenario 2: master devices whose cascade-master serves a corrupted
# image (a real server: the bytes on its disk were flipped after the agent
# verified them, and its SHA256SUMS matches the bad bytes, so the server
# itself sees nothing wrong). The slaves' SHA-256 checks fail, they report
# 9018, the controller marks that master bad and re-points them. Two of the
# group's three file servers are bad: the best-ranked one (A) is elected
# first, then B, and when B fails too the controller elects C, never A
# again although A still ranks best. Every slave ends with a verified image.
# max_attempts stays at its default (3) although a device (C too, a slave
# of A and B first) can meet each bad master more than once: failures
# against a master found bad are refunded, not counted as the device's own.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

slaves=10
make_image "$TEST_DIR/origin" fw-2.0.bin 1048576
start_origin
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = 16"
# what the bad masters' disks hold: the image with one byte flipped, listed
# in their SHA256SUMS with its (wrong) hash
for bad in ma mb; do
  mkdir -p "$TEST_DIR/$bad-disk"
  cp "$TEST_DIR/origin/$IMAGE_NAME" "$TEST_DIR/$bad-disk/$IMAGE_NAME"
  printf '\x5a' | dd of="$TEST_DIR/$bad-disk/$IMAGE_NAME" bs=1 seek=524288 conv=notrunc status=none
  (cd "$TEST_DIR/$bad-disk" && sha256sum "$IMAGE_NAME" >SHA256SUMS)
done
MASTER_SERVE_DIR="$TEST_DIR/ma-disk" start_master_device ma MASTERA 0 --bandwidth 300000
MASTER_SERVE_DIR="$TEST_DIR/mb-disk" start_master_device mb MASTERB 0 --bandwidth 200000
start_master_device mc MASTERC 0 --bandwidth 100000
start_fleet_swarm swarm --devices $slaves --groups 1
wait_devices $((slaves + 3)) 30 && ok "$((slaves + 3)) devices registered" || { not_ok "devices registered"; finish; }
group=$(group_id hw-0)
check_equal "A ranks first in its group (largest bandwidth)" "$(device_key MASTERA)" \
  "$(api GET /api/groups | jq -r --argjson g "$group" '.groups[] | select(.id == $g) | .master')"
check "A's server serves bytes that differ from the origin's" bash -c \
  "! cmp -s <(curl -s '${MASTER_URL[ma]}/images/$IMAGE_NAME') '$TEST_DIR/origin/$IMAGE_NAME'"

id=$(start_image_campaign '"mode":"spv"')
campaign_finishes "$id" "$((slaves + 3))"
check_equal "A and B are marked bad, C serves" "$(device_key MASTERC) [\"$(device_key MASTERA)\",\"$(device_key MASTERB)\"] 2" \
  "$(group_detail "$TEST_DIR/campaign-$id.json" "$group" '"\(.master) \(.bad_masters | tojson) \(.failed_masters)"')"
# "master X has the image" (the first one) and "master is X" (each re-election)
check_equal "masters in the controller's log, in order: A, B, C" \
  "$(device_key MASTERA) $(device_key MASTERB) $(device_key MASTERC)" \
  "$(grep -oE "campaign $id group $group: master (is )?[^ ]+" "$TEST_DIR/acs.log" | awk '{print $NF}' |
     awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//')"
check_equal "A was never elected again" 0 "$(grep -c "master is $(device_key MASTERA)" "$TEST_DIR/acs.log")"
for bad in A B; do
  check "the controller logged why $bad failed" \
    grep -q "master $(device_key MASTER$bad) failed (its slaves cannot download from it)" "$TEST_DIR/acs.log"
done
faults=$(sqlite3 "$TEST_DIR/acs.db" "select count(*) from faults where code = 9018")
if [ "$faults" -ge 6 ]; then ok "$faults TransferComplete faults 9018 recorded (3 per bad master)"; else
  not_ok "9018 recorded" "$faults"; fi
check_equal "every slave finished from C" $slaves \
  "$(jq -r --arg c "$(device_key MASTERC)" '[.device_states[] | select(.role == "slave" and .source == $c and .state == "done")] | length' \
    "$TEST_DIR/campaign-$id.json")"
check_equal "the origin served each master once (A, B, C)" 3 "$(image_requests origin)"

stop_daemon swarm
report_lines swarm '.' >"$TEST_DIR/report.json"
check_equal "slaves rejected the bad bytes of both bad masters (9018)" "yes yes" \
  "$(jq -r --arg a "${MASTER_URL[ma]}" --arg b "${MASTER_URL[mb]}" \
    '"\(if any(.[]; .fault == 9018 and (.url | startswith($a))) then "yes" else "no" end) \(if any(.[]; .fault == 9018 and (.url | startswith($b))) then "yes" else "no" end)"' \
    "$TEST_DIR/report.json")"
check_equal "every slave's last download: verified SHA-256, from C" $slaves \
  "$(jq -r --arg c "${MASTER_URL[mc]}" '[group_by(.device)[] | last | select(.fault == 0 and .hashed and (.url | startswith($c)))] | length' \
    "$TEST_DIR/report.json")"
check_equal "no slave kept a corrupted image: none ever reported success from A or B" 0 \
  "$(jq -r --arg a "${MASTER_URL[ma]}" --arg b "${MASTER_URL[mb]}" \
    '[.[] | select(.fault == 0 and ((.url | startswith($a)) or (.url | startswith($b))))] | length' "$TEST_DIR/report.json")"

for name in ma mb mc ma-server mb-server mc-server origin; do stop_daemon "$name"; done
stop_daemon acs && ok "every daemon stopped cleanly"
finish
