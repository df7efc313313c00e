#!/usr/bin/env bash
# Benchmark: cascade-master against nginx (Debian's nginx-light, sendfile on
# and off) at gateway concurrency, driven by clients that read every byte.
#
# Cells: server configuration x image size x clients N. In each cell the
# three servers are measured with each client in alternating order (the
# order is reversed every other round), for BENCH_ROUNDS rounds; the table
# shows medians and the ratios cascade/nginx per cell, with the spread of
# the per-round ratios.
#
#   configurations  2x2: cascade --threads 2, nginx worker_processes 2, nothing pinned
#                   1x1: cascade --threads 1, nginx worker_processes 1, the server
#                        pinned to CPU 0 and the client to CPU 1 (a one-core gateway)
#   images          64 KiB, 4 MiB, 64 MiB (from the page cache)
#   clients         N = 8, 32, 128, 1,000, 10,000 keep-alive connections, each
#                   GETting the image again and again for BENCH_DURATION seconds
#   loaders         wrk  (Debian's wrk 4.1: the independent client; reads every byte
#                         into user space, 8 KiB at a time)
#                   load-copy (cascade-load --duration --body copy: recv into a
#                         256 KiB buffer, as a slave writing to flash does)
#                   load-discard, only when asked (cascade-load --body discard:
#                         recv(MSG_TRUNC), no copy; cheaper than any real client)
#
# Per run: throughput (bytes the client read / seconds; wrk counts heads too),
# server CPU-s/GB (utime+stime of every server process from /proc, nginx
# master and workers, cascade's loops and io-wq threads), client CPU-s/GB
# (/usr/bin/time), peak RSS (VmHWM reset before each run; nginx: summed over
# its processes), errors (wrk: connect/read/write/status/timeout; cascade-load:
# its error_total). On loopback the receiving side's TCP work is charged to
# whichever side transmits, so server and client CPU are both shown and their
# sum is the work per GB; report.py says which one decides a cell.
#
# Environment (defaults: the full run, about 28 minutes):
#   BENCH_QUICK=1                 quick subset: 2x2 and 1x1, 64K and 64M, N = 8 128 10000,
#                                 wrk only (about 5 minutes)
#   BENCH_CONFIGS="2x2 1x1"       BENCH_SIZES="64K 4M 64M"
#   BENCH_CLIENTS="8 32 128 1000 10000"
#   BENCH_LOADERS="wrk load-copy" (add load-discard for the labelled extra)
#   BENCH_SERVERS="nginx-sendfile nginx-nosendfile nginx-sendfile-sndbuf cascade"
#                                 nginx-sendfile-sndbuf: nginx with sendfile and
#                                 cascade-master's send buffer (listen sndbuf=,
#                                 BENCH_NGINX_SNDBUF=128k): where the kernel runs
#                                 the transmissions, not the server's code
#                                 cascade-MODE (splice, copy, sendfile, zc) adds a cascade with
#                                 --send-mode MODE: each cascade gets its own table
#   BENCH_ROUNDS=3                BENCH_DURATION=2 (seconds per run)
#   BENCH_STEER=rfs               steer each packet's receive work to the CPU of the socket
#                                 that reads it (RFS on lo; restored afterwards): the
#                                 server's CPU then does its own ACK processing and
#                                 transmissions, the client's CPU its own receiving, as
#                                 over a NIC. Without it the kernel does both in whichever
#                                 context sends (the client runs a server's transmissions).
#                                 In 1x1 every run also records the server core's busy time
#                                 (CPU 0 in /proc/stat: the process, its softirqs, the IPIs).
#   BENCH_CC=NAME                 the host's default TCP congestion control for the run (every
#                                 server's connections, nginx's too; restored afterwards).
#                                 Unset: the host's as it is (bbr on the project's machines);
#                                 cascade-master then picks its own (--congestion-control auto)
#   BENCH_MASTER_ARGS=""          extra cascade-master flags (e.g. --send-mode zc)
#   BENCH_CASCADE_BIN=PATH        another cascade-master binary for every cascade server
#   BENCH_BASELINE_BIN=PATH       the server "cascade-baseline" (auto mode) runs this binary,
#                                 e.g. a build of the previous commit, beside "cascade"
# Results: the table on stdout, one JSON line per run in $BENCH_OUT (default
# build/bench/master.jsonl); `tests/bench/master/report.py FILE` prints the
# table again from such a file.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CASCADE_BUILD:-$root/build}
bin=$build/bin
if [ -n "${BENCH_QUICK:-}" ]; then
  : "${BENCH_SIZES:=64K 64M}" "${BENCH_CLIENTS:=8 128 10000}" "${BENCH_LOADERS:=wrk}"
