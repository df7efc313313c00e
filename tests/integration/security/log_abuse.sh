#!/usr/bin/env bash
# The daemons' logs under hostile input (issue 12, items 8 and 9):
#  - item 9, log injection: a CommandKey carrying "&#10;" and a fake log
#    prefix (cascade-acs, from a device) or a raw newline (cascade-cpe, from
#    its ACS) is written escaped on its own line, never as a second line;
#  - item 8, floods: a repeated error goes through the rate limiter (at most
#    10 lines per 10 s per call site, then a count of what was suppressed):
#    300 malformed CWMP requests to cascade-acs, 60 malformed requests from a
#    hostile ACS to cascade-cpe, and (root: a full tmpfs under the database)
#    commits failing on a full disk, which wrote 31,336 lines in 90 s before.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

FORGED='2026-01-01T00:00:00.000Z cascade-acs[1] error: forged'
forged_lines() { grep -c "^2026-01-01T00:00:00.000Z cascade-acs\[1\]" "$1"; }
envelope() {
  printf '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID></soap:Header><soap:Body>%s</soap:Body></soap:Envelope>' "$1"
}
inform_body() {
  envelope "<cwmp:Inform><DeviceId><Manufacturer>Acme</Manufacturer><OUI>00AA11</OUI><ProductClass>GW</ProductClass><SerialNumber>$1</SerialNumber></DeviceId><Event><EventStruct><EventCode>7 TRANSFER COMPLETE</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList></ParameterList></cwmp:Inform>"
}

# ---------------------------------------------------------------- cascade-acs
# A small tmpfs under the database (root) lets the disk fill up later.
small_disk=0
mkdir -p "$TEST_DIR/disk"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=4m "cascade-t-$$-disk" "$TEST_DIR/disk"; then
  small_disk=1
  on_exit "umount -l '$TEST_DIR/disk'"
fi
ACS_DB="$TEST_DIR/disk/acs.db" start_acs acs

# item 9: a device's TransferComplete with a forged line in its CommandKey
inform_body LOG1 >"$TEST_DIR/inform.xml"
envelope "<cwmp:TransferComplete><CommandKey>x&#10;$FORGED&#13;</CommandKey><FaultStruct><FaultCode>9010</FaultCode><FaultString>boom&#10;$FORGED too</FaultString></FaultStruct><StartTime>2026-01-01T00:00:00Z</StartTime><CompleteTime>2026-01-01T00:00:01Z</CompleteTime></cwmp:TransferComplete>" \
  >"$TEST_DIR/transfer.xml"
curl -s -o /dev/null -c "$TEST_DIR/cookies" --data-binary @"$TEST_DIR/inform.xml" "$ACS_CWMP_URL"
status=$(curl -s -o /dev/null -w '%{http_code}' -b "$TEST_DIR/cookies" --data-binary @"$TEST_DIR/transfer.xml" "$ACS_CWMP_URL")
check_equal "the ACS acknowledged the TransferComplete" 200 "$status"
wait_until 5 grep -q "TransferComplete from 00AA11-GW-LOG1" "$TEST_DIR/acs.log"
check_equal "acs: no forged line in the log" 0 "$(forged_lines "$TEST_DIR/acs.log")"
check "acs: the CommandKey is logged escaped, on its own line" \
  grep -qF "key x\\n$FORGED\\r, fault 9010" "$TEST_DIR/acs.log"

# item 8: 300 malformed requests, one curl over one connection
for i in $(seq 1 300); do
  printf 'url = "%s"\ndata = "<not-soap-%d>"\noutput = "/dev/null"\n' "$ACS_CWMP_URL" "$i"
  [ "$i" -lt 300 ] && echo next
