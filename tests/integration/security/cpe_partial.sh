#!/usr/bin/env bash
# A download refused for --max-image-size (9010) must not leave its partial
# file behind (issue 12, item 12): before, it stayed on the device's disk
# for 24 hours, up to --max-image-size bytes of it. A Download without a
# FileSize points at a server that never says how big the file is and sends
# 3 MB; cascade-cpe runs with --max-image-size 1M, so it learns it is over
# the limit only after writing 1 MiB.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

queue="$TEST_DIR/queue"
acs_log="$TEST_DIR/acs.jsonl"
mkdir -p "$queue"
start_daemon acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" --log "$acs_log"
start_daemon unsized python3 "$(dirname "$0")/unsized_server.py" --bytes 3000000 --port-file "$TEST_DIR/unsized.port"
wait_until 10 test -s "$TEST_DIR/acs.port" -a -s "$TEST_DIR/unsized.port" || { not_ok "servers start"; finish; }
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
echo '{"requests": [{"rpc": "Download", "key": "k-huge", "url": "http://127.0.0.1:'"$(cat "$TEST_DIR/unsized.port")"'/images/fw.bin", "size": 0}]}' \
  >"$queue/001.json"

start_cpe cpe U1 --max-image-size 1M
tc_fault() { jq -rs '[.[] | select(.kind == "TransferComplete" and .CommandKey == "k-huge") | .FaultCode] | last // empty' "$acs_log"; }
tc_arrived() { [ -n "$(tc_fault)" ]; }
if wait_until 30 tc_arrived; then ok "the download was reported"; else
  not_ok "the download was reported" "$(tail -n 20 "$TEST_DIR/cpe.log")"; fi
check_equal "over --max-image-size: TransferComplete 9010" 9010 "$(tc_fault)"
check "the log says why" grep -q "over the limit of 1048576 bytes" "$TEST_DIR/cpe.log"
check_equal "no partial file is left" "" "$(find "$TEST_DIR/cpe" -name '*.part' -printf '%p %s bytes\n')"
check_equal "nor its progress record" "" "$(find "$TEST_DIR/cpe" -name '*.progress' -printf '%p\n')"
for name in cpe unsized acs; do stop_daemon "$name"; done
finish
