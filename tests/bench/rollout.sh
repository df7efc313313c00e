#!/usr/bin/env bash
# Benchmark: the end-to-end rollout, direct against cascade, on one machine in
# one run. For every configuration (devices, groups) it runs, alternating:
#   direct   every device downloads the image from the origin (the groups have
#            no file server, so cascade-acs sends every device the origin URL)
#   cascade  one master device per group (cascade-cpe + cascade-master) fetches
#            from the origin, the group's simulated slaves (cascade-swarm) fetch
#            from their master
# with the same fleet size, image, controller and campaign settings. The
# origin's egress is capped to model a real uplink: the origin URL carries
# ?group=G, so cascade-master --origin marks those sockets (SO_MARK) and the
# eBPF group meter's cap for G shapes them (htb on this kernel, which has no
# fq for EDT pacing; cascade-meter cap set). Everything runs in a private
# network namespace (unshare --net), so the shaper sits on that namespace's
# lo, not the host's. It prints, per run and per configuration: origin
# requests (target: one per master), origin bytes and the ratio to direct,
# makespan and the ratio, the masters' CPU seconds and bandwidth, and writes
# JSON lines and a plot (SVG, gnuplot) of devices completed over time.
#
# Environment (defaults: the full run, about 10 minutes on 2 cores):
#   BENCH_CONFIGS="1000:10 1000:100 10000:10 10000:100"   devices:groups
#   BENCH_IMAGE_SIZE=1M        image size
#   BENCH_ORIGIN_RATE=1gbit    the origin's egress cap (cascade-meter rate syntax)
#   BENCH_HASH_EVERY=10        slaves SHA-256 every 10th device's image (the rest check sizes)
#   BENCH_FANOUT=32            slaves per master at a time (and per group for direct)
#   BENCH_ROUNDS=1             rounds; the order of the two modes alternates per round
#   BENCH_MODES="direct cascade"   (one of them only, for experiments)
#   BENCH_DEADLINE=900         seconds a campaign may take
#   BENCH_OUT=build/bench/rollout.jsonl   BENCH_PLOT=build/bench/rollout-completions.svg (or .png)
# The completion series (seconds, devices done; polled from the ACS every
# 0.25 s) and the gnuplot script stay in build/bench/rollout-series/.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CASCADE_BUILD:-$root/build}
if [ "$(id -u)" -eq 0 ] && [ -z "${BENCH_NETNS:-}" ] && unshare --net true 2>/dev/null; then
  exec unshare --net env BENCH_NETNS=1 bash "$0" "$@"
fi
[ -n "${BENCH_NETNS:-}" ] || { echo "rollout.sh: needs root and unshare --net (the origin's cap is a shaper on a private lo)"; exit 1; }
ip link set lo up

configs=${BENCH_CONFIGS:-"1000:10 1000:100 10000:10 10000:100"}
image_size=$(numfmt --from=iec "${BENCH_IMAGE_SIZE:-1M}")
origin_rate=${BENCH_ORIGIN_RATE:-1gbit}
hash_every=${BENCH_HASH_EVERY:-10}
fanout=${BENCH_FANOUT:-32}
rounds=${BENCH_ROUNDS:-1}
only_modes=${BENCH_MODES:-direct cascade}
deadline=${BENCH_DEADLINE:-900}
out=${BENCH_OUT:-$build/bench/rollout.jsonl}
plot=${BENCH_PLOT:-$build/bench/rollout-completions.svg}
origin_group=16000000
CASCADE_BIN=$build/bin
for binary in cascade-acs cascade-master cascade-cpe cascade-swarm cascade-meter; do
  [ -x "$CASCADE_BIN/$binary" ] || { echo "rollout.sh: build first (make)"; exit 1; }
