#!/usr/bin/env bash
# Benchmark of a stock-device fleet (the larger variant of
# tests/integration/interop/stock_fleet.sh): DEVICES simulated devices in
# GROUPS_COUNT groups run a url campaign twice on this machine, first all
# ideal (the peer), then with 10 % of each cascade-swarm profile
# (partial-path, sloppy-fault, late-transfer-complete, stalling, spv-fault,
# nonce-reuse, legacy; periodic Inform every 300 s). Prints one JSON line:
# each makespan (campaign start to done), their ratio, failed devices, and
# the late reporters' TransferComplete delay (p99, from the end of their
# download). Usage: tests/bench/interop.sh  (env: DEVICES GROUPS_COUNT
# IMAGE_SIZE STALL_TIMEOUT BUILD)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD:-$root/build}/bin
devices=${DEVICES:-5000}
groups=${GROUPS_COUNT:-50}
image_size=${IMAGE_SIZE:-262144}
stall_timeout=${STALL_TIMEOUT:-20s}
profiles=partial-path=0.1,sloppy-fault=0.1,late-transfer-complete=0.1,stalling=0.1,spv-fault=0.1,nonce-reuse=0.1,legacy=0.1
work=$(mktemp -d /tmp/cascade-bench-interop.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
origin_port=$(port)
mkdir -p "$work/origin"
head -c "$image_size" /dev/urandom >"$work/origin/fw.bin"
sha=$(sha256sum "$work/origin/fw.bin" | cut -d' ' -f1)
echo "$sha  fw.bin" >"$work/origin/SHA256SUMS"
"$bin/cascade-master" --origin --listen "127.0.0.1:$origin_port" --images "$work/origin" --threads 1 --no-meter \
  >"$work/origin.log" 2>&1 &
pids+=($!)

# run NAME [SWARM ARGS...]: a fresh ACS and fleet, one url campaign; prints
# "makespan_seconds failed late_p99_ms"
run() {
  local name=$1 cwmp_port api_port api started ended i
  shift
  cwmp_port=$(port)
  api_port=$(port)
  api="http://127.0.0.1:$api_port"
  printf '[auth]\nmode = digest,basic\nusername = cpe\npassword = s3cret\n[campaign]\nfanout = 32\nstall_timeout = %s\ntick = 200ms\n[connection_request]\nretry_interval = 5s\n' \
    "$stall_timeout" >"$work/$name.ini"
  "$bin/cascade-acs" --cwmp "127.0.0.1:$cwmp_port" --api "127.0.0.1:$api_port" --db "$work/$name.db" \
    --config "$work/$name.ini" --log-level warn 2>"$work/$name-acs.log" &
  pids+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "$api/metrics" && break; sleep 0.1; done
  "$bin/cascade-swarm" --acs "http://127.0.0.1:$cwmp_port/" --devices "$devices" --groups "$groups" \
    --store "$work/$name-store" --file-server-ratio 0.02 --periodic 300 --concurrency 512 --hash-every 10 \
    --username cpe --password s3cret --drop-delay 2 "$@" >"$work/$name-swarm.log" 2>&1 &
  pids+=($!)
  for i in $(seq 1 600); do
    [ "$(curl -s "$api/api/devices?limit=1" | jq -r .total)" = "$devices" ] && break
    sleep 0.5
  done
  started=$(date +%s%N)
  curl -s -X POST "$api/api/campaigns" -d "{\"image\":\"fw.bin\",\"origin_url\":\"http://127.0.0.1:$origin_port/images/fw.bin\",\"size\":$image_size,\"sha256\":\"$sha\"}" >/dev/null
  for i in $(seq 1 3000); do
    [ "$(curl -s "$api/api/campaigns/1" | jq -r .state)" = "done" ] && break
    sleep 0.2
  done
  ended=$(date +%s%N)
  swarm_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$name-swarm.log" | head -1)
  echo "$(( (ended - started) / 1000000 )) $(curl -s "$api/api/campaigns/1" | jq .counts.failed)" \
    "$(curl -s "$swarm_url/-/stats" | jq '.profiles["late-transfer-complete"].transfer_complete_p99_ms // 0')"
  kill "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  unset 'pids[-1]' 'pids[-2]'
}

read -r ideal_ms ideal_failed _ < <(run ideal)
read -r mixed_ms mixed_failed late_p99 < <(run mixed --profile "$profiles")
printf '{"devices":%s,"groups":%s,"image_size":%s,"stall_timeout":"%s","ideal_makespan_s":%.1f,"mixed_makespan_s":%.1f,"ratio":%.2f,"ideal_failed":%s,"mixed_failed":%s,"late_transfer_complete_p99_ms":%s}\n' \
  "$devices" "$groups" "$image_size" "$stall_timeout" "$(echo "$ideal_ms / 1000" | bc -l)" "$(echo "$mixed_ms / 1000" | bc -l)" \
  "$(echo "$mixed_ms / $ideal_ms" | bc -l)" "$ideal_failed" "$mixed_failed" "$late_p99"
