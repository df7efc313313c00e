#!/usr/bin/env bash
# Per-group rate caps: bad input is refused before anything changes; caps
# set in any order land on their group (group N is htb class ca:N, in hex
# as tc prints it: group 26 is ca:1a) and two capped groups served at once
# each get their cap (+-5%, measured by the client); a cap changed at run
# time takes effect; the shaper's own byte count equals the meter's; show
# reports the kernel's state (a removed htb root reads as caps not
# enforced, until attach puts it back); clearing the last cap removes the
# qdisc we made. This kernel has no fq, so caps are enforced by htb classes
# the program steers to (skb->priority); where fq exists the EDT path is
# used instead.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_root

make_topology || { not_ok "test namespaces are set up"; finish; }
port=9000
if fq_available; then
  in_server tc qdisc add dev s0 root fq && ok "fq root on s0: caps use EDT pacing"
  expected_shaper=edt
else
  skip "EDT pacing with fq" "this kernel has no sch_fq (CONFIG_NET_SCH_FQ off); caps use the htb fallback"
  expected_shaper=htb
fi
check "attach" meter attach --interface s0 --port $port --no-cpu
check "prefix 198.18.0.2 -> group 1" meter group set 198.18.0.2 1

# Bad input: refused with a message, nothing applied.
for bad in "1 10" "1 10foo" "1 -5mbit" "1 0mbit" "1 200gbit" "0 1mbit" "16777216 1mbit" "x 1mbit"; do
  output=$(meter cap set $bad 2>&1); status=$?
  if [ $status -eq 2 ] && [ -n "$output" ]; then ok "cap set $bad is refused: $output"
  else not_ok "cap set $bad is refused" "status $status: $output"; fi
done
check_equal "no cap was applied" "[]" "$(bpftool -j map dump pinned "$PIN_DIR/cascade_caps" | jq -c .)"
check_equal "no qdisc was created" 0 "$(in_server tc qdisc show dev s0 | grep -c htb)"

# The higher group first: classes follow the group, not the order.
check "cap group 26 at 2MB/s" meter cap set 26 2MB/s
check "cap group 1 at 8mbit" meter cap set 1 8mbit
check_equal "shaper reported" "$expected_shaper" "$(meter_json | jq -r .group_meter.shaper)"
check_equal "group 1's cap reads back" 1000000 "$(meter_group_field 1 cap_bytes_per_second)"
if [ "$expected_shaper" = htb ]; then
  check_equal "group 1 is class ca:1, group 26 class ca:1a" "ca:1 ca:1a" \
    "$(meter_group_field 1 htb_class) $(meter_group_field 26 htb_class)"
  check_equal "tc has exactly those classes" "ca:1 ca:1a" \
    "$(in_server tc class show dev s0 | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
  check_equal "bpftool prints the class of group 26 as ca:1a" '"ca:1a"' \
    "$(bpftool -j map lookup pinned "$PIN_DIR/cascade_caps" key 26 0 0 0 | jq -c .formatted.value.htb_class)"
  output=$(meter cap set 70000 1mbit 2>&1); status=$?
  [ $status = 1 ] && grep -q "groups 1..65534" <<<"$output" && ok "a group past ca:fffe is refused under htb: $output" ||
    not_ok "a group past ca:fffe is refused under htb" "status $status: $output"
fi

# rate_within NAME EXPECTED_BYTES_PER_SECOND FETCH_OUTPUT
rate_within() {
  local rate
  rate=$(grep -oE 'rate_bytes_per_second=[0-9]+' "$3" | cut -d= -f2)
  if [ -n "$rate" ] && [ "$rate" -ge $(($2 * 95 / 100)) ] && [ "$rate" -le $(($2 * 105 / 100)) ]; then
    ok "$1: client measured $rate B/s for a cap of $2 B/s (within 5%)"
  else
    not_ok "$1: client rate within 5% of $2 B/s" "measured: ${rate:-none}; $(cat "$3")"
  fi
}

start_traffic_server capped $port 2
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.2 --bytes 3000000 >"$TEST_DIR/g1" 2>&1 &
first=$!
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.3 --bytes 6000000 --mark 0xCA00001A >"$TEST_DIR/g3" 2>&1 &
second=$!
wait $first; wait $second
wait_traffic_server capped
rate_within "group 1 (8mbit, by prefix)" 1000000 "$TEST_DIR/g1"
rate_within "group 26 (2MB/s, by mark), served at the same time" 2000000 "$TEST_DIR/g3"

if [ "$expected_shaper" = htb ]; then
  class_bytes=$(in_server tc -s class show dev s0 classid ca:1 | awk '/Sent/ {print $2}')
  check_equal "htb class ca:1 shaped exactly the bytes the meter counted for group 1" \
    "$(meter_group_field 1 bytes)" "$class_bytes"
  class_drops=$(in_server tc -s class show dev s0 classid ca:1 | grep -oE 'dropped [0-9]+' | awk '{print $2}')
  check_equal "the shaper's drops are reported for group 1" "$class_drops" "$(meter_group_field 1 shaper_dropped_packets)"
  class_bytes=$(in_server tc -s class show dev s0 classid ca:1a | awk '/Sent/ {print $2}')
  check_equal "htb class ca:1a shaped exactly the bytes the meter counted for group 26" \
    "$(meter_group_field 26 bytes)" "$class_bytes"

  # Someone removes the root qdisc: show says the caps are not enforced.
  in_server tc qdisc del dev s0 root
  check_equal "root removed: shaper none, caps not enforced" "none root_missing" \
    "$(meter_json | jq -r '.group_meter | "\(.shaper) \(.shaper_state)"')"
  check "the table says so" bash -c "nsenter --net=/run/netns/$SERVER_NS $METER --bpf-pin-dir $PIN_DIR show --interval 0 | grep -q 'NOT enforced: the htb root ca: is gone'"
  check "and marks the missing class" bash -c "nsenter --net=/run/netns/$SERVER_NS $METER --bpf-pin-dir $PIN_DIR show --interval 0 | grep -qE '^ +1 .* ca:1! '"
  check "attach again" meter attach --interface s0 --port $port --no-cpu
  check_equal "the root and both classes are back" "htb enforcing ca:1 ca:1a" \
    "$(meter_json | jq -r '.group_meter | "\(.shaper) \(.shaper_state)"') $(in_server tc class show dev s0 | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
fi

check "change group 1's cap at run time to 16mbit" meter cap set 1 16mbit
start_traffic_server faster $port 1
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.2 --bytes 6000000 >"$TEST_DIR/g1b" 2>&1
wait_traffic_server faster
rate_within "group 1 after the change (16mbit)" 2000000 "$TEST_DIR/g1b"

check "clear group 1's cap" meter cap clear 1
output=$(meter cap clear 1 2>&1); status=$?
[ $status -eq 1 ] && grep -q "no cap" <<<"$output" && ok "clearing it again says: $output" ||
  not_ok "clearing a missing cap fails clearly" "status $status: $output"
if [ "$expected_shaper" = htb ]; then
  check_equal "group 1's class is gone, group 26's stays" "ca:1a" \
    "$(in_server tc class show dev s0 | awk '{print $3}' | tr '\n' ' ' | sed 's/ $//')"
fi
check "clear group 26's cap" meter cap clear 26
if [ "$expected_shaper" = htb ]; then
  check_equal "the htb root we created is gone with the last cap" 0 "$(in_server tc qdisc show dev s0 | grep -c htb)"
fi
check "detach --unpin" meter detach --unpin
check_equal "no filter left" "" "$(in_server tc filter show dev s0 egress)"
finish
