#!/usr/bin/env bash
# cascade-cpe against the real cascade-acs (Digest auth on the CWMP port):
# first contact is a BOOTSTRAP recorded by the ACS, a restart is a BOOT
# only, periodic Informs follow the interval, a Connection Request with
# Digest credentials opens a session (wrong credentials do not, a burst is
# rate limited), bad ACS credentials back off without dying, and a TR-098
# root reports its attributes too.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[auth]
mode = digest
username = device
password = device-pass"
auth=(--username device --password device-pass)

# ---- first contact -----------------------------------------------------------
start_cpe gw1 GW1 "${auth[@]}" --location lab --cache-size 64M --bandwidth 20000
if wait_until 15 device_json GW1; then ok "first contact: the ACS registered the device"; else
  not_ok "first contact: the ACS registered the device" "$(tail -n 20 "$TEST_DIR/gw1.log")"; finish; fi
check_equal "first Inform carried 0 BOOTSTRAP and 1 BOOT" "0 BOOTSTRAP,1 BOOT" "$(device_field GW1 .last_events)"
check_equal "X_CASCADE_Location reached the ACS" "lab" "$(device_field GW1 .location)"
check_equal "X_CASCADE_CacheSize reached the ACS" "67108864" "$(device_field GW1 .cache_size)"
check_equal "X_CASCADE_Bandwidth reached the ACS" "20000" "$(device_field GW1 .bandwidth)"
check_equal "a cascade-capable device (X_CASCADE_ parameters seen)" "true" "$(device_field GW1 .cascade)"
occupancy=$(device_field GW1 .cpu_occupancy)
if [[ "$occupancy" =~ ^[0-9]+$ ]] && [ "$occupancy" -le 10000 ]; then ok "CPU occupancy reported ($occupancy/10000)"
else not_ok "CPU occupancy reported" "got: $occupancy"; fi
cr_url=$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/gw1.log" | sed 's/advertised as //')
check_equal "ConnectionRequestURL reached the ACS" "$cr_url" "$(device_field GW1 .connection_request_url)"
check "bootstrap remembered on disk" jq -e --arg url "$ACS_CWMP_URL" '.bootstrapped_acs == $url' "$TEST_DIR/gw1/state.json"

# ---- restart: BOOT without BOOTSTRAP ---------------------------------------------
stop_daemon gw1
start_cpe gw1 GW1 "${auth[@]}" --location lab --connection-request-burst 2 --connection-request-interval 60s
wait_until 15 device_field_at_least GW1 .inform_count 2
check_equal "after a restart the Inform carries 1 BOOT only" "1 BOOT" "$(device_field GW1 .last_events)"

# ---- connection requests ---------------------------------------------------------
wait_until 10 log_has gw1 "connection requests listening"
cr_url=$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/gw1.log" | tail -1 | sed 's/advertised as //')
before=$(device_field GW1 .inform_count)
status=$(curl -s -o /dev/null -w '%{http_code}' --digest -u "$CR_USER:wrong" "$cr_url")
check_equal "connection request with a wrong password is refused" "401" "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' "$cr_url")
check_equal "connection request without credentials is challenged" "401" "$status"
status=$(curl -s -o /dev/null -w '%{http_code}' --basic -u "$CR_USER:$CR_PASS" "$cr_url")
check_equal "connection request with Basic instead of Digest is refused" "401" "$status"
sleep 1
check_equal "refused connection requests open no session" "$before" "$(device_field GW1 .inform_count)"
status=$(curl -s -o /dev/null -w '%{http_code}' --digest -u "$CR_USER:$CR_PASS" "$cr_url")
check_equal "connection request with Digest credentials is accepted" "200" "$status"
if wait_until 10 device_field_is GW1 .last_events "6 CONNECTION REQUEST"; then
  ok "the ACS saw a session with 6 CONNECTION REQUEST"
else
  not_ok "the ACS saw a session with 6 CONNECTION REQUEST" "last events: $(device_field GW1 .last_events)"
fi
codes=""
for attempt in 1 2; do
  codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --digest -u "$CR_USER:$CR_PASS" "$cr_url")"
done
check_equal "a burst of connection requests is rate limited (burst 2)" " 200 503" "$codes"

# ---- periodic Inform ---------------------------------------------------------------
stop_daemon gw1
start_cpe gw1 GW1 "${auth[@]}" --location lab --periodic-interval 1s
before=$(device_field GW1 .inform_count)
if wait_until 20 device_field_at_least GW1 .inform_count $((before + 4)); then
  ok "periodic Informs arrive every interval"
else
  not_ok "periodic Informs arrive every interval" "inform_count stayed at $(device_field GW1 .inform_count)"
fi
wait_until 5 device_field_is GW1 .last_events "2 PERIODIC"
check_equal "periodic Informs carry 2 PERIODIC" "2 PERIODIC" "$(device_field GW1 .last_events)"
stop_daemon gw1

# ---- wrong ACS credentials: back-off, still alive --------------------------------------
start_cpe badauth BAD1 --username device --password wrong
if wait_until 20 log_has badauth "retry 3 in"; then ok "refused credentials: the agent retries with back-off"
else not_ok "refused credentials: the agent retries with back-off" "$(tail -n 10 "$TEST_DIR/badauth.log")"; fi
check "the refusal is logged clearly" grep -q "ACS refused our credentials (HTTP 401)" "$TEST_DIR/badauth.log"
check_equal "the ACS never registered it" "" "$(device_json BAD1)"
check "still running after the refusals" kill -0 "${DAEMON_PID[badauth]}"
stop_daemon badauth

# ---- TR-098 root ----------------------------------------------------------------------
start_cpe igd IGD1 "${auth[@]}" --root InternetGatewayDevice. --software-version 9.9 --hardware-version hw-x
wait_until 15 device_json IGD1
check_equal "InternetGatewayDevice. root: SoftwareVersion reached the ACS" "9.9" "$(device_field IGD1 .software_version)"
check_equal "InternetGatewayDevice. root: HardwareVersion reached the ACS" "hw-x" "$(device_field IGD1 .hardware_version)"
stop_daemon igd
stop_daemon acs
finish
