#!/usr/bin/env bash
# Overload answers 503 with Retry-After; hostile, malformed and oversized
# SOAP over real HTTP gets CWMP faults (8000-8006) or HTTP 4xx, and the
# ACS keeps serving; bad config values and flags are refused clearly.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

start_acs acs "[acs]" "max-sessions = 2" "retry-after = 7" "max-request-size = 64K"
post() { curl -s -D "$TEST_DIR/headers" -o "$TEST_DIR/body" -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary "$1" "$ACS_CWMP_URL"; }
check_equal "session 1 opens" 200 "$(post "$(inform_xml LOAD1)")"
check_equal "session 2 opens" 200 "$(post "$(inform_xml LOAD2)")"
check_equal "session 3 is refused with 503 while two are open" 503 "$(post "$(inform_xml LOAD3)")"
check "503 carries Retry-After: 7 (seconds)" grep -qiE $'^Retry-After: 7\r?$' "$TEST_DIR/headers"
check_equal "overload counted" 1 "$(curl -s "$ACS_API_URL/metrics" | awk '/^cascade_acs_overload_rejections_total/ {print $2}')"

expect_fault() {
  local what=$1 code=$2 body=$3 status
  status=$(post "$body")
  if [ "$status" = 500 ] && grep -q "<FaultCode>$code</FaultCode>" "$TEST_DIR/body"; then ok "$what: fault $code"
  else not_ok "$what: fault $code" "HTTP $status: $(head -c 400 "$TEST_DIR/body")"; fi
}
envelope() { echo "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><s:Body>$1</s:Body></s:Envelope>"; }
expect_fault "billion laughs" 8003 '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&c;</s:Body></s:Envelope>'
expect_fault "external entity (XXE)" 8003 '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&e;</s:Body></s:Envelope>'
expect_fault "not XML" 8003 'GET / HTTP/1.0 lol'
expect_fault "truncated envelope" 8003 "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><cwmp:Inform"
expect_fault "unknown method" 8000 "$(envelope '<cwmp:FactoryReset/>')"
expect_fault "wrong cwmp namespace" 8006 "$(envelope '<x:Inform xmlns:x="urn:dslforum-org:cwmp-7-7"/>')"
expect_fault "Inform missing DeviceId" 8003 "$(envelope '<cwmp:Inform><Event/><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>x</CurrentTime><RetryCount>0</RetryCount></cwmp:Inform>')"
long_serial=$(head -c 200 /dev/zero | tr '\0' 'S')
expect_fault "an over-long SerialNumber" 8003 "$(inform_xml "$long_serial")"
deep=$(printf '<a>%.0s' $(seq 1 100))$(printf '</a>%.0s' $(seq 1 100))
expect_fault "deep nesting" 8004 "$(envelope "<cwmp:GetRPCMethods>$deep</cwmp:GetRPCMethods>")"
expect_fault "TransferComplete outside a session" 8003 "$(envelope '<cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct><FaultCode>0</FaultCode><FaultString/></FaultStruct></cwmp:TransferComplete>')"
head -c 100000 /dev/zero | tr '\0' 'a' >"$TEST_DIR/huge"
check_equal "a body over max-request-size gets 413" 413 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$TEST_DIR/huge" "$ACS_CWMP_URL")"
check "the ACS still serves after all that" bash -c "curl -sf '$ACS_API_URL/metrics' | grep -q cascade_acs_faults_sent_total"
stop_daemon acs && ok "cascade-acs stops cleanly"

check "unknown option refused" bash -c "! '$CASCADE_BIN/cascade-acs' --frobnicate 2>&1 | grep -q . || ! '$CASCADE_BIN/cascade-acs' --frobnicate >/dev/null 2>&1"
printf '[grouping]\nkeys = manufacturer,colour\n' >"$TEST_DIR/bad.ini"
output=$("$CASCADE_BIN/cascade-acs" --config "$TEST_DIR/bad.ini" --db "$TEST_DIR/x.db" 2>&1); status=$?
if [ $status -ne 0 ] && grep -q "bad.ini:2: bad value 'manufacturer,colour' for keys: expected a comma list" <<<"$output"; then ok "a bad grouping key is named"; else not_ok "a bad grouping key is named" "$status $output"; fi
printf '[acs]\nno_such = 1\n' >"$TEST_DIR/bad2.ini"
output=$("$CASCADE_BIN/cascade-acs" --config "$TEST_DIR/bad2.ini" --db "$TEST_DIR/x.db" 2>&1); status=$?
if [ $status -ne 0 ] && grep -q "bad2.ini:2: unknown key 'no_such' in \\[acs\\]" <<<"$output"; then ok "an unknown setting is named"; else not_ok "an unknown setting is named" "$status $output"; fi
output=$("$CASCADE_BIN/cascade-acs" --cwmp nonsense --db "$TEST_DIR/x.db" 2>&1); status=$?
if [ $status -ne 0 ] && grep -q 'invalid address "nonsense"' <<<"$output"; then ok "a bad address is named"; else not_ok "a bad address is named" "$status $output"; fi
finish
