#!/usr/bin/env bash
# Benchmark of the eBPF meters (provisional until run on a quiet machine).
#
# 1. Overhead: N concurrent downloads (default 1000: 4 curl processes x 250
#    parallel transfers) of a SIZE file from nginx in a test namespace over
#    a veth pair, alternating rounds with the group meter attached (counting
#    the server port, the clients' prefix mapped to a group) and detached.
#    Prints throughput per round and the attached/detached ratio of the
#    medians (target >= 0.97). nginx stands in for cascade-master until it is
#    merged; the lead re-runs this against cascade-master.
# 2. Cap accuracy: one download per cap (10mbit, 50mbit, 200mbit by default)
#    measured by the client (cascade-meter-traffic fetch), ratio to the cap.
#
#   tests/bench/meter.sh [--downloads N] [--size BYTES] [--rounds R] [--caps "10mbit 50mbit"]
# (defaults: 1000 downloads of 4 MiB, 6 rounds each way after a warm-up)
# Needs root, nginx (tools/deps/bench.list), curl; builds nothing: run make first.
set -u
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/../integration/meter/meter_lib.bash"

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
command -v nginx >/dev/null || { echo "meter.sh: needs nginx (tools/install-deps --bench)" >&2; exit 1; }

make_topology || { echo "meter.sh: cannot set up namespaces" >&2; exit 1; }
port=8080
mkdir -p "$TEST_DIR/www" "$TEST_DIR/nginx"
head -c "$size" /dev/zero >"$TEST_DIR/www/image.bin"
cat >"$TEST_DIR/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon off;
pid $TEST_DIR/nginx/nginx.pid;
error_log $TEST_DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_timeout 0;
  client_body_temp_path $TEST_DIR/nginx;
  proxy_temp_path $TEST_DIR/nginx;
  fastcgi_temp_path $TEST_DIR/nginx;
  uwsgi_temp_path $TEST_DIR/nginx;
  scgi_temp_path $TEST_DIR/nginx;
  server { listen 198.18.0.1:$port backlog=4096; root $TEST_DIR/www; }
}
CONF
in_server sysctl -qw net.core.somaxconn=4096
start_daemon nginx nsenter --net="/run/netns/$SERVER_NS" nginx -c "$TEST_DIR/nginx.conf" -p "$TEST_DIR/nginx"
for _ in $(seq 100); do in_client curl -s -o /dev/null "http://198.18.0.1:$port/image.bin" && break; sleep 0.05; done

processes=4
per_process=$(( (downloads + processes - 1) / processes ))
url_list="$TEST_DIR/urls"
: >"$url_list"
for _ in $(seq "$per_process"); do
  printf 'url = "http://198.18.0.1:%s/image.bin"\noutput = "/dev/null"\n' "$port" >>"$url_list"
done

# One round: prints bytes per second of all downloads together.
round() {
  local started finished pids=() pid failed=0
  started=$(date +%s%N)
  for ((process = 0; process < processes; process++)); do
    in_client curl -s --fail -Z --parallel-immediate --parallel-max "$per_process" -K "$url_list" >/dev/null 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  finished=$(date +%s%N)
  [ $failed -eq 0 ] || { echo "meter.sh: a download failed" >&2; echo 0; return; }
  echo $(( size * per_process * processes * 1000000000 / (finished - started) ))
}

median() { sort -n | awk '{v[NR]=$1} END {printf "%.0f\n", (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# overhead: $((per_process * processes)) concurrent downloads of $size bytes, $rounds rounds each way"
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
stop_daemon nginx >/dev/null
exit 0
