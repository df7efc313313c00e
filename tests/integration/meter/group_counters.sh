#!/usr/bin/env bash
# The group egress meter counts exactly what the server sent to each group:
# three groups served at once (IPv4 prefix, IPv6 prefix, socket mark), the
# longest prefix winning, bpftool reading the same numbers from the pins,
# counters surviving a re-attach (daemon restart), and a clean detach.
#
# Exact expectation per group, from the server's own TCP_INFO (segs_out,
# bytes_sent incl. retransmissions) and fixed header sizes (TCP timestamps
# on, the default): IPv4 frame = payload + 66 (14 Ethernet + 20 IP + 32 TCP),
# IPv6 = payload + 86, a SYN-ACK 8 bytes more (its options). The mark is set
# after the request is read, so the SYN-ACK and the packets before the mark
# fall to the destination prefix instead.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_root

make_topology || { not_ok "test namespaces are set up"; finish; }
port=9000
check "attach on s0 counting server port $port" meter attach --interface s0 --port $port
check "our filter is on s0 egress" bash -c "nsenter --net=/run/netns/$SERVER_NS tc filter show dev s0 egress | grep -q 'handle 0xca5 cascade_egress'"
check "maps are pinned under $PIN_DIR" test -e "$PIN_DIR/cascade_stats" -a -e "$PIN_DIR/cascade_prefix4" -a -e "$PIN_DIR/cascade_cpu"

check "prefix 198.18.0.0/24 -> group 9" meter group set 198.18.0.0/24 9
check "prefix 198.18.0.2/32 -> group 1 (longer, wins)" meter group set 198.18.0.2/32 1
check "prefix 2001:2::3/128 -> group 2" meter group set 2001:2::3/128 2
check_equal "group list shows the three prefixes" 3 "$(meter --json group list | jq '.prefixes | length')"

start_traffic_server served $port 3
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.2 --bytes 3000000 >"$TEST_DIR/f1" 2>&1 &
fetch_one=$!
in_client "$TRAFFIC" fetch --connect "[2001:2::1]:$port" --bind 2001:2::3 --bytes 2000000 >"$TEST_DIR/f2" 2>&1 &
fetch_two=$!
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.4 --bytes 1000000 --mark 0xCA000003 >"$TEST_DIR/f3" 2>&1 &
fetch_three=$!
wait $fetch_one && wait $fetch_two && wait $fetch_three && ok "three clients of three groups fetched at once" ||
  not_ok "three clients fetched" "$(cat "$TEST_DIR"/f1 "$TEST_DIR"/f2 "$TEST_DIR"/f3)"
wait_traffic_server served && ok "server sent every byte"

segs1=$(served_field served 198.18.0.2 segs_out); sent1=$(served_field served 198.18.0.2 bytes_sent)
segs2=$(served_field served 2001:2::3 segs_out); sent2=$(served_field served 2001:2::3 bytes_sent)
segs3=$(served_field served 198.18.0.4 segs_out); sent3=$(served_field served 198.18.0.4 bytes_sent)
before3=$(served_field served 198.18.0.4 segs_before_mark)
check_equal "group 1 (IPv4 prefix) packets = segments + SYN-ACK" $((segs1 + 1)) "$(meter_group_field 1 packets)"
check_equal "group 1 bytes = payload + 66 per segment + 74 SYN-ACK" $((sent1 + 66 * segs1 + 74)) "$(meter_group_field 1 bytes)"
check_equal "group 2 (IPv6 prefix) packets" $((segs2 + 1)) "$(meter_group_field 2 packets)"
check_equal "group 2 bytes = payload + 86 per segment + 94 SYN-ACK" $((sent2 + 86 * segs2 + 94)) "$(meter_group_field 2 bytes)"
check_equal "group 3 (socket mark) packets = segments after the mark" $((segs3 - before3)) "$(meter_group_field 3 packets)"
check_equal "group 3 bytes = payload + 66 per marked segment" $((sent3 + 66 * (segs3 - before3))) "$(meter_group_field 3 bytes)"
check_equal "group 9 (/24) got group 3's SYN-ACK and pre-mark segments" $((74 + 66 * before3)) "$(meter_group_field 9 bytes)"
check_equal "nothing unattributed (server port filter)" 0 "$(meter_group_field 0 bytes)"
check_equal "bpftool reads group 1's bytes from the pin (named fields)" "$(meter_group_field 1 bytes)" "$(bpftool_group_field 1 bytes)"
check_equal "bpftool reads group 2's packets from the pin" "$(meter_group_field 2 packets)" "$(bpftool_group_field 2 packets)"

# A second start (daemon restart): pins reused, counters kept, still counting.
link_before=$(bpftool -j link show pinned "$PIN_DIR/cascade_cpulink" | jq .id)
bytes_before=$(meter_group_field 1 bytes)
check "attach again (restart) succeeds" meter attach --interface s0 --port $port
check_equal "counters survive the restart" "$bytes_before" "$(meter_group_field 1 bytes)"
check_equal "one filter on s0 egress after two attaches" 1 \
  "$(in_server tc filter show dev s0 egress | grep -c 'handle 0xca5')"
check_equal "the pinned CPU meter link is reused" "$link_before" "$(bpftool -j link show pinned "$PIN_DIR/cascade_cpulink" | jq .id)"
start_traffic_server again $port 1
in_client "$TRAFFIC" fetch --connect 198.18.0.1:$port --bind 198.18.0.2 --bytes 500000 >/dev/null 2>&1 ||
  not_ok "fetch after restart"
wait_traffic_server again
segs=$(served_field again 198.18.0.2 segs_out); sent=$(served_field again 198.18.0.2 bytes_sent)
check_equal "group 1 keeps counting after the restart" $((bytes_before + sent + 66 * segs + 74)) "$(meter_group_field 1 bytes)"

# top: bounded by --count, one JSON object per report, rates and CPU filled in.
top_output=$(meter --json top --count 2 --interval 200ms)
check_equal "top --count 2 prints two reports" 2 "$(wc -l <<<"$top_output")"
check_equal "top reports a rate for group 1 and the CPU from eBPF" "0 ebpf" \
  "$(tail -1 <<<"$top_output" | jq -r '"\([.groups[] | select(.group == 1) | .rate_bytes_per_second][0]) \(.cpu.source)"')"
check "show prints a table" bash -c "nsenter --net=/run/netns/$SERVER_NS $METER --bpf-pin-dir $PIN_DIR show --interval 100ms | grep -qE '^ +1 +[0-9]+ +[0-9]+ +0 bit/s'"

# Detach keeping pins, then attach: counters still there.
check "detach (keeping pins)" meter detach
check_equal "no filter after detach" "" "$(in_server tc filter show dev s0 egress)"
check_equal "the clsact qdisc we created is gone" 0 "$(in_server tc qdisc show dev s0 | grep -c clsact)"
check "counter pins kept" test -e "$PIN_DIR/cascade_stats"
check "CPU meter stopped (link unpinned)" test ! -e "$PIN_DIR/cascade_cpulink"
check "attach after detach" meter attach --interface s0 --port $port
check_equal "counters kept across detach/attach" "$((bytes_before + sent + 66 * segs + 74))" "$(meter_group_field 1 bytes)"

check "detach --unpin" meter detach --unpin
check_equal "no filter left" "" "$(in_server tc filter show dev s0 egress)"
check_equal "no qdisc of ours left" "noqueue" "$(in_server tc qdisc show dev s0 | awk '{print $2}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "no pin left" test ! -e "$PIN_DIR"
finish
