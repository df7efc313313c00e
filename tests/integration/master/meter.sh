#!/usr/bin/env bash
# cascade-master attaches the eBPF group meter at start: inside a network
# namespace of its own, a master counts two groups at once (one by ?group=N
# socket mark, one by a configured destination prefix), reports them in
# /-/stats and /metrics as bpftool sees them (bytes, packets, caps, drops,
# the ports counted, CPU occupancy), and with a missing interface keeps
# serving and says why. The lifecycle: a master that exits or crashes
# leaves the filter counting and the pins in place; a restart adds to the
# same counters; two masters on one pin directory export the host-wide
# series once between them (the other takes over when the exporter dies);
# `cascade-meter detach --unpin` leaves nothing in the kernel.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_root

namespace=cascade-t-$$-m
pin_dir=/sys/fs/bpf/cascade-test-$$
on_exit "rm -rf $pin_dir"
on_exit "ip netns del $namespace"
on_exit "nsenter --net=/run/netns/$namespace $CASCADE_BIN/cascade-meter --bpf-pin-dir $pin_dir detach --unpin"
ip netns add "$namespace" && ip -n "$namespace" link set lo up || { not_ok "network namespace"; finish; }
in_namespace() { nsenter --net="/run/netns/$namespace" "$@"; }

images=$TEST_DIR/images
mkdir -p "$images"
head -c 3000000 /dev/urandom >"$images/fw.bin"
(cd "$images" && sha256sum fw.bin >SHA256SUMS)
size=3000000
expected_sha=$(sha_of "$images/fw.bin")

# start_master without --meter false, inside the namespace.
start_metered() {
  local name=$1 waited=0
  shift
  start_daemon "$name" nsenter --net="/run/netns/$namespace" "$CASCADE_BIN/cascade-master" \
    --listen 127.0.0.1:0 --images "$images" --threads 1 --bpf-pin-dir "$pin_dir" "$@"
  while [ $waited -lt 200 ]; do
    port=$(grep -m1 -oE 'listening on 127\.0\.0\.1:[0-9]+' "$TEST_DIR/$name.log" 2>/dev/null | cut -d: -f2)
    [ -n "$port" ] && grep -qE 'group meter|without the group meter' "$TEST_DIR/$name.log" && return 0
    sleep 0.05; waited=$((waited + 1))
  done
  not_ok "$name starts" "$(tail -n 20 "$TEST_DIR/$name.log")"
  finish
}

stats() { in_namespace curl -s --max-time 10 "http://127.0.0.1:$port/-/stats"; }
meter_bytes() { stats | jq -r --arg g "$1" '.meter.groups[$g].bytes // 0'; }
bpftool_bytes() {
  bpftool -j map dump pinned "$pin_dir/cascade_stats" |
    jq --argjson g "$1" '[.[] | select(.formatted.key == $g) | .formatted.values[].value.bytes] | add // 0'
}

start_metered master --group 127.0.0.7/32=7
check_equal "meter attached, as /-/stats says" "true" "$(stats | jq -r .meter.attached)"
check "filter on the namespace's lo egress" bash -c "in_ns() { nsenter --net=/run/netns/$namespace \"\$@\"; }; in_ns tc filter show dev lo egress | grep -q bpf"

in_namespace curl -s --max-time 30 -o "$TEST_DIR/a.bin" "http://127.0.0.1:$port/images/fw.bin?group=3" &
first_download=$!
in_namespace curl -s --max-time 30 --interface 127.0.0.7 -o "$TEST_DIR/b.bin" "http://127.0.0.1:$port/images/fw.bin"
wait $first_download
check_equal "group 3 download byte-exact" "$expected_sha" "$(sha_of "$TEST_DIR/a.bin")"
check_equal "group 7 download byte-exact" "$expected_sha" "$(sha_of "$TEST_DIR/b.bin")"

