#!/usr/bin/env bash
# Where a server's CPU goes in one benchmark cell: runs wrk against one
# server and prints its throughput, server and client CPU-s/GB, the server's
# context switches per GB (every thread, io-wq included, from
# /proc/PID/task/*/status), the share of samples per thread kind and the
# top kernel/user symbols (perf record -g; on a VM without a PMU perf falls
# back to cpu-clock sampling, which charges interrupts-off time to the
# place interrupts are enabled again: finish_task_switch,
# _raw_spin_unlock_irqrestore).
#   tests/bench/master/profile.sh SERVER [SIZE] [CLIENTS] [CONFIG] [SECONDS]
#   SERVER: nginx-sendfile | nginx-nosendfile | cascade | cascade-splice | cascade-copy |
#           cascade-sendfile | cascade-zc
#   SIZE: 64K | 4M | 64M (default 64M); CLIENTS (default 8); CONFIG 2x2 | 1x1 (default 2x2)
# PROFILE_WHO=client samples the client (wrk) instead of the server.
# PROFILE_LOADER=load-copy drives it with cascade-load --body copy instead of wrk.
# PROFILE_STEER=rfs steers each packet's receive work to its reader's CPU (as
# BENCH_STEER=rfs); PROFILE_CC=NAME makes NAME the host's default congestion
# control for the run (nginx's too; restored after); PROFILE_MASTER_ARGS adds
# cascade-master flags (e.g. --congestion-control system).
# PROFILE_EVENTS=timers counts, instead of the profile, the high-resolution
# timers that expired on the server's CPU by function (the
# timer:hrtimer_expire_entry tracepoint; 1x1, CPU 0): tcp_pace_kick is the
# kernel pacing a connection itself (bbr without an fq qdisc).
# PROFILE_EVENTS=acks prints, instead of the profile, how the readers
# acknowledge: segments received per data segment sent, summed over the
# server's connections a second before the end (ss -ti; the request
# segments count too), the share of their busy time limited by the
# readers' windows, per request (one segment each) the data segments
# sent and the segments received, and in 1x1 with wrk the function-call
# interrupts the client's CPU took per response (steered, each brings the
# receive work of the segments queued for it since the last one).
# PROFILE_INCLUSIVE="tcp_recvmsg tcp_ack ..." also prints the share of the
# samples spent in each of those functions and everything they call.
# Run by hand (not part of tests/bench/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${CASCADE_BUILD:-$root/build}/bin
server=${1:?server}
size=${2:-64M}
clients=${3:-8}
config=${4:-2x2}
seconds=${5:-5}
source "$root/tests/bench/master/lib.bash"
work=$(mktemp -d /tmp/cascade-profile.XXXXXX)
chmod 755 "$work"
pid="" sampler_pid=""
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  stop_steering; restore_host_congestion; rm -rf "$work"
}
trap cleanup EXIT
[ "${PROFILE_STEER:-}" != rfs ] || start_steering
[ -z "${PROFILE_CC:-}" ] || set_host_congestion "$PROFILE_CC"
loader=${PROFILE_LOADER:-wrk}
events=${PROFILE_EVENTS:-}
if [ "$events" = timers ] && [ "$config" != 1x1 ]; then echo "PROFILE_EVENTS=timers needs CONFIG 1x1"; exit 2; fi

mkdir -p "$work/images"
head -c "$(numfmt --from=iec "$size")" /dev/urandom >"$work/images/$size.bin"
(cd "$work/images" && sha256sum "$size.bin" >SHA256SUMS && cat "$size.bin" >/dev/null)
chmod 755 "$work/images"; chmod 644 "$work/images/"*
workers=2 pin="" client_pin="" threads=2
if [ "$config" = 1x1 ]; then workers=1 pin=0 client_pin=1 threads=1; fi
port=$(free_port)
case $server in
  nginx-*)
    sendfile=on; [ "$server" = nginx-nosendfile ] && sendfile=off
    mkdir -p "$work/nginx/tmp"
    cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $workers;
worker_rlimit_nofile 20000;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 16384; }
http {
  access_log off; sendfile $sendfile; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $work/nginx/tmp/body; proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi; uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server { listen 127.0.0.1:$port reuseport backlog=65535; location /images/ { alias $work/images/; } }
}
EOF
    ${pin:+taskset -c "$pin"} "$(command -v nginx || echo /usr/sbin/nginx)" -p "$work/nginx" \
      -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
    pid=$! ;;
  cascade*)
    mode=(); [ "$server" = cascade ] || mode=(--send-mode "${server#cascade-}")
    ${pin:+taskset -c "$pin"} "$bin/cascade-master" --listen "127.0.0.1:$port" --images "$work/images" \
      --threads "$workers" --meter false --log-level error --max-connections-per-address 0 "${mode[@]}" \
      ${PROFILE_MASTER_ARGS:-} &
    pid=$! ;;
  *) echo "unknown server $server"; exit 2 ;;
