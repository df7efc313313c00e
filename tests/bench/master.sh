#!/usr/bin/env bash
# Benchmark: cascade-master against nginx (Debian's nginx-light) with
# sendfile on and with sendfile off, all serving the same image, driven by
# the same cascade-load (N concurrent full downloads, every byte counted),
# in alternating rounds within one run. For each N it prints throughput,
# makespan, server CPU seconds per GB (utime+stime of every server process
# from /proc/PID/stat, nginx master and workers, cascade's threads and its
# io-wq threads), peak RSS (VmHWM; for nginx the SUM over master and
# workers), the load generator's own CPU per GB (on loopback the kernel
# charges receive work to whichever side transmits, so the sum of both is
# shown too), and the ratios cascade/nginx, then checks the targets.
#
# Environment (defaults give the full run):
#   BENCH_CLIENTS="100 1000 10000"   client counts
#   BENCH_ROUNDS=1                   rounds per N (servers alternate within a round)
#   BENCH_IMAGE_MB=64                image size in MiB
#   BENCH_LOAD_THREADS=2             cascade-load event loops
#   BENCH_MASTER_ARGS=""             extra cascade-master flags (e.g. --send-mode zc)
#   BENCH_SERVERS="nginx-sendfile nginx-nosendfile cascade"
#   BENCH_DEADLINE=3600              seconds per load run
# Results: a table on stdout and JSON lines in $BENCH_OUT (default
# build/bench/master.jsonl).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CASCADE_BUILD:-$root/build}
bin=$build/bin
clients_list=${BENCH_CLIENTS:-"100 1000 10000"}
rounds=${BENCH_ROUNDS:-1}
image_mb=${BENCH_IMAGE_MB:-64}
load_threads=${BENCH_LOAD_THREADS:-2}
servers=${BENCH_SERVERS:-"nginx-sendfile nginx-nosendfile cascade"}
deadline=${BENCH_DEADLINE:-3600}
out=${BENCH_OUT:-$build/bench/master.jsonl}
mkdir -p "$(dirname "$out")"
: >"$out"

for tool in nginx python3; do
  command -v "$tool" >/dev/null || [ -x /usr/sbin/$tool ] ||
    { echo "master.sh: $tool missing (tools/install-deps --bench)"; exit 1; }
done
[ -x "$bin/cascade-master" ] && [ -x "$bin/cascade-load" ] ||
  { echo "master.sh: build first (make)"; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)

source "$root/tests/bench/master/lib.bash"
work=$(mktemp -d /tmp/cascade-bench.XXXXXX)
chmod 755 "$work"
declare -A server_pid=() server_port=()
cleanup() {
  local name
  for name in "${!server_pid[@]}"; do
    kill -TERM "${server_pid[$name]}" 2>/dev/null || true
  done
  for name in "${!server_pid[@]}"; do
    wait "${server_pid[$name]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image --------------------------------------------------------------
mkdir -p "$work/images"
head -c $((image_mb * 1048576)) /dev/urandom >"$work/images/image.bin"
(cd "$work/images" && sha256sum image.bin >SHA256SUMS)
chmod 755 "$work/images"; chmod 644 "$work/images/"*
image_sha=$(cut -c1-64 "$work/images/SHA256SUMS")
image_bytes=$((image_mb * 1048576))
cat "$work/images/image.bin" >/dev/null   # page cache, for every server alike

# ---- servers ---------------------------------------------------------------
start_nginx() {
  local name=$1 sendfile=$2 port dir
  port=$(free_port); dir="$work/$name"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
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
  default_type application/octet-stream;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port reuseport backlog=65535;
    location /images/ { alias $work/images/; }
  }
}
EOF
  "$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  server_pid[$name]=$!
  server_port[$name]=$port
  wait_port "$port"
}

start_cascade() {
  local port
  port=$(free_port)
  # shellcheck disable=SC2086
  "$bin/cascade-master" --listen "127.0.0.1:$port" --images "$work/images" --threads 2 --meter false \
    --log-level warn ${BENCH_MASTER_ARGS:-} 2>"$work/cascade.log" &
  server_pid[cascade]=$!
  server_port[cascade]=$port
  wait_port "$port"
}

for name in $servers; do
  case $name in
    nginx-sendfile) start_nginx nginx-sendfile on ;;
    nginx-nosendfile) start_nginx nginx-nosendfile off ;;
    cascade) start_cascade ;;
    *) echo "unknown server $name"; exit 1 ;;
  esac
done

