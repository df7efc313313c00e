#!/usr/bin/env bash
# CWMP over HTTPS: the test makes its own CA and a server certificate for
# 127.0.0.1 with openssl; cascade-acs serves CWMP with it ([acs]
# tls_certificate / tls_key) and Digest authentication; cascade-cpe
# trusts the CA with --ca-file. A device that trusts the CA informs and
# runs a whole campaign over TLS (SetParameterValues, Download,
# TransferComplete); a device that trusts another CA (what an interceptor
# would present) or the system CAs never talks to it; wrong credentials
# over TLS are refused; plain HTTP on the TLS port gets nothing; TLS 1.1
# is refused, 1.2 and 1.3 are served.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

pki="$TEST_DIR/pki"
mkdir -p "$pki" "$TEST_DIR/origin"
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$pki/$1.key" -out "$pki/$1.pem" -subj "/CN=cascade test $1" 2>/dev/null
}
make_ca ca && make_ca rogue-ca &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/acs.key" \
    -out "$pki/acs.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$pki/acs.ext" &&
  openssl x509 -req -in "$pki/acs.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$pki/acs.pem" -days 2 -extfile "$pki/acs.ext" 2>/dev/null
check "test CA, rogue CA and the ACS certificate made with openssl" \
  openssl verify -CAfile "$pki/ca.pem" "$pki/acs.pem"

make_image "$TEST_DIR/origin" fw.bin 100000
sha=$IMAGE_SHA256

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[acs]
tls-certificate = $pki/acs.pem
tls-key = $pki/acs.key
[auth]
mode = digest
username = device
password = device-secret-7
[election]
max-occupancy = 10000"
ACS_CWMP_URL="https://127.0.0.1:$ACS_CWMP_PORT/"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin

# ---- the handshake itself -----------------------------------------------------------
handshake() {
  OPENSSL_CONF=/dev/null timeout 10 openssl s_client -connect "127.0.0.1:$ACS_CWMP_PORT" "$@" </dev/null 2>&1
}
check "TLS 1.3 handshake with a certificate the CA vouches for" \
  bash -c "$(declare -f handshake); ACS_CWMP_PORT=$ACS_CWMP_PORT; handshake -tls1_3 -CAfile '$pki/ca.pem' | grep -q 'Verify return code: 0 (ok)'"
check "TLS 1.2 is served" \
  bash -c "$(declare -f handshake); ACS_CWMP_PORT=$ACS_CWMP_PORT; handshake -tls1_2 -CAfile '$pki/ca.pem' | grep -q 'New, TLSv1.2'"
check "TLS 1.1 is refused" \
  bash -c "$(declare -f handshake); ACS_CWMP_PORT=$ACS_CWMP_PORT; handshake -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' | grep -q 'Cipher is (NONE)'"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "http://127.0.0.1:$ACS_CWMP_PORT/")
check_equal "plain HTTP on the TLS port gets no HTTP answer" "000" "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$pki/ca.pem" -X POST "$ACS_CWMP_URL")
check_equal "HTTPS without credentials is challenged (401)" "401" "$status"

# ---- devices ------------------------------------------------------------------------
start_cpe trusting S1 --ca-file "$pki/ca.pem" --username device --password device-secret-7 --auth digest
start_cpe fooled S2 --ca-file "$pki/rogue-ca.pem" --username device --password device-secret-7
start_cpe system S3 --username device --password device-secret-7
start_cpe guessing S4 --ca-file "$pki/ca.pem" --username device --password wrong-password
if wait_until 20 device_json S1; then ok "a device trusting the CA informs over HTTPS with Digest"; else
  not_ok "a device trusting the CA informs over HTTPS with Digest" "$(tail -n 20 "$TEST_DIR/trusting.log")"
fi
wait_until 15 log_has fooled "cannot reach the ACS"
check "a device trusting another CA refuses the ACS certificate" grep -qiE "certificate|SSL" "$TEST_DIR/fooled.log"
wait_until 15 log_has system "cannot reach the ACS"
check "a device with only the system CAs refuses the test certificate" grep -qiE "certificate|SSL" "$TEST_DIR/system.log"
wait_until 15 log_has guessing "refused our credentials"
check "a device with a wrong password over TLS is refused (401)" grep -q "refused our credentials (HTTP 401)" \
  "$TEST_DIR/guessing.log"
for serial in S2 S3 S4; do
  if device_json "$serial" >/dev/null 2>&1; then not_ok "$serial never reached the registry"; else
    ok "$serial never reached the registry"; fi
done

# ---- a whole campaign over TLS ----------------------------------------------------------
id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"${MASTER_URL[origin]}/images/fw.bin\",\"sha256\":\"$sha\",\"size\":100000,\"mode\":\"spv\",\"selector\":\"hardware_version=1.0\"}")
if [ -n "$id" ] && wait_until 40 campaign_is "$id" done; then ok "campaign over HTTPS done"; else
  not_ok "campaign over HTTPS done" "$(api GET "/api/campaigns/${id:-0}?devices=1")"$'\n'"$(tail -n 20 "$TEST_DIR/trusting.log")"
fi
check_equal "the TLS device is done" "1" "$(campaign_count "${id:-0}" done)"
check "its TransferComplete reached the ACS over TLS" test "$(sqlite3 "$TEST_DIR/acs.db" \
  "SELECT count(*) FROM transfers WHERE fault_code = 0")" -ge 1
check "the device got SetParameterValues over TLS" grep -q "using X_CASCADE_MasterURL" "$TEST_DIR/trusting.log"

for name in trusting fooled system guessing origin acs; do stop_daemon "$name"; done
finish
