#!/usr/bin/env bash
# Who owns what: two pin directories on one interface coexist, each with
# its own tc filter (pref 3237 and 3238), and both count; a download is
# counted by the first meter exactly as before the second came (predicted
# from the server's TCP_INFO); re-attaching one never touches the other's
# filter; caps belong to one meter per interface and the other is refused
# with the owner's pin directory; detaching the second leaves the first
# counting. Wrong places give errors that say so: another network
# namespace, `ip netns exec` (no bpffs there: the error names the missing
# mount, for cascade-meter and cascade-master), pins of an older build.
# --pin-dir still works, with a deprecation warning. Nothing is left.
# timeout: 90
source "$(dirname "$0")/../lib.sh"
require_root

make_topology || { not_ok "test namespaces are set up"; finish; }
OTHER=$PIN_DIR-b
LEGACY=$PIN_DIR-legacy
on_exit "rm -rf $OTHER $LEGACY"
on_exit "nsenter --net=/run/netns/$SERVER_NS $METER --bpf-pin-dir $OTHER detach --unpin"
on_exit "nsenter --net=/run/netns/$SERVER_NS $METER --bpf-pin-dir $PIN_DIR detach --unpin"
other() { in_server "$METER" --bpf-pin-dir "$OTHER" "$@"; }
other_field() { other --json show --interval 0 | jq -r --argjson g "$1" --arg f "$2" '[.groups[] | select(.group == $g) | .[$f]][0] // 0'; }
filter_program() { in_server tc filter show dev s0 egress pref "$1" | grep -oE 'cascade_egress.* id [0-9]+' | grep -oE '[0-9]+$'; }
port=9000

# fetch NAME BYTES: one download from 198.18.0.2; sets $expected to the
# frame bytes the meters must count for it (IPv4: 66 per segment, SYN-ACK 74).
fetch() {
  start_traffic_server "$1" $port 1
  in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.2 --bytes "$2" >/dev/null 2>&1 ||
    not_ok "fetch $1"
  wait_traffic_server "$1"
  expected=$(( $(served_field "$1" 198.18.0.2 bytes_sent) + 66 * $(served_field "$1" 198.18.0.2 segs_out) + 74 ))
}

check "meter A attaches on s0" meter attach --interface s0 --port $port --no-cpu
check "A maps 198.18.0.0/24 to group 5" meter group set 198.18.0.0/24 5
fetch first 400000
check_equal "A counts the first download exactly" "$expected" "$(meter_group_field 5 bytes)"
a_before=$(meter_group_field 5 bytes)
a_program=$(filter_program 3237)

output=$(other attach --interface s0 --port $port --no-cpu 2>&1); status=$?
[ $status = 0 ] && grep -q "also metered by the meter pinned at $PIN_DIR (tc pref 3237)" <<<"$output" &&
  ok "meter B attaches on the same interface and names A: $(grep note <<<"$output")" ||
  not_ok "meter B attaches beside A" "status $status: $output"
check_equal "two filters: A at pref 3237, B at 3238" "3237 3238" \
  "$(meter_json | jq -r .group_meter.tc_priority) $(other --json show --interval 0 | jq -r .group_meter.tc_priority)"
check_equal "A's filter still runs A's program" "$a_program" "$(filter_program 3237)"
check_equal "A's show lists B" "$OTHER 3238" "$(meter_json | jq -r '.group_meter.other_meters[0] | "\(.pin_dir) \(.tc_priority)"')"
check "B maps 198.18.0.0/24 to group 6" other group set 198.18.0.0/24 6

fetch second 300000
check_equal "A counts the second download exactly as before" "$((a_before + expected))" "$(meter_group_field 5 bytes)"
check_equal "B counts it too" "$expected" "$(other_field 6 bytes)"
a_middle=$(meter_group_field 5 bytes)

b_program=$(filter_program 3238)
check "A attaches again (a restart)" meter attach --interface s0 --port $port --no-cpu
check_equal "A is still at pref 3237, with a new program" "3237 yes" \
  "$(meter_json | jq -r .group_meter.tc_priority) $([ "$(filter_program 3237)" != "$a_program" ] && echo yes)"
check_equal "B's filter is untouched" "$b_program" "$(filter_program 3238)"
check_equal "one filter each" 2 "$(in_server tc filter show dev s0 egress | grep -c cascade_egress)"

# Caps: one meter per interface.
check "A caps group 5" meter cap set 5 50mbit
output=$(other cap set 6 10mbit 2>&1); status=$?
[ $status = 1 ] && grep -q "cap unavailable: the meter pinned at $PIN_DIR holds the caps on s0" <<<"$output" &&
  ok "B's cap is refused, naming A: $output" || not_ok "B's cap is refused, naming A" "status $status: $output"
