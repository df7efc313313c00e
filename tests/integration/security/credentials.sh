#!/usr/bin/env bash
# Credential guessing against every door that takes a secret, each from an
# attacker address (127.0.0.2) while a legitimate client (127.0.0.1) keeps
# working: device Digest logins on cascade-acs's CWMP port, the operator
# API token (--api-token-file, also through cascadectl), and Digest
# Connection Requests on cascade-cpe. Wrong credentials are refused (401);
# after the allowed number of failures the attacker's address gets 429 +
# Retry-After, even with the right secret, and the block is logged with
# the address; requests that carry no credentials (the first step of
# Digest) never count.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

ATTACKER=127.0.0.2
BYSTANDER=127.0.0.3
cat >"$TEST_DIR/inform.xml" <<'EOF'
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID></soap:Header><soap:Body><cwmp:Inform><DeviceId><Manufacturer>Acme</Manufacturer><OUI>00AA11</OUI><ProductClass>GW</ProductClass><SerialNumber>LEGIT1</SerialNumber></DeviceId><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList></ParameterList></cwmp:Inform></soap:Body></soap:Envelope>
EOF
echo "operator-token-5f2c9a7e1d" >"$TEST_DIR/api-token"

ACS_EXTRA_ARGS="--api-token-file $TEST_DIR/api-token" start_acs acs "[auth]" "mode = digest" "username = cpe" \
  "password = right-one" "max-failures = 5" "failure-window = 30s"
cwmp=$ACS_CWMP_URL
api_url=$ACS_API_URL

# post FROM USER:PASSWORD: the HTTP status of a Digest Inform from address FROM.
post() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$1" --digest -u "$2" \
    --data-binary @"$TEST_DIR/inform.xml" "$cwmp"
}

# ---- device logins (Digest) on the CWMP port ---------------------------------------------
codes=""
for attempt in 1 2 3 4 5; do codes+="$(post $ATTACKER cpe:guess-$attempt) "; done
check_equal "cwmp: five wrong passwords are refused" "401 401 401 401 401 " "$codes"
curl -s -D "$TEST_DIR/blocked.head" -o /dev/null --max-time 10 --interface $ATTACKER --digest -u cpe:guess-6 \
  --data-binary @"$TEST_DIR/inform.xml" "$cwmp"
check "cwmp: the sixth attempt gets 429" grep -q "^HTTP/1.1 429" "$TEST_DIR/blocked.head"
retry=$(grep -i '^Retry-After:' "$TEST_DIR/blocked.head" | tr -dc '0-9')
check "cwmp: with Retry-After within the 30 s window ($retry)" test "${retry:-0}" -ge 1 -a "${retry:-0}" -le 30
check_equal "cwmp: the right password from the blocked address is refused too" 429 "$(post $ATTACKER cpe:right-one)"
check "cwmp: the block is logged with the address" \
  grep -q "cwmp: 5 failed logins from $ATTACKER within 30 s: refusing that address for 30 s (429)" "$TEST_DIR/acs.log"
check_equal "cwmp: a device from another address still gets in" 200 "$(post 127.0.0.1 cpe:right-one)"
codes=""
for attempt in $(seq 1 12); do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface $BYSTANDER --data-binary @"$TEST_DIR/inform.xml" "$cwmp") "
done
check_equal "cwmp: requests without credentials are challenged, never blocked" \
  "$(printf '401 %.0s' $(seq 1 12))" "$codes"
metrics=$(curl -s -H "Authorization: Bearer $(cat "$TEST_DIR/api-token")" "$api_url/metrics")
check "cwmp: /metrics counts the blocked address" \
  grep -qE '^cascade_acs_auth_blocked_addresses_total [1-9]' <<<"$metrics"

# ---- the operator API token -----------------------------------------------------------
# api_status FROM TOKEN: status of GET /api/devices (TOKEN "" sends no header).
api_status() {
  local header=()
  [ -n "$2" ] && header=(-H "Authorization: Bearer $2")
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$1" "${header[@]}" "$api_url/api/devices"
}
check_equal "api: no token: 401" 401 "$(api_status 127.0.0.1 "")"
check_equal "api: the right token: 200" 200 "$(api_status 127.0.0.1 "$(cat "$TEST_DIR/api-token")")"
check "api: cascadectl --token-file lists the devices" \
  bash -c "'$CASCADE_BIN/cascadectl' --api '$api_url' --token-file '$TEST_DIR/api-token' --json devices | jq -e '.total == 1'"
if "$CASCADE_BIN/cascadectl" --api "$api_url" devices >/dev/null 2>&1; then
  not_ok "api: cascadectl without the token fails"; else ok "api: cascadectl without the token fails"; fi
codes=""
for attempt in 1 2 3 4 5; do codes+="$(api_status $ATTACKER "guess-$attempt") "; done
check_equal "api: five wrong tokens: 401" "401 401 401 401 401 " "$codes"
check_equal "api: then 429, even with the right token" 429 "$(api_status $ATTACKER "$(cat "$TEST_DIR/api-token")")"
check "api: the block is logged with the address" grep -q "api: 5 failed logins from $ATTACKER within 30 s" "$TEST_DIR/acs.log"
check_equal "api: the operator from another address is unaffected" 200 \
  "$(api_status 127.0.0.1 "$(cat "$TEST_DIR/api-token")")"

# ---- Connection Requests on cascade-cpe --------------------------------------------------
start_cpe device D1 --username cpe --password right-one --auth digest
wait_until 15 log_has device "connection requests listening on"
cr_url=$(grep -o "advertised as [^)]*" "$TEST_DIR/device.log" | head -1 | sed 's/advertised as //')
# cr FROM USER:PASSWORD: status of a Digest connection request from FROM.
cr() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 --interface "$1" --digest -u "$2" "$cr_url"; }
codes=""
for attempt in $(seq 1 10); do codes+="$(cr $ATTACKER "$CR_USER:guess-$attempt") "; done
if grep -q 200 <<<"$codes"; then not_ok "cpe: wrong connection-request passwords never pass" "$codes"; else
  ok "cpe: wrong connection-request passwords never pass ($codes)"; fi
curl -s -D "$TEST_DIR/cr-blocked.head" -o /dev/null --max-time 10 --interface $ATTACKER --digest \
  -u "$CR_USER:$CR_PASS" "$cr_url"
check "cpe: after 10 failures even the right password from that address gets 429" \
  grep -q "^HTTP/1.1 429" "$TEST_DIR/cr-blocked.head"
check "cpe: with Retry-After" grep -qi "^Retry-After: [1-9]" "$TEST_DIR/cr-blocked.head"
check "cpe: the block is logged with the address" \
  grep -q "connection requests: 10 failed logins from $ATTACKER within 60 s" "$TEST_DIR/device.log"
accepted=""
for attempt in $(seq 1 20); do   # the shared challenge bucket refills at 2/s
  accepted=$(cr 127.0.0.1 "$CR_USER:$CR_PASS")
  [ "$accepted" = 200 ] && break
  sleep 0.5
done
check_equal "cpe: the ACS's address still gets its connection request through" 200 "$accepted"

stop_daemon device
stop_daemon acs
finish
