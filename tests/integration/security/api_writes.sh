#!/usr/bin/env bash
# An operator API write the store refused must not change the running
# controller (issue 12, item 5): with the disk full, POST /api/campaigns
# answered 500 yet the campaign ran and vanished after a restart. Here
# another process holds SQLite's write lock, so every commit fails (after
# the 5 s busy timeout) exactly as on a full or failing disk. A campaign
# start refused that way leaves no campaign and sends no RPC; a refused
# pause, cancel or resume leaves the campaign as it was; once the database is free
# again the same requests work, and after a restart memory and database
# agree.
# timeout: 180
source "$(dirname "$0")/../lib.sh"

db="$TEST_DIR/acs.db"
start_origin
make_image "$TEST_DIR/origin" fw.bin 65536
start_acs acs "[campaign]" "tick = 200ms"
start_swarm swarm --devices 6 --groups 1 --file-server-ratio 0.5 --concurrency 6
devices_registered() { [ "$(api GET '/api/devices?limit=0' | jq .total)" = 6 ]; }
wait_until 30 devices_registered && ok "6 devices registered" || not_ok "6 devices registered"

# lock_database / unlock_database: another connection holds the write lock.
mkfifo "$TEST_DIR/lock.fifo"
lock_database() {
  sqlite3 "$db" <"$TEST_DIR/lock.fifo" >/dev/null 2>&1 &
  LOCK_PID=$!
  exec 3>"$TEST_DIR/lock.fifo"
  echo "BEGIN IMMEDIATE; SELECT 1;" >&3
  on_exit "kill $LOCK_PID 2>/dev/null"
  wait_until 10 bash -c "! sqlite3 -cmd '.timeout 0' '$db' 'BEGIN IMMEDIATE;' 2>/dev/null"
}
unlock_database() {
  echo "ROLLBACK;" >&3
  exec 3>&-
  wait "$LOCK_PID" 2>/dev/null
}
metric() { api GET /metrics | awk -v name="$1" '$1 == name {print $2}'; }
# post PATH [JSON]: prints "HTTP-STATUS BODY"
post() {
  local body
  body=$(curl -s --max-time 30 -w ' %{http_code}' -X POST -H 'Content-Type: application/json' \
    ${2:+--data-binary "$2"} "$ACS_API_URL$1")
  echo "${body##* } ${body% *}"
}
campaign_body() { printf '{"image":"%s","origin_url":"%s/%s","sha256":"%s","size":65536}' "$1" "$ORIGIN_URL" "$1" "$IMAGE_SHA256"; }

# 1. a campaign start the store refuses
lock_database && ok "another process holds the database's write lock" || not_ok "the database is locked"
answer=$(post /api/campaigns "$(campaign_body fw.bin)")
check_equal "a refused campaign start is answered 500" 500 "${answer%% *}"
if grep -q "nothing was started" <<<"$answer"; then ok "the answer says nothing was started"
else not_ok "the answer says nothing was started" "$answer"; fi
check_equal "no campaign in memory while the database is locked" 0 "$(api GET /api/campaigns | jq '.campaigns | length')"
unlock_database
sleep 3 # the master's connection request, had one been sent, opens a session now
check_equal "no campaign once the database is free again" 0 "$(api GET /api/campaigns | jq '.campaigns | length')"
check_equal "no device was sent an RPC for it" 0 "$(metric cascade_acs_rpcs_sent_total)"
check_equal "GET /api/campaigns/1: no such campaign" "no such campaign" "$(api GET /api/campaigns/1 | jq -r .error)"

# 2. the same start, the database free: it gets the id the refused one had, and runs
answer=$(post /api/campaigns "$(campaign_body fw.bin)")
check_equal "the campaign starts once the database is free" "201 1" "${answer%% *} $(jq .id <<<"${answer#* }")"
if wait_until 60 campaign_is 1 done; then ok "campaign 1 finishes"; else not_ok "campaign 1 finishes" "$(api GET /api/campaigns/1)"; fi
check_equal "campaign 1: all 6 devices done" 6 "$(campaign_count 1 done)"

# 3. pause and cancel the store refuses leave a running campaign running
stop_daemon swarm # offline devices: campaign 2 stays running
make_image "$TEST_DIR/origin" fw2.bin 65536
answer=$(post /api/campaigns "$(campaign_body fw2.bin)")
check_equal "campaign 2 starts" "201 2" "${answer%% *} $(jq .id <<<"${answer#* }")"
counts_before=$(api GET /api/campaigns/2 | jq -c .counts)
lock_database
answer=$(post /api/campaigns/2/pause)
check_equal "a refused pause is answered 500" 500 "${answer%% *}"
check_equal "after a refused pause campaign 2 is still running" running "$(campaign_state 2)"
answer=$(post /api/campaigns/2/cancel)
check_equal "a refused cancel is answered 500" 500 "${answer%% *}"
check_equal "after a refused cancel campaign 2 is still running" running "$(campaign_state 2)"
check_equal "and no member was cancelled" "$counts_before" "$(api GET /api/campaigns/2 | jq -c .counts)"
unlock_database
answer=$(post /api/campaigns/2/pause)
check_equal "the pause works once the database is free" "200 paused" "${answer%% *} $(jq -r .state <<<"${answer#* }")"
lock_database
answer=$(post /api/campaigns/2/resume)
check_equal "a refused resume is answered 500" 500 "${answer%% *}"
check_equal "after a refused resume campaign 2 is still paused" paused "$(campaign_state 2)"
unlock_database

# 4. memory and database agree
stop_daemon acs
restart_acs acs
check_equal "after a restart: campaign 1 done, campaign 2 paused" '["done","paused"]' \
  "$(api GET /api/campaigns | jq -c '[.campaigns[].state]')"
check_equal "and campaign 2's counts are those the API showed" "$counts_before" "$(api GET /api/campaigns/2 | jq -c .counts)"
stop_daemon acs
stop_daemon origin
finish
