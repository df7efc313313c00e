#!/usr/bin/env bash
# cascade-master attaches the eBPF group meter at start: inside a network
# namespace of its own, a master counts two groups at once (one by ?group=N
# socket mark, one by a configured destination prefix), reports them in
# /-/stats and /metrics as bpftool sees them, keeps the counters across a
# restart, and with a missing interface keeps serving and says why.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/master-lib.bash"
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
check "/metrics has the meter's per-group bytes" bash -c \
  "nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/metrics | grep -q 'cascade_meter_group_bytes_total{group=\"3\"} [1-9]'"

before=$(meter_bytes 3)
stop_daemon master && ok "master stops cleanly with the meter attached"
start_metered master-again --group 127.0.0.7/32=7
check "counters survive a restart (group 3 still $before)" test "$(meter_bytes 3)" -ge "$before"
in_namespace curl -s -o /dev/null "http://127.0.0.1:$port/images/fw.bin?group=3"
after=$(meter_bytes 3)
check "the restarted master adds to the same counter" test "$after" -ge $((before + size))
ctl_bytes=$(nsenter --net=/run/netns/$namespace "$CASCADE_BIN/cascadectl" --json meter --bpf-pin-dir "$pin_dir" show --interval 0 |
  jq '[.groups[] | select(.group == 3) | .bytes][0] // 0')
check_equal "cascadectl meter shows the same group 3 bytes" "$(meter_bytes 3)" "$ctl_bytes"
stop_daemon master-again

start_metered no-interface --meter-interface nosuchif0
check_equal "missing interface: serving without meters" "false" "$(stats | jq -r .meter.attached)"
check "the reason names the interface" bash -c "nsenter --net=/run/netns/$namespace curl -s http://127.0.0.1:$port/-/stats | jq -r .meter.reason | grep -q nosuchif0"
in_namespace curl -s -o "$TEST_DIR/c.bin" "http://127.0.0.1:$port/images/fw.bin?group=3"
check_equal "and still serves byte-exact" "$expected_sha" "$(sha_of "$TEST_DIR/c.bin")"
stop_daemon no-interface

output=$("$CASCADE_BIN/cascade-master" --images "$images" --group 10.0.0.0/33=4 2>&1)
status=$?
if [ $status -eq 2 ] && grep -q "group" <<<"$output"; then ok "a bad group prefix is refused at start"; else not_ok "a bad group prefix is refused at start" "$status: $output"; fi
output=$("$CASCADE_BIN/cascade-master" --images "$images" --group 10.0.0.0/8=0 2>&1)
[ $? -eq 2 ] && ok "group 0 (the unattributed bucket) is refused" || not_ok "group 0 is refused" "$output"
finish
