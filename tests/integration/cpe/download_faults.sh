#!/usr/bin/env bash
# Downloads that cannot succeed get the right TR-069 fault, quickly, and the
# agent keeps running. A scriptable fake ACS (fake_acs.py) sends Downloads
# pointing at servers that refuse connections (9015), answer 503 (9016) or
# stall (9017 after the low-speed limit), with an unsupported scheme
# (9013), an absurd size (9004) or an empty URL without X_CASCADE_MasterURL
# (9003). A TransferComplete the ACS refuses is sent again. With root, the
# data directory is a small tmpfs that fills up mid-download (9010, a clear
# log line, the partial file freed).
# timeout: 120
source "$(dirname "$0")/../lib.sh"

queue="$TEST_DIR/queue"
acs_log="$TEST_DIR/acs.jsonl"
mkdir -p "$queue" "$TEST_DIR/data"

small_disk=0
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=3m cascade-cpe-test "$TEST_DIR/data"; then
  small_disk=1
  on_exit "umount '$TEST_DIR/data'"
fi

start_daemon acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" --log "$acs_log"
make_image "$TEST_DIR" image.bin 1500000
start_daemon refusing python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/image.bin" \
  --port-file "$TEST_DIR/busy.port" --log "$TEST_DIR/busy.requests" --status 503
start_daemon staller python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/image.bin" \
  --port-file "$TEST_DIR/stall.port" --log "$TEST_DIR/stall.requests" --stall-after 100000
start_daemon server python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/image.bin" \
  --port-file "$TEST_DIR/good.port" --log "$TEST_DIR/good.requests"
wait_until 10 test -s "$TEST_DIR/acs.port" -a -s "$TEST_DIR/busy.port" -a -s "$TEST_DIR/stall.port" -a -s "$TEST_DIR/good.port"
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
closed_port=$(free_port)

# The session opened by the Download session's TransferComplete is refused once.
enqueue '{"requests": [
  {"rpc": "Download", "key": "k-refused", "url": "http://127.0.0.1:'"$closed_port"'/images/fw.bin", "size": 1500000},
  {"rpc": "Download", "key": "k-503", "url": "http://127.0.0.1:'"$(cat "$TEST_DIR/busy.port")"'/images/fw.bin", "size": 1500000},
  {"rpc": "Download", "key": "k-stall", "url": "http://127.0.0.1:'"$(cat "$TEST_DIR/stall.port")"'/images/fw.bin", "size": 1500000},
  {"rpc": "Download", "key": "k-ftp", "url": "ftp://127.0.0.1/fw.bin", "size": 1000},
  {"rpc": "Download", "key": "k-big", "url": "http://127.0.0.1/fw.bin", "size": 200000000},
  {"rpc": "Download", "key": "k-empty", "url": "", "size": 1000}]}'
enqueue '{"tc": "fault"}'

start_cpe cpe F1 --data-dir "$TEST_DIR/data" --download-stall-timeout 2s --max-image-size 100M \
  --connection-request-burst 50 --connection-request-interval 100ms
if wait_until 15 posted_true 'map(select(.kind == "Inform")) | length >= 1'; then ok "agent informed the fake ACS"; else
  not_ok "agent informed the fake ACS" "$(tail -n 10 "$TEST_DIR/cpe.log")"; finish; fi
wait_until 10 log_has cpe "connection requests listening"
cr_url=$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/cpe.log" | sed 's/advertised as //')
check_equal "connection request accepted" "200" "$(connection_request)"

if wait_until 20 posted_true 'map(select(.kind == "DownloadResponse")) | length == 3'; then
  ok "three Downloads accepted (status 1: TransferComplete follows)"
else
  not_ok "three Downloads accepted" "$(tail -n 20 "$TEST_DIR/cpe.log")"
fi
wait_until 10 posted_true 'map(select(.kind == "Fault")) | length >= 3'
check_equal "the other three refused at once: 9013 scheme, 9004 size, 9003 empty URL" "[9013,9004,9003]" \
  "$(posted '[.[] | select(.kind == "Fault") | .fault]' | jq -c .)"
