#!/usr/bin/env bash
# Soak of cascade-acs's SQLite write-ahead log: DEVICES simulated devices
# (cascade-swarm) inform every PERIOD seconds for SOAK_SECONDS, every Inform
# committed before it is answered. Every SAMPLE seconds it records the WAL's
# size and the main database file's size. The peer, measured in the same run,
# is what the WAL would hold without checkpoints: every frame the ACS
# appended (cascade_acs_wal_frames_written_total x 4 KiB pages). Prints a
# table of samples on stderr and one JSON line on stdout.
#   tests/bench/acs_soak.sh   (env: DEVICES=300 PERIOD=20 SOAK_SECONDS=600 SAMPLE=10
#                              SYNCHRONOUS=normal BUILD)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD:-$root/build}/bin
devices=${DEVICES:-300}
period=${PERIOD:-20}
soak=${SOAK_SECONDS:-600}
sample=${SAMPLE:-10}
synchronous=${SYNCHRONOUS:-normal}
work=$(mktemp -d /tmp/cascade-bench-acs-soak.XXXXXX)
acs_pid="" swarm_pid=""
cleanup() {
  [ -n "$swarm_pid" ] && kill "$swarm_pid" 2>/dev/null && wait "$swarm_pid" 2>/dev/null
  [ -n "$acs_pid" ] && kill "$acs_pid" 2>/dev/null && wait "$acs_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cwmp_port=$(port)
api_port=$(port)
db="$work/acs.db"
printf '[acs]\ndb_synchronous = %s\n[connection_request]\nretry_interval = 1h\n' "$synchronous" >"$work/acs.ini"
"$bin/cascade-acs" --cwmp "127.0.0.1:$cwmp_port" --api "127.0.0.1:$api_port" --db "$db" \
  --config "$work/acs.ini" --log-level warn 2>"$work/acs.log" &
acs_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$api_port/metrics" && break; sleep 0.1; done
metric() { curl -s "http://127.0.0.1:$api_port/metrics" | awk -v name="$1" '$1 == name {value = $2} END {print value + 0}'; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

"$bin/cascade-swarm" --acs "http://127.0.0.1:$cwmp_port/" --devices "$devices" --groups 10 --store "$work/store" \
  --source-range none --concurrency 64 --periodic "$period" --ramp "$period" >"$work/swarm.json" 2>"$work/swarm.log" &
swarm_pid=$!
for _ in $(seq 1 600); do
  [ "$(curl -s "http://127.0.0.1:$api_port/api/devices?limit=0" | jq .total)" = "$devices" ] && break
  sleep 0.1
done
# the start line: every device registered
informs_start=$(metric cascade_acs_informs_total)
written_start=$(metric cascade_acs_wal_frames_written_total)
db_start=$(size "$db")
largest_wal=0
printf '%8s %10s %12s %12s %12s %12s\n' seconds informs wal_bytes db_bytes checkpoints no_ckpt_bytes >&2
started=$(date +%s)
while :; do
  elapsed=$(( $(date +%s) - started ))
  wal=$(size "$db-wal")
  [ "$wal" -gt "$largest_wal" ] && largest_wal=$wal
  printf '%8s %10s %12s %12s %12s %12s\n' "$elapsed" $(( $(metric cascade_acs_informs_total) - informs_start )) \
    "$wal" "$(size "$db")" "$(metric cascade_acs_wal_checkpoints_total)" \
    $(( ($(metric cascade_acs_wal_frames_written_total) - written_start) * 4120 )) >&2
  [ "$elapsed" -ge "$soak" ] && break
  sleep "$sample"
done
informs=$(( $(metric cascade_acs_informs_total) - informs_start ))
written_bytes=$(( ($(metric cascade_acs_wal_frames_written_total) - written_start) * 4120 ))
checkpoints=$(metric cascade_acs_wal_checkpoints_total)
forced=$(metric cascade_acs_wal_forced_checkpoints_total)
failed=$(metric cascade_acs_store_failed_commits_total)
wal_end=$(size "$db-wal")
db_end=$(size "$db")
kill "$swarm_pid"; wait "$swarm_pid" 2>/dev/null || true; swarm_pid=""

jq -c -n --argjson devices "$devices" --argjson period "$period" --argjson seconds "$soak" \
  --argjson informs "$informs" --argjson largest_wal "$largest_wal" --argjson wal_end "$wal_end" \
  --argjson db_start "$db_start" --argjson db_end "$db_end" --argjson written "$written_bytes" \
  --argjson checkpoints "$checkpoints" --argjson forced "$forced" --argjson failed "$failed" \
  --arg synchronous "$synchronous" \
  '{devices: $devices, inform_period_s: $period, soak_s: $seconds, db_synchronous: $synchronous,
    informs: $informs, wal_largest_bytes: $largest_wal, wal_end_bytes: $wal_end,
    wal_without_checkpoints_bytes: $written,
    wal_largest_vs_without_checkpoints: (if $written > 0 then ($largest_wal / $written * 1000 | round) / 1000 else null end),
    db_start_bytes: $db_start, db_end_bytes: $db_end, db_growth_bytes: ($db_end - $db_start),
    checkpoints: $checkpoints, forced_checkpoints: $forced, failed_commits: $failed}'
