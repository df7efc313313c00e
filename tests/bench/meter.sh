#!/usr/bin/env bash
# Benchmark of the eBPF meters (provisional until run on a quiet machine).
#
# 1. Overhead: N concurrent full downloads (default 1000) of a SIZE image
#    from cascade-master in a test namespace over a veth pair, driven by
#    cascade-load in the peer namespace, alternating rounds with the group
#    meter attached (counting the server port, the clients' prefix mapped to
#    a group) and detached. Prints throughput per round and the
#    attached/detached ratio of the medians (target >= 0.97).
# 2. Cap accuracy: one download per cap (10mbit, 50mbit, 200mbit by default)
#    measured by the client (cascade-meter-traffic fetch), ratio to the cap.
#
#   tests/bench/meter.sh [--downloads N] [--size BYTES] [--rounds R] [--caps "10mbit 50mbit"]
# (defaults: 1000 downloads of 4 MiB, 6 rounds each way after a warm-up)
# Needs root; builds nothing: run make first.
set -u
source "$(dirname "$0")/../integration/lib.sh"

downloads=1000 size=4194304 rounds=6 caps="10mbit 50mbit 200mbit"
while [ $# -gt 0 ]; do
  case "$1" in
    --downloads) downloads=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --caps) caps=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "meter.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "meter.sh: needs root (netns, tc, eBPF)" >&2; exit 1; }

make_topology || { echo "meter.sh: cannot set up namespaces" >&2; exit 1; }
port=8080
mkdir -p "$TEST_DIR/images"
head -c "$size" /dev/urandom >"$TEST_DIR/images/image.bin"
(cd "$TEST_DIR/images" && sha256sum image.bin >SHA256SUMS)
in_server sysctl -qw net.core.somaxconn=4096
# The meter is attached and detached by this script between rounds, so the
# server itself runs with --meter false: both sides serve identically.
start_daemon master nsenter --net="/run/netns/$SERVER_NS" "$CASCADE_BIN/cascade-master" \
  --listen "198.18.0.1:$port" --images "$TEST_DIR/images" --threads 2 --meter false
for _ in $(seq 100); do in_client curl -s -o /dev/null "http://198.18.0.1:$port/images/image.bin" && break; sleep 0.05; done

# One round: prints bytes per second of all downloads together.
round() {
  local result
  result=$(in_client "$CASCADE_BIN/cascade-load" "http://198.18.0.1:$port/images/image.bin" \
    --clients "$downloads" --threads 2 --expect-size "$size" --deadline 5m --quiet) ||
    { echo "meter.sh: a download failed: $result" >&2; echo 0; return; }
  jq -r '(.bytes / .seconds) | floor' <<<"$result"
}

median() { sort -n | awk '{v[NR]=$1} END {printf "%.0f\n", (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# overhead: $downloads concurrent cascade-master downloads of $size bytes, $rounds rounds each way"
attached=() detached=()
round >/dev/null   # warm-up, not counted
# AABB order (attached twice, detached twice, ...) so that a drift
# of the machine's speed weighs on both sides alike.
for ((index = 1; index <= 2 * rounds; index++)); do
  if [ $(( (index + 1) / 2 % 2 )) -eq 1 ]; then
    meter attach --interface s0 --port $port --no-cpu >/dev/null && meter group set 198.18.0.0/24 1 >/dev/null
    rate=$(round); attached+=("$rate")
    echo "round $index attached: $rate B/s"
    meter detach >/dev/null
  else
    rate=$(round); detached+=("$rate")
    echo "round $index detached: $rate B/s"
  fi
done
attached_median=$(printf '%s\n' "${attached[@]}" | median)
detached_median=$(printf '%s\n' "${detached[@]}" | median)
echo "median attached: $attached_median B/s, detached: $detached_median B/s"
awk -v a="$attached_median" -v d="$detached_median" 'BEGIN { printf "ratio attached/detached: %.3f (target >= 0.97)\n", a / d }'

echo "# cap accuracy: one download per cap, measured by the client"
meter attach --interface s0 --port 9000 --no-cpu >/dev/null
meter group set 198.18.0.2 1 >/dev/null
for cap in $caps; do
  meter cap set 1 "$cap" >/dev/null || { echo "cap $cap refused"; continue; }
  cap_bytes=$(meter_group_field 1 cap_bytes_per_second)
  bytes=$((cap_bytes * 4))   # about 4 seconds
  start_traffic_server capserver 9000 1
  result=$(in_client "$TRAFFIC" fetch --connect 198.18.0.1:9000 --bind 198.18.0.2 --bytes "$bytes")
  wait_traffic_server capserver >/dev/null
  measured=$(grep -oE 'rate_bytes_per_second=[0-9]+' <<<"$result" | cut -d= -f2)
  awk -v c="$cap" -v cb="$cap_bytes" -v m="$measured" \
    'BEGIN { printf "cap %-8s = %d B/s: client measured %d B/s, ratio %.4f\n", c, cb, m, m / cb }'
done
meter detach --unpin >/dev/null
stop_daemon master >/dev/null
exit 0
