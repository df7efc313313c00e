#!/usr/bin/env bash
# Measures cascade-master's two zero-copy paths against each other across
# image sizes, to choose --zc-max-size (the auto mode's threshold): for each
# size, one server with --send-mode splice and one with --send-mode zc serve
# the same image to the same cascade-load run (alternating), and the table
# shows throughput, server CPU seconds per GB and peak RSS.
#   BENCH_SIZES="16K 64K 256K 1M 4M 16M 64M"   image sizes
#   BENCH_TOTAL_MB=2048                        bytes per run (clients = total/size, 100..10000)
#   BENCH_ROUNDS=2
# Run by hand: tests/bench/master/send-modes.sh (not part of tests/bench/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${CASCADE_BUILD:-$root/build}/bin
source "$root/tests/bench/master/lib.bash"
sizes=${BENCH_SIZES:-"16K 64K 256K 1M 4M 16M 64M"}
total_mb=${BENCH_TOTAL_MB:-2048}
rounds=${BENCH_ROUNDS:-2}

work=$(mktemp -d /tmp/cascade-sendmodes.XXXXXX)
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

to_bytes() { numfmt --from=iec "$1"; }
mkdir -p "$work/images"
for size in $sizes; do head -c "$(to_bytes "$size")" /dev/urandom >"$work/images/$size.bin"; done
(cd "$work/images" && sha256sum *.bin >SHA256SUMS && cat *.bin >/dev/null)

declare -A port pid
for mode in splice zc; do
  port[$mode]=$(free_port)
  "$bin/cascade-master" --listen "127.0.0.1:${port[$mode]}" --images "$work/images" --threads 2 --meter false \
    --send-mode "$mode" --log-level warn 2>"$work/$mode.log" &
  pid[$mode]=$!
  pids+=($!)
  wait_port "${port[$mode]}"
done

hz=$(getconf CLK_TCK)
printf '%-6s %-7s %7s %9s %10s %9s\n' size mode clients 'GB/s' 'CPU-s/GB' 'peakRSS'
for size in $sizes; do
  bytes=$(to_bytes "$size")
  clients=$(( total_mb * 1048576 / bytes ))
  [ "$clients" -ge 100 ] || clients=100
  [ "$clients" -le 10000 ] || clients=10000
  for round in $(seq "$rounds"); do
    for mode in splice zc; do
      reset_peak_rss "${pid[$mode]}"
      before=$(server_ticks "${pid[$mode]}")
      summary=$("$bin/cascade-load" "http://127.0.0.1:${port[$mode]}/images/$size.bin" --clients "$clients" \
                  --threads 2 --source-range 127.2.0.0/16 --quiet --deadline 600s) || true
      after=$(server_ticks "${pid[$mode]}")
      peak=$(server_peak_kib "${pid[$mode]}")
      python3 -c '
import json, sys
s = json.loads(sys.argv[1]); cpu = int(sys.argv[2]) / int(sys.argv[3]); gb = s["bytes"] / 1e9
print("%-6s %-7s %7d %9.2f %10.3f %8.1fM%s" % (sys.argv[4], sys.argv[5], s["clients"],
      s["throughput_bytes_per_second"] / 1e9, cpu / gb if gb else 0, int(sys.argv[6]) / 1024,
      "" if s["error_total"] == 0 else "  errors: %d" % s["error_total"]))
' "$summary" "$((after - before))" "$hz" "$size" "$mode" "$peak"
    done
  done
done