done >"$TEST_DIR/flood.curl"
curl -s -K "$TEST_DIR/flood.curl"
bad_lines=$(grep -c "bad CWMP request from" "$TEST_DIR/acs.log")
if [ "$bad_lines" -ge 1 ] && [ "$bad_lines" -le 10 ]; then ok "acs: 300 malformed requests wrote $bad_lines lines"
else not_ok "acs: 300 malformed requests wrote at most 10 lines" "$bad_lines lines"; fi
# the count of what was suppressed comes with the next line of that site, in a later window
sleep 10.2
curl -s -o /dev/null --data-binary '<not-soap-again>' "$ACS_CWMP_URL"
check "acs: the suppressed lines are counted" grep -qE '[0-9]+ more lines like "bad CWMP request from %s: %s" suppressed' "$TEST_DIR/acs.log"

# item 8: a full disk under the database
if [ "$small_disk" -eq 1 ]; then
  dd if=/dev/zero of="$TEST_DIR/disk/filler" bs=64k 2>/dev/null
  refused=0
  for i in $(seq 1 200); do
    inform_body "FULL$i" >"$TEST_DIR/full.xml"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --data-binary @"$TEST_DIR/full.xml" "$ACS_CWMP_URL")
    [ "$code" = 503 ] && refused=$((refused + 1))
  done
  if [ "$refused" -ge 100 ]; then ok "acs: the full disk refused $refused of 200 Informs (503)"
  else not_ok "acs: the full disk refused most Informs" "$refused of 200 answered 503"; fi
  database_lines=$(grep -cE "database (write|BEGIN|COMMIT|checkpoint) failed" "$TEST_DIR/acs.log")
  if [ "$database_lines" -ge 1 ] && [ "$database_lines" -le 40 ]; then
    ok "acs: $refused failed commits wrote $database_lines database error lines"
  else
    not_ok "acs: failed commits wrote at most 40 database error lines" "$database_lines lines for $refused failures"
  fi
  rm -f "$TEST_DIR/disk/filler"
else
  skip "acs: failed commits on a full disk" "needs root to mount a small tmpfs"
fi
stop_daemon acs

# ---------------------------------------------------------------- cascade-cpe
queue="$TEST_DIR/queue"
mkdir -p "$queue"
start_daemon fake_acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" \
  --log "$TEST_DIR/acs.jsonl"
wait_until 10 test -s "$TEST_DIR/acs.port" || { not_ok "fake ACS starts"; finish; }
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
closed_port=$(free_port)
jq -n -c --arg key "k1
$FORGED" --arg url "http://127.0.0.1:$closed_port/fw.bin" \
  '{requests: ([{rpc: "Download", key: $key, url: $url, size: 1000}] + [range(60) | {raw: "<garbage/>"}])}' \
  >"$queue/001.json"
start_cpe cpe LOG2
jq_count() { jq -s "[.[] | select($1)] | length" "$TEST_DIR/acs.jsonl"; }
faults_answered() { [ "$(jq_count '.kind == "Fault"')" -ge 60 ]; }
if wait_until 30 faults_answered; then ok "cpe: answered 60 malformed requests with faults"
else not_ok "cpe: answered 60 malformed requests" "$(jq_count '.kind == "Fault"') faults"; fi
transfer_reported() { [ "$(jq_count '.kind == "TransferComplete"')" -ge 1 ]; }
wait_until 20 transfer_reported
check_equal "cpe: no forged line in the log" 0 "$(forged_lines "$TEST_DIR/cpe.log")"
check "cpe: the ACS's CommandKey is logged escaped" grep -qF "download k1\\n$FORGED" "$TEST_DIR/cpe.log"
bad_lines=$(grep -c "bad request from the ACS" "$TEST_DIR/cpe.log")
if [ "$bad_lines" -ge 1 ] && [ "$bad_lines" -le 10 ]; then ok "cpe: 60 malformed requests wrote $bad_lines lines"
else not_ok "cpe: 60 malformed requests wrote at most 10 lines" "$bad_lines lines"; fi
stop_daemon cpe
stop_daemon fake_acs
finish