done
command -v gnuplot >/dev/null || echo "rollout.sh: gnuplot missing (tools/install-deps --bench): no plot"
series_dir=$(dirname "$out")/rollout-series
mkdir -p "$(dirname "$out")" "$(dirname "$plot")" "$series_dir"
: >"$out"
work=$(mktemp -d /tmp/cascade-bench-rollout.XXXXXX)
pin=/sys/fs/bpf/cascade-bench-$$
TEST_DIR=$work
source "$root/tests/integration/lib.sh"
# A part that does not start fails the run it belongs to, not the benchmark.
start_failed() { echo "  $1 did not start: $(tail -n 3 "$TEST_DIR/$1.log" 2>/dev/null)" >&2; }
cleanup() {
  stop_all_daemons
  "$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin" detach --unpin >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin" attach --interface lo --no-cpu >/dev/null ||
  { echo "rollout.sh: cannot attach the group meter"; exit 1; }
"$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin" cap set "$origin_group" "$origin_rate" >/dev/null ||
  { echo "rollout.sh: cannot cap the origin"; exit 1; }
echo "origin egress capped at $origin_rate by the eBPF group meter (group $origin_group, $(tc qdisc show dev lo | grep -o 'htb [^ ]*' || echo 'EDT/fq')) on the namespace's lo"
echo "image $(numfmt --to=iec "$image_size"), fan-out $fanout, slaves hash every ${hash_every}th device's image"

cpu_seconds() { awk -v tick="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / tick }' "/proc/$1/stat" 2>/dev/null || echo 0; }
meter_bytes() {
  bpftool -j map dump pinned "$pin/cascade_stats" |
    jq --argjson g "$1" '[.[] | select(.formatted.key == $g) | .formatted.values[].value.bytes] | add // 0'
}

# run_one MODE DEVICES GROUPS ROUND: one campaign; appends a JSON line to $out.
run_one() {
  local mode=$1 devices=$2 groups=$3 round=$4 slaves id t0 now state done_count masters=0 index series origin_before
  TEST_DIR=$work/$mode-$devices-$groups-$round
  mkdir -p "$TEST_DIR"
  series=$series_dir/$mode-$devices-$groups-$round.dat
  MASTER_URL=() PORT=() ORIGIN_BASE=""
  make_image "$TEST_DIR/origin" fw.bin "$image_size"
  start_origin || return 1
  IMAGE_URL="$ORIGIN_URL/fw.bin?group=$origin_group"
  start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = $fanout" || return 1
  slaves=$devices
  if [ "$mode" = cascade ]; then
    masters=$groups
    slaves=$((devices - groups))
    start_master_devices "$groups" --bandwidth 100000 --periodic-interval 600s || return 1
  fi
  start_fleet_swarm swarm --devices "$slaves" --groups "$groups" --concurrency 512 --hash-every "$hash_every" \
    --serial-prefix B
  wait_devices "$devices" 300 || { echo "  registration incomplete: $(device_count)/$devices"; return 1; }
  origin_before=$(meter_bytes "$origin_group")
  t0=$(now_ms)
  id=$(start_image_campaign)
  [ -n "$id" ] || return 1
  echo "0 0" >"$series"
  state=running
  while [ "$state" != done ] && [ $(( ($(now_ms) - t0) / 1000 )) -lt "$deadline" ]; do
    sleep 0.25
    read -r state done_count < <(api GET "/api/campaigns/$id" | jq -r '"\(.state) \(.counts.done)"')
    now=$(now_ms)
    echo "$(awk -v n="$now" -v s="$t0" 'BEGIN { printf "%.2f", (n - s) / 1000 }') ${done_count:-0}" >>"$series"
  done
  api GET "/api/campaigns/$id" >"$TEST_DIR/campaign.json"
  server_stats origin >"$TEST_DIR/origin-stats.json"
  for ((index = 0; index < masters; index++)); do
    server_stats "m$index" | jq -c --arg cpu "$(cpu_seconds "${DAEMON_PID[m$index-server]}")" \
      --arg agent "$(cpu_seconds "${DAEMON_PID[m$index]}")" '{bytes: .bytes_sent, cpu: ($cpu | tonumber), agent_cpu: ($agent | tonumber)}'
  done >"$TEST_DIR/masters.jsonl"
  local origin_cpu swarm_cpu acs_cpu origin_wire
  origin_cpu=$(cpu_seconds "${DAEMON_PID[origin]}")
  swarm_cpu=$(cpu_seconds "${DAEMON_PID[swarm]}")
  acs_cpu=$(cpu_seconds "${DAEMON_PID[acs]}")
  origin_wire=$(( $(meter_bytes "$origin_group") - origin_before ))
  stop_daemon swarm
  stop_all_daemons
  jq -c -n --arg mode "$mode" --argjson devices "$devices" --argjson groups "$groups" --argjson round "$round" \
    --argjson size "$image_size" --arg rate "$origin_rate" --argjson t0 "$t0" --argjson origin_wire "$origin_wire" \
    --argjson origin_cpu "$origin_cpu" --argjson swarm_cpu "$swarm_cpu" --argjson acs_cpu "$acs_cpu" \
    --slurpfile campaign "$TEST_DIR/campaign.json" --slurpfile origin "$TEST_DIR/origin-stats.json" \
    --slurpfile masters "$TEST_DIR/masters.jsonl" --slurpfile report "$TEST_DIR/swarm-report.jsonl" \
    --slurpfile swarm <(tail -n 1 "$TEST_DIR/swarm.log") '
    ($report | map(select(.fault == 0))) as $ok |
    ((($ok | map(.time_ms) | max // $t0) - $t0) / 1000) as $makespan |
    {mode: $mode, devices: $devices, groups: $groups, round: $round, image_size: $size, origin_rate: $rate,
     state: $campaign[0].state, done: $campaign[0].counts.done, failed: $campaign[0].counts.failed,
     makespan_s: $makespan,
     origin_requests: ([$origin[0].images[] | .requests] | add), origin_bytes: $origin[0].bytes_sent,
     origin_wire_bytes: $origin_wire, origin_payload_mb_per_s: ($origin[0].bytes_sent / 1e6 / $makespan),
     origin_cpu_s: $origin_cpu, acs_cpu_s: $acs_cpu, swarm_cpu_s: $swarm_cpu,
     masters: ($masters | length),
     master_cpu_s_mean: (if ($masters | length) > 0 then ($masters | map(.cpu) | add / length) else null end),
     master_cpu_s_max: ($masters | map(.cpu) | max),
     master_agent_cpu_s_mean: (if ($masters | length) > 0 then ($masters | map(.agent_cpu) | add / length) else null end),
     master_mb_per_s_mean: (if ($masters | length) > 0 then ($masters | map(.bytes) | add / length / 1e6 / $makespan) else null end),
     master_mb_per_s_max: (if ($masters | length) > 0 then ($masters | map(.bytes) | max / 1e6 / $makespan) else null end),
     slaves_hashed: ($ok | map(select(.hashed)) | length), slaves_size_checked: ($ok | map(select(.hashed | not)) | length),
     slave_failures: ($report | map(select(.fault != 0)) | length),
     swarm_failed_sessions: $swarm[0].failed_sessions}' >>"$out"
  tail -n 1 "$out" | jq -r '"  \(.mode | . + "       " | .[0:8]) \(.devices) devices, \(.groups) groups: \(.state), \(.done) done, " +
    "makespan \(.makespan_s * 10 | round / 10) s, origin \(.origin_requests) requests, \(.origin_bytes / 1048576 | round) MiB " +
    "(\(.origin_bytes / 1e6 / .makespan_s * 10 | round / 10) MB/s; meter: \(.origin_wire_bytes / 1048576 | round) MiB on the wire)" +
    (if .slave_failures > 0 then ", \(.slave_failures) failed attempts retried" else "" end) +
    (if .masters > 0 then ", masters: CPU \(.master_cpu_s_mean * 1000 | round) ms mean / \(.master_cpu_s_max * 1000 | round) ms max, " +
      "\(.master_mb_per_s_mean * 10 | round / 10) MB/s mean / \(.master_mb_per_s_max * 10 | round / 10) MB/s max" else "" end)'
}

for config in $configs; do
  devices=${config%%:*}
  groups=${config##*:}
  for ((round = 1; round <= rounds; round++)); do
    modes="direct cascade"
    [ $((round % 2)) -eq 0 ] && modes="cascade direct"
    for mode in $modes; do
      [[ " $only_modes " == *" $mode "* ]] || continue
      run_one "$mode" "$devices" "$groups" "$round" || echo "  $mode $devices/$groups round $round FAILED (logs were in $TEST_DIR)"
      stop_all_daemons
    done
  done
done

echo
echo "Direct vs cascade (mean over rounds; ratios direct / cascade)"
jq -s -r '
  group_by([.devices, .groups])[] |
  (map(select(.mode == "direct"))) as $d | (map(select(.mode == "cascade"))) as $c |
  def mean(f): (map(f) | add / length);
  if ($d | length) == 0 or ($c | length) == 0 then empty else
  "  \($d[0].devices) devices in \($d[0].groups) groups: origin requests \($d | mean(.origin_requests)) -> \($c | mean(.origin_requests))" +
  " (target \($c[0].groups), one per master); origin bytes \($d | mean(.origin_bytes) / 1048576 | round) MiB -> " +
  "\($c | mean(.origin_bytes) / 1048576 | round) MiB (\(($d | mean(.origin_bytes)) / ($c | mean(.origin_bytes)) | round)x less); " +
  "makespan \($d | mean(.makespan_s) * 10 | round / 10) s -> \($c | mean(.makespan_s) * 10 | round / 10) s " +
  "(\(($d | mean(.makespan_s)) / ($c | mean(.makespan_s)) * 10 | round / 10)x faster); per master: CPU " +
  "\($c | mean(.master_cpu_s_mean) * 1000 | round) ms mean, \($c | mean(.master_mb_per_s_mean) * 10 | round / 10) MB/s mean" end' "$out"

if command -v gnuplot >/dev/null; then
  {
    case "$plot" in
      *.png) echo "set terminal pngcairo size 1000,760 font 'sans,10'" ;;
      *) echo "set terminal svg size 1000,760 dynamic font 'sans,11'" ;;
    esac
    echo "set output '$plot'"
    echo "set multiplot layout 2,2 title 'devices with a verified image over time: direct from the origin vs cascade (origin capped at $origin_rate, image $(numfmt --to=iec "$image_size"))'"
    echo "set xlabel 'seconds since the campaign started'; set ylabel 'devices done'; set key bottom right; set grid"
    for config in $configs; do
      devices=${config%%:*}
      groups=${config##*:}
      echo "set title '$devices devices, $groups groups'; set yrange [0:$((devices * 105 / 100))]"
      echo "plot '$series_dir/direct-$devices-$groups-1.dat' using 1:2 with lines lw 2 title 'direct', \\"
      echo "     '$series_dir/cascade-$devices-$groups-1.dat' using 1:2 with lines lw 2 title 'cascade'"
    done
    echo "unset multiplot"
  } >"$series_dir/plot.gp"
  gnuplot "$series_dir/plot.gp" && echo "plot: $plot (script: $series_dir/plot.gp)"
fi
echo "results: $out"
