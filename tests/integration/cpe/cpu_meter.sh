#!/usr/bin/env bash
# X_CASCADE_CPUOccupancy from the eBPF CPU meter (userspace/meter): with a
# pinned meter (shared, pins under a test folder) and a private one, the
# Inform reports source "ebpf" and an occupancy in basis points; when eBPF
# cannot be used (a pin folder that is not on bpffs) the agent falls back
# to /proc/stat, says why, and reports source "proc"; with the meter off
# the occupancy is not claimed at all.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root

queue="$TEST_DIR/queue"
acs_log="$TEST_DIR/acs.jsonl"
pins="/sys/fs/bpf/cascade-test-$$"
mkdir -p "$queue"
on_exit "rm -rf '$pins'"
last_inform() { jq -s --arg serial "$1" \
  '[.[] | select(.kind == "Inform" and .params["Device.DeviceInfo.SerialNumber"] == $serial)] | last' "$acs_log"; }
informed() { [ "$(last_inform "$1")" != "null" ]; }

start_daemon acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" --log "$acs_log"
wait_until 10 test -s "$TEST_DIR/acs.port"
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"

run_agent() { # NAME SERIAL FLAGS...: starts, waits for its Inform, stops
  local name=$1 serial=$2
  shift 2
  start_cpe "$name" "$serial" "$@"
  wait_until 15 informed "$serial" || not_ok "$name informed" "$(tail -n 10 "$TEST_DIR/$name.log")"
  stop_daemon "$name"
}

run_agent pinned E1 --cpu-meter ebpf --bpf-pin-dir "$pins"
inform=$(last_inform E1)
check_equal "pinned eBPF meter: source ebpf" "ebpf" "$(jq -r '.params["Device.X_CASCADE_CPUOccupancySource"]' <<<"$inform")"
occupancy=$(jq -r '.params["Device.X_CASCADE_CPUOccupancy"]' <<<"$inform")
if [[ "$occupancy" =~ ^[0-9]+$ ]] && [ "$occupancy" -le 10000 ]; then ok "occupancy in basis points ($occupancy)"; else
  not_ok "occupancy in basis points" "got $occupancy"; fi
usage=$(jq -r '.params["Device.DeviceInfo.ProcessStatus.CPUUsage"]' <<<"$inform")
check_equal "CPUUsage is the same figure in percent" "$(( (occupancy + 50) / 100 ))" "$usage"
check "the meter stays pinned for the next process" test -e "$pins/cascade_cpu"

run_agent private E2 --cpu-meter ebpf --bpf-pin-dir none
check_equal "private eBPF meter: source ebpf" "ebpf" \
  "$(last_inform E2 | jq -r '.params["Device.X_CASCADE_CPUOccupancySource"]')"

mkdir -p "$TEST_DIR/not-bpffs"
run_agent fallback E3 --cpu-meter ebpf --bpf-pin-dir "$TEST_DIR/not-bpffs/pins"
check_equal "no bpffs: falls back, reported as proc" "proc" \
  "$(last_inform E3 | jq -r '.params["Device.X_CASCADE_CPUOccupancySource"]')"
check "the fallback says why" grep -q "CPU occupancy falls back to /proc/stat: .*bpf" "$TEST_DIR/fallback.log"

# The figure itself: with one CPU spinning, the window average the agent
# reports at its second Inform agrees with /proc/stat over the same seconds
# (within 10 points). A unit mix-up, a constant or a last-interval figure
# would not.
proc_stat_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
informs_of() { jq -s --arg serial "$1" '[.[] | select(.kind == "Inform" and .params["Device.DeviceInfo.SerialNumber"] == $serial)] | length' "$acs_log"; }
timeout 30 taskset -c 0 sh -c 'while :; do :; done' &
spinner=$!
on_exit "kill $spinner"
read -r busy_before total_before < <(proc_stat_ticks)
start_cpe window E5 --cpu-meter ebpf --bpf-pin-dir none --cpu-window 60 --periodic-interval 3s
informed_twice() { [ "$(informs_of E5)" -ge 2 ]; }
if wait_until 20 informed_twice; then
  read -r busy_after total_after < <(proc_stat_ticks)
  expected=$(( (busy_after - busy_before) * 10000 / (total_after - total_before) ))
  reported=$(last_inform E5 | jq -r '.params["Device.X_CASCADE_CPUOccupancy"]')
  difference=$(( reported > expected ? reported - expected : expected - reported ))
  if [ "$difference" -le 1000 ]; then ok "window average $reported agrees with /proc/stat's $expected (x0.01 %)"
  else not_ok "window average agrees with /proc/stat within 10 points" "reported $reported, /proc/stat $expected"; fi
else
  not_ok "the agent informs twice with a 3 s periodic interval" "$(tail -n 5 "$TEST_DIR/window.log")"
fi
stop_daemon window
kill "$spinner" 2>/dev/null

run_agent off E4 --cpu-meter off
inform=$(last_inform E4)
check_equal "meter off: source off" "off" "$(jq -r '.params["Device.X_CASCADE_CPUOccupancySource"]' <<<"$inform")"
check_equal "meter off: no occupancy claimed" "false" "$(jq '.params | has("Device.X_CASCADE_CPUOccupancy")' <<<"$inform")"
stop_daemon acs
finish
