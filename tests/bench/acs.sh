#!/usr/bin/env bash
# Benchmark of cascade-acs with cascade-swarm on this machine (both share it):
#  1. registers DEVICES simulated devices (BOOTSTRAP sessions) in GROUPS groups,
#  2. full CWMP sessions (Inform, InformResponse, empty POST, 204) for DURATION
#     seconds at CONCURRENCY sessions in flight: sessions/s, p50 and p99 latency,
#  3. the ACS's resident memory at that registry size (VmRSS and peak VmHWM),
#  4. a campaign over every device: time until every group master's Download is
#     queued and durable (masters_queued_ms, measured by the ACS).
# Prints one JSON line. Usage: tests/bench/acs.sh  (env: DEVICES GROUPS_COUNT DURATION
# CONCURRENCY SYNCHRONOUS=full|normal THREADS BUILD)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD:-$root/build}/bin
devices=${DEVICES:-100000}
groups=${GROUPS_COUNT:-1000}
duration=${DURATION:-20}
concurrency=${CONCURRENCY:-256}
synchronous=${SYNCHRONOUS:-full}
threads=${THREADS:-2}
work=$(mktemp -d /tmp/cascade-bench-acs.XXXXXX)
acs_pid=""
cleanup() {
  [ -n "$acs_pid" ] && kill "$acs_pid" 2>/dev/null && wait "$acs_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cwmp_port=$(port)
api_port=$(port)
printf '[acs]\nthreads = %s\ndb-synchronous = %s\nmax-sessions = 200000\n[connection_request]\nretry-interval = 1h\n' \
  "$threads" "$synchronous" >"$work/acs.ini"
"$bin/cascade-acs" --cwmp "127.0.0.1:$cwmp_port" --api "127.0.0.1:$api_port" --db "$work/acs.db" \
  --config "$work/acs.ini" --log-level warn 2>"$work/acs.log" &
acs_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$api_port/metrics" && break; sleep 0.1; done

swarm=("$bin/cascade-swarm" --acs "http://127.0.0.1:$cwmp_port/" --devices "$devices" --groups "$groups"
       --store "$work/store" --file-server-ratio 0.05 --source-range none)
started=$(date +%s%N)
"${swarm[@]}" --exit-after-bootstrap --concurrency 512 >"$work/register.json" 2>"$work/register.log"
register_ms=$(( ($(date +%s%N) - started) / 1000000 ))
registered=$(curl -s "http://127.0.0.1:$api_port/api/devices?limit=0" | jq .total)

"${swarm[@]}" --sessions-only --duration "$duration" --concurrency "$concurrency" >"$work/sessions.json" 2>"$work/sessions.log"
rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$acs_pid/status")
peak_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$acs_pid/status")

sha=$(printf 'bench' | sha256sum | cut -d' ' -f1)
curl -s -o "$work/campaign.json" -X POST --data-binary "{\"image\":\"fw.bin\",\"origin_url\":\"http://127.0.0.1:9/fw.bin\",\"size\":1048576,\"sha256\":\"$sha\"}" \
  "http://127.0.0.1:$api_port/api/campaigns"
peak_after_campaign_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$acs_pid/status")

jq -c -n --argjson registered "$registered" --argjson register_ms "$register_ms" \
  --slurpfile sessions "$work/sessions.json" --argjson rss "$rss_kib" --argjson peak "$peak_kib" \
  --argjson peak_campaign "$peak_after_campaign_kib" --slurpfile campaign "$work/campaign.json" \
  --arg synchronous "$synchronous" --argjson threads "$threads" --argjson concurrency "$concurrency" \
  '{devices: $registered, register_seconds: ($register_ms / 1000), db_synchronous: $synchronous,
    acs_threads: $threads, concurrency: $concurrency,
    sessions_per_second: $sessions[0].sessions_per_second, p50_ms: $sessions[0].p50_ms, p99_ms: $sessions[0].p99_ms,
    sessions: $sessions[0].sessions, failed_sessions: $sessions[0].failed_sessions, overloads: $sessions[0].overloads,
    acs_rss_mib: ($rss / 1024 | floor), acs_peak_rss_mib: ($peak / 1024 | floor),
    acs_peak_rss_after_campaign_mib: ($peak_campaign / 1024 | floor),
    campaign_devices: $campaign[0].devices, campaign_groups: $campaign[0].groups,
    masters_queued_ms: $campaign[0].masters_queued_ms}'