if wait_until 30 tc_arrived k-stall; then ok "all three transfers reported"; else
  not_ok "all three transfers reported" "$(tail -n 20 "$TEST_DIR/cpe.log")"; fi
check_equal "connection refused: TransferComplete 9015" "9015" "$(tc_fault k-refused)"
check_equal "HTTP 503: TransferComplete 9016" "9016" "$(tc_fault k-503)"
check_equal "stalled server: TransferComplete 9017" "9017" "$(tc_fault k-stall)"
check "the stall was detected by the low-speed limit" grep -q "file server stalled" "$TEST_DIR/cpe.log"
stall_seconds=$(posted '([.[] | select(.kind == "TransferComplete" and .CommandKey == "k-stall")] | first | .t) -
  ([.[] | select(.kind == "DownloadResponse")] | last | .t) | floor')
if [ "$stall_seconds" -le 20 ]; then ok "the stalled server was given up on quickly (${stall_seconds}s)"; else
  not_ok "the stalled server was given up on quickly" "${stall_seconds}s"; fi
check "the ACS's refusal (a SOAP Fault with HTTP 500) was understood" \
  grep -q "ACS refused TransferComplete k-refused: fault 8002" "$TEST_DIR/cpe.log"
check "a refused TransferComplete was sent again and acknowledged" \
  posted_true '[.[] | select(.kind == "TransferComplete" and .CommandKey == "k-refused")] | length >= 2'
wait_until 10 jq -e '.transfers | length == 0' "$TEST_DIR/data/transfers.json"
check_equal "every TransferComplete acknowledged in the end" "0" "$(jq '.transfers | length' "$TEST_DIR/data/transfers.json")"
kept_partials=$(find "$TEST_DIR/data/downloads" -name '*.part' -size +0 | sort)
check_equal "only the stalled download's bytes are kept (for a resume)" "1" "$(find "$TEST_DIR/data/downloads" -type f -name '*.part' | wc -l)"

if [ "$small_disk" -eq 1 ]; then
  enqueue '{"requests": [{"rpc": "Download", "key": "k-nospace", "url": "http://127.0.0.1:'"$(cat "$TEST_DIR/good.port")"'/images/fw.bin", "size": 1500000, "delay": 2}]}'
  connection_request >/dev/null
  wait_until 15 posted_true 'map(select(.kind == "DownloadResponse")) | length == 4'
  # Fill the disk during DelaySeconds, leaving a little room.
  dd if=/dev/zero of="$TEST_DIR/data/filler" bs=64k 2>/dev/null
  truncate -s -300K "$TEST_DIR/data/filler"
  if wait_until 20 tc_arrived k-nospace; then ok "disk full: a TransferComplete came"; else
    not_ok "disk full: a TransferComplete came" "$(tail -n 20 "$TEST_DIR/cpe.log")"; fi
  check_equal "disk full: TransferComplete 9010" "9010" "$(tc_fault k-nospace)"
  check "disk full: a clear log line" grep -q "no space left on the device" "$TEST_DIR/cpe.log"
  check_equal "disk full: the partial file was freed" "$kept_partials" \
    "$(find "$TEST_DIR/data/downloads" -name '*.part' -size +0 | sort)"
  rm -f "$TEST_DIR/data/filler"
else
  skip "disk full (ENOSPC) download" "needs root to mount a small tmpfs"
fi

before=$(posted 'map(select(.kind == "Inform")) | length')
connection_request >/dev/null
if wait_until 10 posted_true "map(select(.kind == \"Inform\")) | length > $before"; then
  ok "the agent still answers connection requests after all that"
else
  not_ok "the agent still answers connection requests after all that" "$(tail -n 10 "$TEST_DIR/cpe.log")"
fi
for name in cpe server staller refusing acs; do stop_daemon "$name"; done
finish