check_equal "B recorded no cap" "[]" "$(bpftool -j map dump pinned "$OTHER/cascade_caps" | jq -c .)"
check "A clears its cap" meter cap clear 5
check "now B may cap" other cap set 6 10mbit
output=$(meter cap set 5 10mbit 2>&1); status=$?
[ $status = 1 ] && grep -q "the meter pinned at $OTHER holds the caps" <<<"$output" &&
  ok "and A is refused, naming B" || not_ok "A's cap is refused, naming B" "status $status: $output"
check "B clears its cap" other cap clear 6

check "B detaches and unpins" other detach --unpin
check_equal "A's filter stays" "3237" "$(in_server tc filter show dev s0 egress | grep -oE 'pref [0-9]+' | sort -u | cut -d' ' -f2)"
fetch third 200000
check_equal "A counts the third download exactly" "$((a_middle + expected))" "$(meter_group_field 5 bytes)"
a_now=$(meter_group_field 5 bytes)

# Another network namespace: changes are refused, show says where it is.
output=$("$METER" --bpf-pin-dir "$PIN_DIR" cap set 5 1mbit 2>&1); status=$?
[ $status = 1 ] && grep -q "wrong network namespace: the meter pinned at $PIN_DIR counts on s0 in network namespace net:\[" <<<"$output" &&
  ok "from the host's namespace a cap is refused: $output" || not_ok "wrong namespace refused" "status $status: $output"
check "show from the host's namespace says where the meter is" bash -c \
  "$METER --bpf-pin-dir $PIN_DIR show --interval 0 | grep -q 'attached in another network namespace'"

# ip netns exec remounts /sys without bpffs: the error names the mount.
output=$(ip netns exec "$SERVER_NS" "$METER" --bpf-pin-dir "$PIN_DIR" show --interval 0 2>&1); status=$?
grep -q "bpffs not mounted at /sys/fs/bpf: /sys/fs/bpf is sysfs here" <<<"$output" && ! grep -q "not attached" <<<"$output" &&
  ok "show under ip netns exec names the missing mount" || not_ok "show under ip netns exec names the missing mount" "$output"
output=$(ip netns exec "$SERVER_NS" "$METER" --bpf-pin-dir "$PIN_DIR" attach --interface s0 2>&1); status=$?
[ $status = 1 ] && grep -q "bpffs not mounted at /sys/fs/bpf" <<<"$output" &&
  ok "attach under ip netns exec: $output" || not_ok "attach under ip netns exec is refused naming the mount" "status $status: $output"
mkdir -p "$TEST_DIR/images" && (cd "$TEST_DIR/images" && : >SHA256SUMS)
start_daemon netns-exec-master ip netns exec "$SERVER_NS" "$CASCADE_BIN/cascade-master" --listen 127.0.0.1:0 \
  --images "$TEST_DIR/images" --threads 1 --meter-interface s0 --bpf-pin-dir "$PIN_DIR"
wait_until 10 grep -q "without the group meter" "$TEST_DIR/netns-exec-master.log"
check "cascade-master under ip netns exec says which mount is missing" \
  grep -q "serving without the group meter: bpffs not mounted at /sys/fs/bpf" "$TEST_DIR/netns-exec-master.log"
stop_daemon netns-exec-master
check_equal "A still counts, untouched" "$a_now" "$(meter_group_field 5 bytes)"

# The old spelling of the flag.
output=$(in_server "$METER" --pin-dir "$PIN_DIR" --json port list 2>&1); status=$?
[ $status = 0 ] && grep -q "warning: --pin-dir is deprecated, use --bpf-pin-dir" <<<"$output" &&
  grep -q "\"ports\":\[$port\]" <<<"$output" && ok "--pin-dir works and warns" || not_ok "--pin-dir works and warns" "$output"

# Pins of an older build: attach refuses, detach --unpin removes them.
mkdir -p "$LEGACY"
bpftool map create "$LEGACY/group_stats" type hash key 4 value 4 entries 1 name group_stats
output=$(in_server "$METER" --bpf-pin-dir "$LEGACY" attach --interface s0 --no-cpu 2>&1); status=$?
[ $status = 1 ] && grep -q "holds the pins of an older cascade build" <<<"$output" &&
  ok "pins of an older build are refused: $output" || not_ok "pins of an older build are refused" "status $status: $output"
check "detach --unpin removes them" in_server "$METER" --bpf-pin-dir "$LEGACY" detach --unpin
check "the old pin directory is gone" test ! -e "$LEGACY"

check "A detaches and unpins" meter detach --unpin
check_equal "no filter left" "" "$(in_server tc filter show dev s0 egress)"
check_equal "no qdisc of ours left" "noqueue" "$(in_server tc qdisc show dev s0 | awk '{print $2}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "no pin left" test ! -e "$PIN_DIR" -a ! -e "$OTHER"
finish