fi
configs=${BENCH_CONFIGS:-"2x2 1x1"}
sizes=${BENCH_SIZES:-"64K 4M 64M"}
clients_list=${BENCH_CLIENTS:-"8 32 128 1000 10000"}
loaders=${BENCH_LOADERS:-"wrk load-copy"}
servers=${BENCH_SERVERS:-"nginx-sendfile nginx-nosendfile nginx-sendfile-sndbuf cascade"}
nginx_send_buffer=${BENCH_NGINX_SNDBUF:-128k}
rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-2}
cascade_bin=${BENCH_CASCADE_BIN:-$bin/cascade-master}
out=${BENCH_OUT:-$build/bench/master.jsonl}
mkdir -p "$(dirname "$out")"
: >"$out"

for tool in nginx wrk taskset python3; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "master.sh: $tool missing (tools/install-deps --bench)"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "master.sh: /usr/bin/time missing (Debian package time)"; exit 1; }
[ -x "$cascade_bin" ] && [ -x "$bin/cascade-load" ] || { echo "master.sh: build first (make)"; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ "$(nproc)" -ge 2 ] || { echo "master.sh: the 1x1 configuration needs 2 CPUs"; exit 1; }

source "$root/tests/bench/master/lib.bash"
work=$(mktemp -d /tmp/cascade-bench.XXXXXX)
chmod 755 "$work"
declare -A server_pid=() server_port=()
stop_servers() {
  local name
  for name in "${!server_pid[@]}"; do kill -TERM "${server_pid[$name]}" 2>/dev/null || true; done
  for name in "${!server_pid[@]}"; do wait "${server_pid[$name]}" 2>/dev/null || true; done
  server_pid=(); server_port=(); server_processes_of=()
}
# ---- steering (BENCH_STEER=rfs) and congestion control (BENCH_CC) ----------------
steer=${BENCH_STEER:-}
case $steer in
  "") export BENCH_NETWORK=loopback ;;
  rfs) export BENCH_NETWORK=loopback-rfs ;;
  *) echo "master.sh: BENCH_STEER is empty or rfs, not '$steer'"; exit 1 ;;
