#!/usr/bin/env bash
# Benchmark: the end-to-end rollout over emulated gateway links, three ways
# in one run, against the physical bound (docs/rollout.md):
#   direct   every device downloads the image from the origin (no group has
#            a file server, so cascade-acs sends every device the origin URL)
#   cascade  one level: each group's master device (cascade-cpe + its own
#            cascade-master) fetches from the origin and alone serves its
#            group's simulated slaves (campaign sources = master, fan-out 32)
#   tree     the same masters, and a share of the simulated devices are file
#            servers that check pieces and relay while they receive: every
#            one of them becomes a source (campaign sources = tree)
# The links are emulated: the origin's egress and every master device's
# uplink are capped in the kernel (the eBPF group meter's htb caps on the
# private namespace's lo: the origin marks its sockets with group 65000,
# each master with its group), every simulated device's downlink and every
# simulated file server's uplink in cascade-swarm (--download-rate,
# --upload-rate), every master's downlink in cascade-cpe
# (--download-rate-limit). Uplinks equal downlinks (a gateway's link).
#
# Before the three modes of a configuration, the tree runs once with no cap:
# what the machine moves in that scenario (N·S / makespan). The nominal
# rates (origin 1 Gbit/s, devices 100 Mbit/s) need O + (N/10)·U; when that
# is more than BENCH_LOAD_SHARE of what the machine moved, or when their
# bound is less than BENCH_CONTROL_FACTOR uncapped makespans (at 10,000
# devices the sessions alone take a minute on 2 cores), every rate is
# scaled down by the same factor (the ratios, and so the bound's binding
# term, stay) and the scale is printed, so that the links, not the machine,
# bind.
# direct and cascade are bound by the origin and by G masters' uplinks:
# they run for 1.5x that bound + 30 s, at most BENCH_BASELINE_DEADLINE, and
# report how far they got when that is not enough.
#
# Per run it prints the makespan as a multiple of the bound (and the
# binding term), origin requests (target: G for cascade and tree), failed
# devices, and writes JSON lines and a plot (gnuplot) of devices done over
# time for the three modes.
#
# Environment:
#   BENCH_CONFIGS="1000:10:1M 10000:10:1M"   devices:groups:image size
#   BENCH_UPLINK=100mbit        nominal device link (up = down)
#   BENCH_ORIGIN_RATE=1gbit     nominal origin egress
#   BENCH_FILE_SERVERS=0.1      share of devices with a file server (tree; masters included)
#   BENCH_LOAD_SHARE=0.35       share of the measured machine throughput the links may need
#   BENCH_CONTROL_FACTOR=3      the bound is at least this many uncapped makespans
#   BENCH_BASELINE_DEADLINE=240 seconds direct and cascade may run at most (they get 1.5x their own
#                               bound + 30 s when that is less)
#   BENCH_MODES="direct cascade tree"
#   BENCH_PIECES=16             pieces per image (tree)
#   BENCH_SCALE=                links scaled by this instead of calibrating (skips the uncapped run)
#   BENCH_KEEP=                 keep the runs' logs and databases in this folder (default: removed)
#   BENCH_OUT=build/bench/rollout.jsonl   BENCH_PLOT=build/bench/rollout-completions.svg
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CASCADE_BUILD:-$root/build}
if [ "$(id -u)" -eq 0 ] && [ -z "${BENCH_NETNS:-}" ] && unshare --net true 2>/dev/null; then
  exec unshare --net env BENCH_NETNS=1 bash "$0" "$@"
fi
[ -n "${BENCH_NETNS:-}" ] || { echo "rollout.sh: needs root and unshare --net (the caps are shapers on a private lo)"; exit 1; }
ip link set lo up