# Frames carry the body plus, per packet, at most 14+40+32 header bytes and
# the response head; loopback sends up to 64 KiB segments.
for group in 3 7; do
  bytes=$(meter_bytes $group)
  if [ "$bytes" -ge "$size" ] && [ "$bytes" -le $((size + size / 20 + 8192)) ]; then
    ok "group $group counted $bytes frame bytes for a $size-byte image"
  else
    not_ok "group $group counted the image's bytes" "meter says $bytes for $size"
  fi
  check_equal "group $group: /-/stats equals bpftool's dump" "$(bpftool_bytes $group)" "$bytes"
done
check_equal "/-/stats lists the port counted" "[$port] true" "$(stats | jq -c '.meter.ports, .meter.port_counted' | tr '\n' ' ' | sed 's/ $//')"
metrics() { in_namespace curl -s --max-time 10 "http://127.0.0.1:$port/metrics"; }
# metric NAME LABELS-REGEX: the value of the series whose labels match
metric() { metrics | grep -E "^$1\{[^}]*$2[^}]*\} " | awk '{print $2}' | head -1; }
check_equal "/metrics: group 3's bytes as in /-/stats" "$(meter_bytes 3)" \
  "$(metric cascade_meter_group_bytes_total 'group="3"')"
check_equal "/metrics: group 3's packets as in /-/stats" "$(stats | jq -r '.meter.groups["3"].packets')" \
  "$(metric cascade_meter_group_packets_total 'group="3"')"
check_equal "/metrics: the series name the pin directory" "$(meter_bytes 7)" \
  "$(metric cascade_meter_group_bytes_total "pin_dir=\"$pin_dir\",group=\"7\"")"
check_equal "/metrics: the port counted" 1 "$(metric cascade_meter_port_counted "port=\"$port\"")"
check_equal "this master is the exporter" "1 true" "$(metrics | awk '/^cascade_master_meter_exporter / {print $2}') $(stats | jq .meter.exporter)"
wait_until 5 bash -c "nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/-/stats | jq -e '.meter.cpu.occupancy_basis_points != null'"
cpu=$(stats | jq -c '.meter.cpu | [.source, (.occupancy_basis_points >= 0 and .occupancy_basis_points <= 10000)]')
check_equal "/-/stats has the CPU occupancy from eBPF" '["ebpf",true]' "$cpu"
check "/metrics has the CPU occupancy and busy time" bash -c \
  "nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/metrics | grep -E '^cascade_meter_cpu_occupancy_basis_points\{.*source=\"ebpf\"\} [0-9]+$' &&
   nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/metrics | grep -qE '^cascade_meter_cpu_busy_seconds_total\{.*\} [0-9.]+$'"

# A cap set with cascade-meter while the master serves: both endpoints show it.
check "cap group 3 at 40mbit" in_namespace "$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin_dir" cap set 3 40mbit
check_equal "/-/stats: group 3's cap and class" "5000000 ca:3" \
  "$(stats | jq -r '.meter.groups["3"] | "\(.cap_bytes_per_second) \(.htb_class)"')"
check_equal "/metrics: group 3's cap" 5000000 "$(metric cascade_meter_group_cap_bytes_per_second 'group="3"')"
check_equal "/metrics: group 3's shaper drops as in /-/stats" \
  "$(stats | jq -r '.meter.groups["3"].shaper_dropped_packets')" \
  "$(metric cascade_meter_group_dropped_packets_total 'group="3",where="shaper"')"
check "clear it" in_namespace "$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin_dir" cap clear 3

# A second master on the same pin directory: the counters are exported once.
first_port=$port
start_metered second --group 127.0.0.7/32=7
second_port=$port
exporters=$(for p in $first_port $second_port; do
  in_namespace curl -s "http://127.0.0.1:$p/metrics" | awk '/^cascade_master_meter_exporter / {print $2}'; done | awk '{sum += $1} END {print sum + 0}')
check_equal "one exporter between the two masters" 1 "$exporters"
series=$(for p in $first_port $second_port; do
  in_namespace curl -s "http://127.0.0.1:$p/metrics" | grep -cE '^cascade_meter_group_bytes_total\{[^}]*group="3"'; done | awk '{sum += $1} END {print sum + 0}')
