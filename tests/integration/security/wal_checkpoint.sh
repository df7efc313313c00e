#!/usr/bin/env bash
# A disk-filling ACS (issue 12, item 2): cascade-acs's SQLite WAL must be
# copied back into the database while the ACS runs, not only at a clean
# stop, or a steady stream of Informs grows it without bound. With devices
# informing every second, the test watches the files on disk: the WAL's
# header counts its restarts (the checkpoint sequence number, bytes 12-15),
# which happen only after a complete checkpoint; the main database file
# alone (copied without its WAL) must hold the devices; the WAL stays
# small; /metrics counts the checkpoints.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

db="$TEST_DIR/acs.db"
start_acs acs

# wal_restarts: the checkpoint sequence number in the WAL header (0 when no WAL yet).
wal_restarts() {
  [ -s "$db-wal" ] || { echo 0; return; }
  od -An -tu1 -j12 -N4 "$db-wal" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}'
}
# main_file_devices: devices found in the main database file, read without its WAL.
main_file_devices() {
  rm -f "$TEST_DIR/main-only.db" "$TEST_DIR/main-only.db-wal" "$TEST_DIR/main-only.db-shm"
  cp "$db" "$TEST_DIR/main-only.db" 2>/dev/null || { echo 0; return; }
  sqlite3 "$TEST_DIR/main-only.db" "SELECT count(*) FROM devices" 2>/dev/null || echo 0
}
wal_bytes() { stat -c %s "$db-wal" 2>/dev/null || echo 0; }
metric() { curl -s "$ACS_API_URL/metrics" | awk -v name="$1" '$1 == name {print $2}'; }

restarts_before=$(wal_restarts)
start_swarm swarm --devices 300 --groups 3 --concurrency 64 --periodic 1
devices_total_is() { [ "$(api GET '/api/devices?limit=0' | jq .total)" = "$1" ]; }
main_file_holds() { [ "$(main_file_devices)" = "$1" ]; }
wait_until 30 devices_total_is 300 && ok "300 devices registered" \
  || not_ok "300 devices registered" "$(api GET '/api/devices?limit=0' | jq .total)"

# Ten seconds of periodic Informs (~300 a second, each one committed).
largest_wal=0
informs_before=$(metric cascade_acs_informs_total)
for _ in $(seq 1 20); do
  sleep 0.5
  size=$(wal_bytes)
  [ "$size" -gt "$largest_wal" ] && largest_wal=$size
done
informs=$(( $(metric cascade_acs_informs_total) - informs_before ))
if [ "$informs" -ge 1000 ]; then ok "the devices kept informing ($informs Informs committed in 10 s)"
else not_ok "the devices kept informing" "$informs Informs in 10 s"; fi

restarts_after=$(wal_restarts)
if [ "$restarts_after" -gt "$restarts_before" ]; then
  ok "the WAL restarted from its beginning while the ACS ran ($restarts_before -> $restarts_after): checkpoints completed"
else
  not_ok "the WAL restarted while the ACS ran" "checkpoint sequence $restarts_before -> $restarts_after, WAL $(wal_bytes) bytes"
fi
if wait_until 10 main_file_holds 300; then ok "the main database file alone holds all 300 devices"
else not_ok "the main database file alone holds all 300 devices" "found $(main_file_devices)"; fi
# Without checkpoints every commit appends (~1 MB a second here); with them
# the writer never lets the WAL pass 2048 pages of 4 KiB (8 MiB) by more
# than one group commit.
if [ "$largest_wal" -le $((9 * 1024 * 1024)) ]; then ok "the WAL stayed within its bound (largest $largest_wal bytes)"
else not_ok "the WAL stayed within its bound" "largest $largest_wal bytes after $informs Informs"; fi
checkpoints=$(metric cascade_acs_wal_checkpoints_total)
if [ "${checkpoints:-0}" -gt 0 ]; then ok "/metrics counts the checkpoints ($checkpoints)"
else not_ok "/metrics counts the checkpoints" "cascade_acs_wal_checkpoints_total: ${checkpoints:-missing}"; fi

stop_daemon swarm
stop_daemon acs
check_equal "after a clean stop the database holds every device" 300 "$(sqlite3 "$db" 'SELECT count(*) FROM devices')"
finish