esac
cleanup() { stop_servers; stop_steering; restore_host_congestion; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$steer" != rfs ] || start_steering
[ -z "${BENCH_CC:-}" ] || set_host_congestion "$BENCH_CC"
export BENCH_CONGESTION=$(cat /proc/sys/net/ipv4/tcp_congestion_control)

# ---- images -------------------------------------------------------------------
to_bytes() { numfmt --from=iec "$1"; }
mkdir -p "$work/images"
for size in $sizes; do head -c "$(to_bytes "$size")" /dev/urandom >"$work/images/$size.bin"; done
(cd "$work/images" && sha256sum ./*.bin | sed 's# \./# #' >SHA256SUMS && cat ./*.bin >/dev/null)
chmod 755 "$work/images"; chmod 644 "$work/images/"*

# ---- servers ------------------------------------------------------------------
# pin: "" or the CPU list the server runs on.
start_nginx() {
  local name=$1 sendfile=$2 workers=$3 pin=$4 send_buffer=${5:-} port dir
  port=$(free_port); dir="$work/$name"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
worker_processes $workers;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
daemon off;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile $sendfile;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port reuseport backlog=65535${send_buffer:+ sndbuf=$send_buffer};
    location /images/ { alias $work/images/; }
  }
}
EOF
  ${pin:+taskset -c "$pin"} "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  server_pid[$name]=$!
  server_port[$name]=$port
  wait_port "$port"
}

# Every client of this bench comes from 127.0.0.1, which the per-address
# cap (1,024 by default) exists to stop: it is lifted here.
start_cascade() {
  local name=$1 threads=$2 pin=$3 port mode_args=() binary=$cascade_bin
  port=$(free_port)
  case $name in
    cascade) ;;
    cascade-baseline) binary=${BENCH_BASELINE_BIN:?cascade-baseline needs BENCH_BASELINE_BIN} ;;
    *) mode_args=(--send-mode "${name#cascade-}") ;;
  esac
  # shellcheck disable=SC2086
  ${pin:+taskset -c "$pin"} "$binary" --listen "127.0.0.1:$port" --images "$work/images" \
    --threads "$threads" --meter false --log-level error --max-connections-per-address 0 \
    "${mode_args[@]}" ${BENCH_MASTER_ARGS:-} 2>>"$work/$name.log" &
  server_pid[$name]=$!
  server_port[$name]=$port
  wait_port "$port"
}

start_servers() {
  local config=$1 workers pin name
  case $config in
    2x2) workers=2; pin="" ;;
    1x1) workers=1; pin=0 ;;
    *) echo "unknown configuration $config"; exit 1 ;;
  esac
  for name in $servers; do
    case $name in
      nginx-sendfile) start_nginx nginx-sendfile on "$workers" "$pin" ;;
      nginx-nosendfile) start_nginx nginx-nosendfile off "$workers" "$pin" ;;
      nginx-sendfile-sndbuf) start_nginx nginx-sendfile-sndbuf on "$workers" "$pin" "$nginx_send_buffer" ;;
      cascade|cascade-splice|cascade-copy|cascade-sendfile|cascade-zc|cascade-baseline) start_cascade "$name" "$workers" "$pin" ;;
      *) echo "unknown server $name"; exit 1 ;;
    esac
  done
}

cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"bytes":%d,"requests":%d,"duration_us":%d,"errors":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n', summary.bytes,
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

hz=$(getconf CLK_TCK)
# The processes of each server, read once (nginx's workers do not change).
declare -A server_processes_of=()
processes_of() {
  [ -n "${server_processes_of[$1]:-}" ] || server_processes_of[$1]=$(server_processes "${server_pid[$1]}" | paste -sd' ')
  echo "${server_processes_of[$1]}"
}
# utime+stime ticks of every thread (dead ones included) of the given processes.
ticks_of() {
  local total=0 pid fields
  for pid in "$@"; do
    read -r fields <"/proc/$pid/stat" || continue
    fields=${fields##*) }
    set -- $fields
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
peak_kib_of() {
  local total=0 pid line
  for pid in "$@"; do
    while read -r line; do
      case $line in VmHWM:*) line=${line#VmHWM:}; total=$((total + ${line%kB})) ;; esac
    done <"/proc/$pid/status"
  done
  echo "$total"
}
# Busy ticks of CPU 0, the server's core in 1x1 (user, nice, system, irq, softirq).
core_ticks() {
  local name user nice system idle iowait irq softirq rest
  while read -r name user nice system idle iowait irq softirq rest; do
    [ "$name" = cpu0 ] && { echo $((user + nice + system + irq + softirq)); return; }
  done </proc/stat
}
# run_one CONFIG SIZE N ROUND LOADER SERVER: one measurement, one JSON line.
run_one() {
  local config=$1 size=$2 clients=$3 round=$4 loader=$5 name=$6 port url threads pin="" processes pid
  local before after core_before core_after
  port=${server_port[$name]}
  processes=$(processes_of "$name")
  url="http://127.0.0.1:$port/images/$size.bin"
  threads=2
  if [ "$config" = 1x1 ]; then threads=1; pin=1; fi
  [ "$clients" -ge "$threads" ] || threads=$clients
  # shellcheck disable=SC2086
  for pid in $processes; do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done
  # shellcheck disable=SC2086
  before=$(ticks_of $processes)
  core_before=$(core_ticks)
  case $loader in
    wrk)
      ${pin:+taskset -c "$pin"} /usr/bin/time -f "TIME %U %S" wrk -t "$threads" -c "$clients" \
        -d "${duration}s" --timeout 600s -s "$work/report.lua" "$url" >"$work/client.out" 2>&1 || true ;;
    load-copy|load-discard)
      ${pin:+taskset -c "$pin"} /usr/bin/time -f "TIME %U %S" "$bin/cascade-load" "$url" \
        --clients "$clients" --threads "$threads" --duration "${duration}s" --quiet \
        --body "${loader#load-}" >"$work/client.out" 2>&1 || true ;;
  esac
  # shellcheck disable=SC2086
  after=$(ticks_of $processes)
  core_after=$(core_ticks)
  if [ "$config" = 1x1 ]; then export BENCH_CORE_TICKS=$((core_after - core_before)); else unset BENCH_CORE_TICKS; fi
  # shellcheck disable=SC2086
  python3 "$root/tests/bench/master/run_row.py" "$config" "$size" "$clients" "$round" \
    "$loader" "$name" "$((after - before))" "$hz" "$(peak_kib_of $processes)" "$work/client.out" "$out"
}

started=$(date +%s)
for config in $configs; do
  start_servers "$config"
  for size in $sizes; do
    for clients in $clients_list; do
      for round in $(seq 1 "$rounds"); do
        order=$servers
        if [ $((round % 2)) -eq 0 ]; then order=$(tr ' ' '\n' <<<"$servers" | tac | tr '\n' ' '); fi
        for loader in $loaders; do
          for name in $order; do run_one "$config" "$size" "$clients" "$round" "$loader" "$name"; done
        done
      done
    done
  done
  stop_servers
done
echo "# $(( $(date +%s) - started )) s; runs in $out"
python3 "$root/tests/bench/master/report.py" "$out"