esac
wait_port "$port"
switches() {
  local total=0 p f
  for p in $(server_processes "$pid"); do
    for f in /proc/"$p"/task/*/status; do
      total=$((total + $(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$f" 2>/dev/null || echo 0)))
    done
  done
  echo "$total"
}
url="http://127.0.0.1:$port/images/$size.bin"
# The client for SECONDS: wrk, or cascade-load copying every byte.
run_client() {
  local seconds=$1
  shift
  case $loader in
    wrk) "$@" wrk -t "$threads" -c "$clients" -d "${seconds}s" --timeout 600s "$url" ;;
    load-copy) "$@" "$bin/cascade-load" "$url" --clients "$clients" --threads "$threads" \
                 --duration "${seconds}s" --quiet --body copy ;;
    *) echo "PROFILE_LOADER is wrk or load-copy, not $loader"; exit 2 ;;
  esac
}
# warm up, then measure
run_client 1 ${client_pin:+taskset -c "$client_pin"} >/dev/null
ticks_before=$(server_ticks "$pid"); switches_before=$(switches)
# Function-call interrupts (IPIs: with steering, the ones that bring
# packets' receive work to a CPU) taken so far by CPU $1.
function_call_interrupts() {
  awk -v column=$(($1 + 2)) '$1 == "CAL:" { print $column }' /proc/interrupts
}
client_profiler=()
if [ "$events" = timers ]; then
  perf record -q -e timer:hrtimer_expire_entry -C "$pin" -o "$work/perf.data" -- sleep "$seconds" \
    >/dev/null 2>&1 &
  sampler_pid=$!
elif [ "$events" = acks ]; then
  (sleep "$((seconds - 1))"; ss -tinH state established "( sport = :$port )" >"$work/acks") &
  sampler_pid=$!
  [ -z "$client_pin" ] || calls_before=$(function_call_interrupts "$client_pin")
elif [ "${PROFILE_WHO:-server}" = client ]; then
  client_profiler=(perf record -q -g -o "$work/perf.data" --)
else
  perf record -q -g -o "$work/perf.data" -p "$(server_processes "$pid" | paste -sd,)" -- sleep "$seconds" \
    >/dev/null 2>&1 &
  sampler_pid=$!
fi
run_client "$seconds" ${client_pin:+taskset -c "$client_pin"} /usr/bin/time -f "TIME %U %S" \
  "${client_profiler[@]}" >"$work/client.out" 2>&1
[ -z "${sampler_pid:-}" ] || wait "$sampler_pid" || true
ticks_after=$(server_ticks "$pid"); switches_after=$(switches)
[ -z "${calls_before:-}" ] || calls=$(($(function_call_interrupts "$client_pin") - calls_before))
python3 - "$work/client.out" "$((ticks_after - ticks_before))" "$(getconf CLK_TCK)" \
  "$((switches_after - switches_before))" "$server $config $size N=$clients ($loader)" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read()
transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
if transfer:  # wrk
    value, unit = transfer.groups()
    gbps = float(value) * {"GB": 1.073741824, "MB": 1.048576e-3, "KB": 1.024e-6}[unit]
    seconds = float(re.search(r"requests in ([\d.]+)s", text).group(1))
else:  # cascade-load: its JSON line
    summary = json.loads(next(line for line in text.splitlines() if line.startswith("{")))
    seconds = summary["seconds"]
    gbps = summary["bytes"] / seconds / 1e9
gb = gbps * seconds
client = sum(float(x) for x in re.search(r"TIME ([\d.]+) ([\d.]+)", text).groups())
server = int(sys.argv[2]) / int(sys.argv[3])
print("%s: %.2f GB/s, server %.3f CPU-s/GB, client %.3f CPU-s/GB, %d server context switches per GB"
      % (sys.argv[5], gbps, server / gb, client / gb, int(sys.argv[4]) / gb))
EOF
if [ "$events" = timers ]; then
  echo "high-resolution timers expired on CPU $pin in ${seconds}s, by function:"
  perf script -i "$work/perf.data" 2>/dev/null | grep -o 'function=[^ ]*' | sort | uniq -c | sort -rn |
    head -8
  exit 0
fi
if [ "$events" = acks ]; then
  awk '{ for (i = 1; i <= NF; i++) { split($i, field, ":");
           if (field[1] == "segs_in") segments_in += field[2];
           if (field[1] == "data_segs_out") data_out += field[2];
           if (field[1] == "data_segs_in") requests += field[2];
           if (field[1] == "busy") busy += field[2];
           if (field[1] == "rwnd_limited") { split(field[2], share, "ms"); limited += share[1] } } }
       END { if (data_out == 0) { print "no connection open a second before the end"; exit }
             printf "readers acknowledged %.2f segments per data segment; window-limited %.0f%% of the busy time\n",
                    segments_in / data_out, busy ? 100 * limited / busy : 0
             if (requests > 0)
               printf "per request: %.2f data segments sent, %.2f segments received (the request and the acknowledgements)\n",
                      data_out / requests, segments_in / requests }' "$work/acks"
  responses=$(awk '/requests in/ { print $1 }' "$work/client.out")
  if [ -n "${calls:-}" ] && [ -n "$responses" ] && [ "$responses" -gt 0 ]; then
    awk -v calls="$calls" -v responses="$responses" -v cpu="$client_pin" \
      'BEGIN { printf "function-call interrupts on the client'"'"'s CPU %d: %.2f per response\n", cpu, calls / responses }'
  fi
  exit 0
fi
echo "samples by thread:"
perf report -i "$work/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9]' | sed -E 's/iou-wrk-[0-9]+/iou-wrk (io-wq)/' | head -8
if [ -n "${PROFILE_INCLUSIVE:-}" ]; then
  echo "share of samples in each function and what it calls:"
  perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
    awk -v wanted="${PROFILE_INCLUSIVE}" 'BEGIN { n = split(wanted, names, " "); for (i = 1; i <= n; i++) want[names[i]] = 1 }
      /^ +[0-9]/ { for (i = 3; i < NF; i++) if (($i == "[k]" || $i == "[.]") && ($(i + 1) in want))
                     printf "  %8s  %s\n", $1, $(i + 1) }'
fi
echo "top symbols:"
perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
  grep -E '^ +[0-9]' | head -"${PROFILE_SYMBOLS:-15}"