check_equal "group 3's bytes appear once over both /metrics (a sum counts them once)" 1 "$series"
check_equal "the second master's /-/stats shows the same host-wide bytes" "$(port=$first_port; meter_bytes 3)" "$(meter_bytes 3)"
check_equal "its port is registered too" "$(jq -cn --argjson a $first_port --argjson b $second_port '[$a, $b] | sort')" "$(stats | jq -c '.meter.ports | sort')"
kill_hard master
check_equal "the first master killed: the second takes over the export" 1 \
  "$(in_namespace curl -s "http://127.0.0.1:$second_port/metrics" | awk '/^cascade_master_meter_exporter / {print $2}')"
stop_daemon second
port=$first_port

before=$(bpftool_bytes 3)
meter_cli() { in_namespace "$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin_dir" "$@"; }
check_equal "both masters gone (one crashed): the filter stays, still counting" "true" \
  "$(meter_cli --json show --interval 0 | jq .group_meter.attached)"
start_metered master-again --group 127.0.0.7/32=7
check "counters survive a restart (group 3 still $before)" test "$(meter_bytes 3)" -ge "$before"
in_namespace curl -s -o /dev/null "http://127.0.0.1:$port/images/fw.bin?group=3"
after=$(meter_bytes 3)
check "the restarted master adds to the same counter" test "$after" -ge $((before + size))
ctl_bytes=$(nsenter --net=/run/netns/$namespace "$CASCADE_BIN/cascadectl" --json meter --bpf-pin-dir "$pin_dir" show --interval 0 |
  jq '[.groups[] | select(.group == 3) | .bytes][0] // 0')
check_equal "cascadectl meter shows the same group 3 bytes" "$(meter_bytes 3)" "$ctl_bytes"
check "cascade-meter detach while the master serves" meter_cli detach
check_equal "/-/stats reports the kernel's state: detached" "false detached" \
  "$(stats | jq -r '"\(.meter.attached) \(.meter.reason | split(":")[0])"')"
check "attach again" meter_cli attach --interface lo --port "$port"
check_equal "/-/stats: attached again, our port counted" "true true" "$(stats | jq -r '"\(.meter.attached) \(.meter.port_counted)"')"
stop_daemon master-again && ok "master stops cleanly with the meter attached"
check_equal "the master stopped: the filter stays" "true" "$(meter_cli --json show --interval 0 | jq .group_meter.attached)"
check "detach --unpin" meter_cli detach --unpin
check_equal "nothing left: no filter" "" "$(in_namespace tc filter show dev lo egress)"
check_equal "nothing left: no qdisc of ours" "noqueue" "$(in_namespace tc qdisc show dev lo | awk '{print $2}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "nothing left: no pin" test ! -e "$pin_dir"

start_metered no-interface --meter-interface nosuchif0
check_equal "missing interface: serving without meters" "false" "$(stats | jq -r .meter.attached)"
check "the reason names the interface" bash -c "nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/-/stats | jq -r .meter.reason | grep -q nosuchif0"
in_namespace curl -s -o "$TEST_DIR/c.bin" "http://127.0.0.1:$port/images/fw.bin?group=3"
check_equal "and still serves byte-exact" "$expected_sha" "$(sha_of "$TEST_DIR/c.bin")"
stop_daemon no-interface
check "the CPU meter it shared and its exporter folder go with detach --unpin" bash -c \
  "nsenter --net=/run/netns/$namespace $CASCADE_BIN/cascade-meter --bpf-pin-dir $pin_dir detach --unpin && test ! -e $pin_dir"

output=$("$CASCADE_BIN/cascade-master" --images "$images" --group 10.0.0.0/33=4 2>&1)
status=$?
if [ $status -eq 2 ] && grep -q "group" <<<"$output"; then ok "a bad group prefix is refused at start"; else not_ok "a bad group prefix is refused at start" "$status: $output"; fi
output=$("$CASCADE_BIN/cascade-master" --images "$images" --group 10.0.0.0/8=0 2>&1)
[ $? -eq 2 ] && ok "group 0 (the unattributed bucket) is refused" || not_ok "group 0 is refused" "$output"
finish