configs=${BENCH_CONFIGS:-"1000:10:1M 10000:10:1M"}
load_share=${BENCH_LOAD_SHARE:-0.35}
control_factor=${BENCH_CONTROL_FACTOR:-3}
file_servers=${BENCH_FILE_SERVERS:-0.1}
baseline_deadline=${BENCH_BASELINE_DEADLINE:-240}
only_modes=${BENCH_MODES:-direct cascade tree}
pieces=${BENCH_PIECES:-16}
out=${BENCH_OUT:-$build/bench/rollout.jsonl}
plot=${BENCH_PLOT:-$build/bench/rollout-completions.svg}
hash_every=10
fanout=32
origin_group=65000
CASCADE_BIN=$build/bin
for binary in cascade-acs cascade-master cascade-cpe cascade-swarm cascade-meter cascadectl; do
  [ -x "$CASCADE_BIN/$binary" ] || { echo "rollout.sh: build first (make)"; exit 1; }
done
command -v gnuplot >/dev/null || echo "rollout.sh: gnuplot missing (tools/install-deps --bench): no plot"
rate_bytes() { # 100mbit -> bytes/s
  "$CASCADE_BIN/cascadectl" --json bound --devices 1 --groups 1 --image-size 1 --origin "$1" |
    jq -r '1 / .terms.origin | round'
}
uplink_nominal=$(rate_bytes "${BENCH_UPLINK:-100mbit}")
origin_nominal=$(rate_bytes "${BENCH_ORIGIN_RATE:-1gbit}")
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
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP" && cp -a "$work"/. "$BENCH_KEEP"/ && echo "logs kept in $BENCH_KEEP"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin" attach --interface lo --no-cpu >/dev/null ||
  { echo "rollout.sh: cannot attach the group meter"; exit 1; }

