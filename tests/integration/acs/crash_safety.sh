#!/usr/bin/env bash
# kill -9 of cascade-acs at a random moment under load loses no Inform or
# TransferComplete it acknowledged: the devices log every acknowledgement
# (cascade-swarm --ack-log), the ACS is killed, restarted on the same
# database, and the database must hold at least what was acknowledged; a
# campaign interrupted that way carries on to the end after the restart.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

# kill -9 of the ACS; fails the test unless it was running until then.
kill_running_acs() {
  local pid=${DAEMON_PID[acs]:-}
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    not_ok "cascade-acs was running when killed ($1)" "$(tail -n 20 "$TEST_DIR/acs.log")"
    return 1
  fi
  kill_hard acs
  if kill -0 "$pid" 2>/dev/null; then not_ok "cascade-acs is gone after SIGKILL ($1)"; return 1; fi
  ok "cascade-acs killed with SIGKILL $1"
}

# 1. Informs under load
start_acs acs "[connection_request]" "retry-interval = 1s" "[campaign]" "tick = 100ms"
start_swarm load --devices 200 --sessions-only --concurrency 64 --ack-log "$TEST_DIR/load-acks" --serial-prefix LOAD
sleep "1.$((RANDOM % 9))"
kill_running_acs "under load"
stop_daemon load
acknowledged=$(wc -l <"$TEST_DIR/load-acks")
if [ "$acknowledged" -gt 200 ]; then ok "the devices saw $acknowledged acknowledged Informs before the kill"; else not_ok "load ran" "$acknowledged"; fi
check_equal "the database is intact" ok "$(sqlite3 "$TEST_DIR/acs.db" 'PRAGMA integrity_check')"
awk '{ if ($3 > max[$1]) max[$1] = $3 } END { for (s in max) print s, max[s] }' "$TEST_DIR/load-acks" | sort >"$TEST_DIR/acked"
sqlite3 "$TEST_DIR/acs.db" "select serial_number, inform_count from devices where serial_number like 'LOAD%'" | tr '|' ' ' | sort >"$TEST_DIR/stored"
lost=$(join "$TEST_DIR/acked" "$TEST_DIR/stored" -a 1 -e 0 -o 0,1.2,2.2 | awk '$3 < $2' | wc -l)
check_equal "no device has fewer stored Informs than it saw acknowledged ($(wc -l <"$TEST_DIR/acked") devices)" 0 "$lost"

# 2. TransferComplete during a campaign
restart_acs acs
check "the restarted ACS loaded the registry" grep -q 'loaded 200 devices' "$TEST_DIR/acs.log"
start_origin
make_image "$TEST_DIR/origin" fw.bin 2097152
# 512 KiB/s per download: the campaign lasts well past the kill below (at
# full speed all 40 could finish before the write lock is taken).
start_swarm fleet --devices 40 --groups 2 --file-server-ratio 0.2 --concurrency 16 --download-rate 512K --ack-log "$TEST_DIR/fleet-acks" --serial-prefix FLEET --manufacturer "Fleet Co"
wait_until 30 bash -c "test \"\$(curl -s $ACS_API_URL/api/devices?limit=1 | jq -r .total)\" = 240" || not_ok "fleet registered"
api POST /api/campaigns "{\"image\":\"fw.bin\",\"origin_url\":\"$ORIGIN_URL/fw.bin\",\"size\":2097152,\"sha256\":\"$IMAGE_SHA256\",\"fanout\":4,\"selector\":\"manufacturer=Fleet Co\"}" >/dev/null
transfers_acked() { grep -c ' transfer ' "$TEST_DIR/fleet-acks" 2>/dev/null || true; }
if wait_until 30 bash -c "test \$(grep -c ' transfer ' '$TEST_DIR/fleet-acks' 2>/dev/null || echo 0) -ge 2"; then
  ok "TransferCompletes are acknowledged during the campaign ($(transfers_acked))"
else
  not_ok "TransferCompletes are acknowledged during the campaign" "$(transfers_acked) after 30 s"
fi
# Another process takes the database's write lock while slaves keep finishing:
# the ACS cannot commit, so it must not acknowledge, and it is killed before
# the lock goes. A TransferComplete acknowledged before its commit is lost here.
( echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 4; echo "ROLLBACK;" ) |
  sqlite3 -bail -cmd ".timeout 10000" "$TEST_DIR/acs.db" >"$TEST_DIR/locker.out" 2>&1 &
locker=$!
if wait_until 10 grep -qx locked "$TEST_DIR/locker.out"; then
  ok "another process holds the database's write lock"
else
  not_ok "another process holds the database's write lock" "$(cat "$TEST_DIR/locker.out")"
fi
acked_at_lock=$(transfers_acked)
sleep 2.5
acked_at_kill=$(transfers_acked)
kill_running_acs "mid-campaign, with the write lock held elsewhere"
wait "$locker"
done_before=$(transfers_acked)
if [ "$done_before" -lt 40 ]; then ok "the kill came mid-campaign ($done_before of 40 acknowledged)"
else not_ok "the kill came mid-campaign" "all 40 were acknowledged before it"; fi
check_equal "nothing was acknowledged while the ACS could not commit" "$acked_at_lock" "$acked_at_kill"
check_equal "the database is intact" ok "$(sqlite3 "$TEST_DIR/acs.db" 'PRAGMA integrity_check')"
missing=0
while read -r serial kind key; do
  found=$(sqlite3 "$TEST_DIR/acs.db" "select count(*) from transfers t join devices d on d.id = t.device_id where d.serial_number = '$serial' and t.command_key = '$key'")
  [ "$found" -ge 1 ] || missing=$((missing + 1))
done < <(grep ' transfer ' "$TEST_DIR/fleet-acks")
check_equal "every acknowledged TransferComplete is stored" 0 "$missing"
restart_acs acs
if wait_until 60 campaign_is 1 done; then ok "the campaign finishes after the restart"; else not_ok "campaign finishes after restart" "$(api GET /api/campaigns/1)"; fi
check_equal "every device of the campaign is done" 40 "$(campaign_count 1 done)"
stop_daemon fleet
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