ticks_per_second=$(getconf CLK_TCK)
printf '%-7s %-17s %9s %10s %10s %11s %7s %9s %9s\n' N server 'GB/s' 'makespan' 'CPU-s/GB' 'peakRSS' errors completed 'load-CPU/GB'
run_one() {
  local name=$1 clients=$2 round=$3 pid port before after summary peak
  pid=${server_pid[$name]}; port=${server_port[$name]}
  reset_peak_rss "$pid"
  before=$(server_ticks "$pid")
  summary=$(/usr/bin/time -f "%U %S" -o "$work/load-time" "$bin/cascade-load" "http://127.0.0.1:$port/images/image.bin" --clients "$clients" \
              --threads "$load_threads" --source-range 127.1.0.0/16 --expect-size "$image_bytes" \
              --deadline "$deadline" --quiet) || true
  after=$(server_ticks "$pid")
  peak=$(server_peak_kib "$pid")
  python3 - "$name" "$clients" "$round" "$((after - before))" "$ticks_per_second" "$peak" "$summary" "$out" "$(cat "$work/load-time")" <<'EOF'
import json, sys
name, clients, round_, ticks, hz, peak, summary, out, load_time = sys.argv[1:]
load_cpu = sum(float(x) for x in load_time.split()[-2:])
s = json.loads(summary)
cpu = int(ticks) / int(hz)
gb = s["bytes"] / 1e9
row = {"server": name, "clients": int(clients), "round": int(round_),
       "throughput_gbps": s["throughput_bytes_per_second"] / 1e9,
       "makespan": s["makespan"], "cpu_seconds": cpu,
       "cpu_seconds_per_gb": cpu / gb if gb else None,
       "peak_rss_mib": int(peak) / 1024, "errors": s["error_total"],
       "load_cpu_seconds_per_gb": load_cpu / gb if gb else None,
       "completed": s["completed"], "bytes": s["bytes"], "load": s}
open(out, "a").write(json.dumps(row) + "\n")
mk = "%.2fs" % s["makespan"] if s["makespan"] is not None else "-"
per_gb = "%.3f" % row["cpu_seconds_per_gb"] if row["cpu_seconds_per_gb"] is not None else "-"
load_per_gb = "%.3f" % row["load_cpu_seconds_per_gb"] if gb else "-"
print("%-7s %-17s %9.2f %10s %10s %8.1fMiB %7d %9d %9s" % (clients, name, row["throughput_gbps"], mk,
      per_gb, row["peak_rss_mib"], s["error_total"], s["completed"], load_per_gb))
EOF
}

for clients in $clients_list; do
  for round in $(seq 1 "$rounds"); do
    # Alternate the order each round so no server always runs first.
    order=$servers
    if [ $((round % 2)) -eq 0 ]; then order=$(tr ' ' '\n' <<<"$servers" | tac | tr '\n' ' '); fi
    for name in $order; do run_one "$name" "$clients" "$round"; done
  done
done

python3 - "$out" <<'EOF'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
by = collections.defaultdict(list)
for r in rows:
    by[(r["clients"], r["server"])].append(r)
def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None
print("\nsummary (means over rounds; ratios cascade/nginx):")
for n in sorted({r["clients"] for r in rows}):
    agg = {}
    for name in ("nginx-sendfile", "nginx-nosendfile", "cascade"):
        rs = by.get((n, name))
        if rs:
            agg[name] = {k: mean([r.get(k) for r in rs]) for k in
                         ("throughput_gbps", "cpu_seconds_per_gb", "peak_rss_mib", "makespan",
                          "load_cpu_seconds_per_gb")}
            agg[name]["errors"] = sum(r["errors"] for r in rs)
            agg[name]["peak_rss_mib"] = max(r["peak_rss_mib"] for r in rs)
    if "cascade" not in agg:
        continue
    c = agg["cascade"]
    line = "N=%-6d cascade %.2f GB/s, %.3f CPU-s/GB, peak RSS %.1f MiB, %d errors" % (
        n, c["throughput_gbps"], c["cpu_seconds_per_gb"] or 0, c["peak_rss_mib"], c["errors"])
    print(line)
    for name in ("nginx-sendfile", "nginx-nosendfile"):
        if name in agg and agg[name]["throughput_gbps"]:
            o = agg[name]
            total = lambda a: (a["cpu_seconds_per_gb"] or 0) + (a["load_cpu_seconds_per_gb"] or 0)
            print("         vs %-16s throughput x%.2f, CPU-s/GB x%.2f, server+load CPU-s/GB x%.2f, makespan x%s" % (
                name, c["throughput_gbps"] / o["throughput_gbps"],
                (c["cpu_seconds_per_gb"] or 0) / o["cpu_seconds_per_gb"] if o["cpu_seconds_per_gb"] else float("nan"),
                total(c) / total(o) if total(o) else float("nan"),
                "%.2f" % (c["makespan"] / o["makespan"]) if c["makespan"] and o["makespan"] else "-"))
    targets = []
    nginx_best = max((agg[k]["throughput_gbps"] for k in ("nginx-sendfile", "nginx-nosendfile") if k in agg), default=None)
    if nginx_best:
        targets.append(("throughput >= 1.1x the faster nginx", c["throughput_gbps"] >= 1.1 * nginx_best))
    if "nginx-sendfile" in agg and agg["nginx-sendfile"]["cpu_seconds_per_gb"]:
        targets.append(("CPU-s/GB <= 0.8x nginx sendfile", (c["cpu_seconds_per_gb"] or 1e9) <= 0.8 * agg["nginx-sendfile"]["cpu_seconds_per_gb"]))
    if n >= 10000:
        targets.append(("zero errors at N=%d" % n, c["errors"] == 0))
        targets.append(("peak RSS <= 64 MiB at N=%d" % n, c["peak_rss_mib"] <= 64))
    for what, ok in targets:
        print("         target %-36s %s" % (what, "met" if ok else "NOT met"))
EOF