cpu_seconds() { awk -v tick="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / tick }' "/proc/$1/stat" 2>/dev/null || echo 0; }
cap() { "$CASCADE_BIN/cascade-meter" --bpf-pin-dir "$pin" cap "$@" >/dev/null; }

# run_one MODE DEVICES GROUPS SIZE UPLINK ORIGIN DEADLINE LABEL: one campaign (UPLINK 0: no caps);
# appends a JSON line to $out.
run_one() {
  local mode=$1 devices=$2 groups=$3 size=$4 uplink=$5 origin=$6 limit=$7 label=$8
  local slaves=$devices masters=0 id t0 now state done_count series swarm_flags=() master_flags=() group
  local piece=$(( size / pieces < 4096 ? 4096 : size / pieces )) sources
  TEST_DIR=$work/$label
  mkdir -p "$TEST_DIR"
  series=$series_dir/$label.dat
  MASTER_URL=() PORT=() ORIGIN_BASE=""
  make_image "$TEST_DIR/origin" fw.bin "$size"
  start_origin --piece-size "$piece" || return 1
  IMAGE_URL="$ORIGIN_BASE/images/fw.bin?group=$origin_group"
  start_acs acs "${ACS_AGENT_SETTINGS[@]}" "fanout = $fanout" "relay-warmup = 300ms" "source-poll-interval = 2s" || return 1
  if [ "$uplink" -gt 0 ]; then
    cap set "$origin_group" "${origin}b/s" || { echo "  cannot cap the origin"; return 1; }
    swarm_flags+=(--download-rate "$uplink")
    master_flags+=(--download-rate-limit "$uplink")
  fi
  if [ "$mode" != direct ]; then
    masters=$groups
    slaves=$((devices - groups))
    start_master_devices "$groups" --bandwidth "$(( (uplink ? uplink : uplink_nominal) * 8 / 1000 ))" \
      --periodic-interval 600s "${master_flags[@]}" || return 1
  fi
  if [ "$mode" = tree ]; then
    # (FS per group - 1 master) / simulated devices per group, just under, as the swarm rounds up
    swarm_flags+=(--file-server-ratio "$(awk -v n="$devices" -v g="$groups" -v s="$file_servers" \
      'BEGIN { per = n / g; printf "%.6f", (s * per - 1 - 0.5) / (per - 1) }')")
    [ "$uplink" -gt 0 ] && swarm_flags+=(--upload-rate "$uplink")
    swarm_flags+=(--bandwidth "$(( (uplink ? uplink : uplink_nominal) * 8 / 1000 ))")
  fi
  start_fleet_swarm swarm --devices "$slaves" --groups "$groups" --concurrency 512 --hash-every "$hash_every" \
    --serial-prefix B "${swarm_flags[@]}"
  wait_devices "$devices" 600 || { echo "  registration incomplete: $(device_count)/$devices"; return 1; }
  if [ "$uplink" -gt 0 ] && [ "$masters" -gt 0 ]; then
    for group in $(api GET /api/groups | jq -r '.groups[].id'); do
      cap set "$group" "${uplink}b/s" || { echo "  cannot cap group $group"; return 1; }
    done
  fi
  t0=$(now_ms)
  if [ "$mode" = tree ]; then
    id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$TEST_DIR/origin/fw.bin" \
      --origin "$IMAGE_URL" --piece-size "$piece" --sources tree | jq -r '.id // empty')
  else
    id=$(start_image_campaign '"sources":"master"')
  fi
  [ -n "$id" ] || return 1
  echo "0 0" >"$series"
  state=running
  while [ "$state" = running ] && [ $(( ($(now_ms) - t0) / 1000 )) -lt "$limit" ]; do
    sleep 0.25
    read -r state done_count < <(api GET "/api/campaigns/$id" | jq -r '"\(.state) \(.counts.done)"')
    now=$(now_ms)
    echo "$(awk -v n="$now" -v s="$t0" 'BEGIN { printf "%.2f", (n - s) / 1000 }') ${done_count:-0}" >>"$series"
  done
  api GET "/api/campaigns/$id" >"$TEST_DIR/campaign.json"
  server_stats origin >"$TEST_DIR/origin-stats.json"
  local swarm_cpu acs_cpu
  swarm_cpu=$(cpu_seconds "${DAEMON_PID[swarm]}")
  acs_cpu=$(cpu_seconds "${DAEMON_PID[acs]}")
  stop_daemon swarm
  stop_all_daemons
  [ "$uplink" -gt 0 ] && cap clear "$origin_group"
  if [ "$uplink" -gt 0 ] && [ "$masters" -gt 0 ]; then
    for ((group = 1; group <= groups; group++)); do cap clear "$group" 2>/dev/null; done
  fi
  sources=$(awk -v n="$devices" -v s="$file_servers" 'BEGIN { printf "%d", n * s + 0.5 }')
  "$CASCADE_BIN/cascadectl" --json bound --devices "$devices" --groups "$groups" --image-size "$size" \
    --origin "$(( uplink ? origin : origin_nominal ))b/s" --downlink "$(( uplink ? uplink : uplink_nominal ))b/s" \
    --sources "$sources" --uplink "$(( uplink ? uplink : uplink_nominal ))b/s" >"$TEST_DIR/bound.json"
  jq -c -n --arg mode "$mode" --arg run "$label" --argjson devices "$devices" --argjson groups "$groups" \
    --argjson size "$size" --argjson uplink "$uplink" --argjson origin "$origin" --argjson t0 "$t0" \
    --argjson limit "$limit" --argjson swarm_cpu "$swarm_cpu" --argjson acs_cpu "$acs_cpu" \
    --slurpfile campaign "$TEST_DIR/campaign.json" --slurpfile origin_stats "$TEST_DIR/origin-stats.json" \
    --slurpfile bound "$TEST_DIR/bound.json" --slurpfile report "$TEST_DIR/swarm-report.jsonl" '
    ($report | map(select(.fault == 0))) as $ok |
    ($campaign[0].state == "done") as $finished |
    ((($ok | map(.time_ms) | max // $t0) - $t0) / 1000) as $last |
    {mode: $mode, run: $run, devices: $devices, groups: $groups, image_size: $size,
     uplink_bytes_per_s: $uplink, origin_bytes_per_s: $origin, finished: $finished,
     state: $campaign[0].state, done: $campaign[0].counts.done, failed: $campaign[0].counts.failed,
     makespan_s: (if $finished then $last else null end), ran_s: (if $finished then $last else $limit end),
     bound_s: $bound[0].seconds, binding: $bound[0].formula,
     ratio: (if $finished then $last / $bound[0].seconds else null end),
     moved_mb_per_s: ($campaign[0].counts.done * $size / 1e6 / (if $finished then $last else $limit end)),
     origin_requests: ([$origin_stats[0].images[] | .requests] | add // 0), origin_bytes: $origin_stats[0].bytes_sent,
     slave_failures: ($report | map(select(.fault != 0)) | length),
     slave_faults: ($report | map(select(.fault != 0)) | group_by(.fault) | map({key: (.[0].fault | tostring), value: length}) | from_entries),
     moved_in_end_game: ($campaign[0].rollout.moved // 0), depth: ($campaign[0].rollout.depth // 0),
     swarm_cpu_s: $swarm_cpu, acs_cpu_s: $acs_cpu}' >>"$out"
  tail -n 1 "$out" | jq -r '"  \(.mode | . + "       " | .[0:8]) " +
    (if .finished then "makespan \(.makespan_s * 10 | round / 10) s = \(.ratio * 100 | round / 100)x the physical bound (\(.bound_s * 100 | round / 100) s, \(.binding))"
     else "stopped after \(.ran_s) s: \(.done) of \(.devices) done (\(.moved_mb_per_s * 10 | round / 10) MB/s); the bound is \(.bound_s * 100 | round / 100) s" end) +
    ", origin \(.origin_requests) requests, \(.failed) failed" +
    (if .moved_in_end_game > 0 then ", \(.moved_in_end_game) children moved to idle sources in the end game" else "" end) +
    (if .slave_failures > 0 then " (\(.slave_failures) failed attempts retried: \(.slave_faults | to_entries | map("\(.value) x \(.key)") | join(", ")))" else "" end) +
    ", swarm CPU \(.swarm_cpu_s) s, ACS CPU \(.acs_cpu_s) s"'
}

for config in $configs; do
  IFS=: read -r devices groups size_text <<<"$config"
  size=$(numfmt --from=iec "$size_text")
  echo
  echo "== $devices devices in $groups groups, image $size_text, $file_servers of the devices file servers (tree)"
  if [ -n "${BENCH_SCALE:-}" ]; then
    scale=$BENCH_SCALE
    uplink=$(awk -v u="$uplink_nominal" -v f="$scale" 'BEGIN { printf "%.0f", u * f }')
    origin=$(awk -v o="$origin_nominal" -v f="$scale" 'BEGIN { printf "%.0f", o * f }')
    echo "  links scaled by $scale (BENCH_SCALE, no calibration)"
  else
    # what the machine moves in this scenario, no cap anywhere
    run_one tree "$devices" "$groups" "$size" 0 0 900 "uncapped-$devices" || { echo "  uncapped run FAILED"; continue; }
    moved=$(tail -n 1 "$out" | jq -r '.moved_mb_per_s * 1e6 | round')
    floor=$(tail -n 1 "$out" | jq -r '.makespan_s')
    needed=$(awk -v o="$origin_nominal" -v u="$uplink_nominal" -v n="$devices" -v s="$file_servers" \
      'BEGIN { printf "%.0f", o + n * s * u }')
    # the links bind when they need at most load_share of what the machine moved, and when the
    # bound is control_factor times the uncapped makespan (sessions, dispatch: the machine's floor)
    scale=$(awk -v m="$moved" -v n="$needed" -v l="$load_share" -v b="$devices" -v s="$size" -v f="$floor" \
      -v k="$control_factor" 'BEGIN { a = l * m / n; c = b * s / n / (k * f); x = (a < c ? a : c); printf "%.6f", (x > 1 ? 1 : x) }')
    uplink=$(awk -v u="$uplink_nominal" -v f="$scale" 'BEGIN { printf "%.0f", u * f }')
    origin=$(awk -v o="$origin_nominal" -v f="$scale" 'BEGIN { printf "%.0f", o * f }')
    echo "  machine: moved $(awk -v m="$moved" 'BEGIN { printf "%.1f", m / 1e6 }') MB/s uncapped in this scenario, in $floor s;" \
      "at nominal rates it needs $(awk -v n="$needed" 'BEGIN { printf "%.1f", n / 1e6 }') MB/s (origin + every file server's uplink)"
    echo "  links scaled by $scale (they need at most $load_share of what the machine moved, and the bound is at least" \
      "${control_factor}x the uncapped makespan): device up/down $(awk -v u="$uplink" 'BEGIN { printf "%.3f Mbit/s", u * 8 / 1e6 }'),"\
      "origin $(awk -v o="$origin" 'BEGIN { printf "%.2f Mbit/s", o * 8 / 1e6 }'), needing" \
      "$(awk -v n="$needed" -v f="$scale" 'BEGIN { printf "%.1f MB/s", n * f / 1e6 }')"
    jq -c -n --argjson devices "$devices" --argjson moved "$moved" --argjson needed "$needed" --argjson scale "$scale" \
      --argjson uplink "$uplink" --argjson origin "$origin" \
      '{calibration: true, devices: $devices, machine_bytes_per_s: $moved, nominal_need_bytes_per_s: $needed,
        scale: $scale, uplink_bytes_per_s: $uplink, origin_bytes_per_s: $origin}' >>"$out"
  fi
  for mode in direct cascade tree; do
    [[ " $only_modes " == *" $mode "* ]] || continue
    limit=900
    if [ "$mode" != tree ]; then
      # their own bound: N·S / origin (direct), the slaves through G master uplinks (cascade)
      own=$(awk -v n="$devices" -v g="$groups" -v s="$size" -v o="$origin" -v u="$uplink" -v m="$mode" \
        'BEGIN { printf "%d", (m == "direct" ? n * s / o : (n - g) * s / (g * u) + g * s / o) }')
      limit=$(( own * 3 / 2 + 30 < baseline_deadline ? own * 3 / 2 + 30 : baseline_deadline ))
    fi
    run_one "$mode" "$devices" "$groups" "$size" "$uplink" "$origin" "$limit" "$mode-$devices" ||
      echo "  $mode FAILED (logs were in $work/$mode-$devices)"
    stop_all_daemons
  done
done

echo
echo "Summary (makespan / the physical bound; target for the tree: <= 1.5, origin requests = G, 0 failed)"
jq -s -r '.[] | select(.calibration | not) | select(.run | startswith("uncapped") | not) |
  "  \(.devices) devices \(.mode | . + "       " | .[0:8]) " +
  (if .finished then "\(.ratio * 100 | round / 100)x (\(.makespan_s * 10 | round / 10) s / \(.bound_s * 100 | round / 100) s)"
   else "not done after \(.ran_s) s (\(.done)/\(.devices))" end) +
  "  origin requests \(.origin_requests)  failed \(.failed)"' "$out"

if command -v gnuplot >/dev/null; then
  {
    case "$plot" in
      *.png) echo "set terminal pngcairo size 1100,520 font 'sans,10'" ;;
      *) echo "set terminal svg size 1100,520 dynamic font 'sans,11'" ;;
    esac
    echo "set output '$plot'"
    echo "set multiplot layout 1,2 title 'devices with a verified image over time, emulated gateway links: direct, one-level cascade, tree'"
    echo "set xlabel 'seconds since the campaign started'; set ylabel 'devices done'; set key bottom right; set grid"
    for config in $configs; do
      IFS=: read -r devices groups size_text <<<"$config"
      bound=$(jq -s -r --argjson n "$devices" '[.[] | select(.mode == "tree" and .devices == $n and (.run | startswith("tree")))][0].bound_s // 0' "$out")
      echo "set title '$devices devices, $groups groups, $size_text (bound $(printf '%.1f' "$bound") s)'; set yrange [0:$((devices * 105 / 100))]"
      echo "set arrow from $bound, graph 0 to $bound, graph 1 nohead dashtype 2 lc rgb 'gray'"
      plots=()
      for mode in direct cascade tree; do
        [ -s "$series_dir/$mode-$devices.dat" ] && plots+=("'$series_dir/$mode-$devices.dat' using 1:2 with lines lw 2 title '$mode'")
      done
      [ ${#plots[@]} -gt 0 ] && (IFS=,; echo "plot ${plots[*]}")
      echo "unset arrow"
    done
    echo "unset multiplot"
  } >"$series_dir/plot.gp"
  gnuplot "$series_dir/plot.gp" && echo "plot: $plot (script: $series_dir/plot.gp)"
fi
echo "results: $out"
