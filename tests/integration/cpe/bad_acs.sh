#!/usr/bin/env bash
# cascade-cpe against a fake ACS (fake_acs.py) that asks for everything and
# misbehaves: the Inform's content, GetParameterValues / Names, a
# SetParameterValues with bad entries (9003 with one fault per parameter,
# nothing applied) and a good one (kept across a restart; its password
# logged as "(secret)"), unparsable SOAP,
# a DOCTYPE, an unknown method (9000 echoing its ID), Informs answered with
# garbage, a fault or 503 + Retry-After (back-off, RetryCount), and the
# agent keeps running through all of it.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

queue="$TEST_DIR/queue"
acs_log="$TEST_DIR/acs.jsonl"
mkdir -p "$queue"
in_session() { posted "[.[] | select(.session == $1)]"; }

envelope='<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soap:Header><cwmp:ID soap:mustUnderstand=\"1\">doc-1</cwmp:ID></soap:Header><soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>'
enqueue '{"requests": [
  {"rpc": "GetParameterValues", "names": ["Device.DeviceInfo.", "Device.X_CASCADE_CPUOccupancySource",
                                           "Device.ManagementServer.ConnectionRequestPassword"]},
  {"rpc": "GetParameterNames", "path": "Device.", "next_level": true},
  {"rpc": "GetParameterNames", "path": "Device.X_CASCADE_FileServer.Enable", "next_level": true},
  {"rpc": "SetParameterValues", "key": "pk-bad", "values": [
     ["Device.X_CASCADE_Location", "kitchen", "xsd:string"],
     ["Device.X_CASCADE_MasterURL", "ftp://master/fw.bin", "xsd:string"],
     ["Device.DeviceInfo.Manufacturer", "Evil", "xsd:string"],
     ["Device.No.Such", "1", "xsd:string"]]},
  {"rpc": "SetParameterValues", "key": "pk-1", "values": [
     ["Device.X_CASCADE_Location", "roof", "xsd:string"],
     ["Device.ManagementServer.PeriodicInformInterval", "3600", "xsd:unsignedInt"],
     ["Device.ManagementServer.ConnectionRequestPassword", "'"$CR_PASS"'", "xsd:string"]]},
  {"raw": "<this is not soap"},
  {"raw": "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY big \"boom\">]>'"$envelope"'"},
  {"rpc": "FactoryReset"},
  {"rpc": "GetRPCMethods"}]}'
enqueue '{"inform": "garbage"}'
enqueue '{"inform": "503:2"}'
enqueue '{"inform": "fault"}'

start_daemon acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" --log "$acs_log"
wait_until 10 test -s "$TEST_DIR/acs.port"
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
start_cpe cpe B1 --location lab
if wait_until 15 posted_true '[.[] | select(.session == 1 and .kind == "GetRPCMethodsResponse")] | length == 1'; then
  ok "first session ran every request"
else
  not_ok "first session ran every request" "$(tail -n 20 "$TEST_DIR/cpe.log")"; finish
fi

# ---- the Inform -----------------------------------------------------------------
inform=$(posted '[.[] | select(.kind == "Inform")] | first')
check_equal "first Inform: 0 BOOTSTRAP and 1 BOOT" '["0 BOOTSTRAP","1 BOOT"]' "$(jq -c .events <<<"$inform")"
check_equal "Inform in the cwmp-1-2 namespace by default" "urn:dslforum-org:cwmp-1-2" "$(jq -r .namespace <<<"$inform")"
missing=""
for name in DeviceInfo.Manufacturer DeviceInfo.ManufacturerOUI DeviceInfo.ProductClass DeviceInfo.SerialNumber \
  DeviceInfo.HardwareVersion DeviceInfo.SoftwareVersion DeviceInfo.ProcessStatus.CPUUsage \
  DeviceInfo.MemoryStatus.Total DeviceInfo.MemoryStatus.Free ManagementServer.ConnectionRequestURL \
  ManagementServer.ParameterKey X_CASCADE_Location X_CASCADE_CPUOccupancy X_CASCADE_CacheSize X_CASCADE_Bandwidth \
  X_CASCADE_FileServer.Enable X_CASCADE_FileServer.URL X_CASCADE_MasterURL X_CASCADE_ImageSHA256; do
  jq -e --arg name "Device.$name" '.params | has($name)' <<<"$inform" >/dev/null || missing="$missing $name"
done
check_equal "Inform carries the standard and every X_CASCADE_ parameter" "" "$missing"
check_equal "CPU occupancy source reported as /proc/stat" "proc" \
  "$(posted '[.[] | select(.kind == "GetParameterValuesResponse")] | first | .params["Device.X_CASCADE_CPUOccupancySource"]' | jq -r .)"

# ---- the ACS's requests ------------------------------------------------------------------
session=$(in_session 1)
check_equal "replies in order" \
  '["GetParameterValuesResponse","GetParameterNamesResponse","Fault","Fault","SetParameterValuesResponse","Fault","Fault","Fault","GetRPCMethodsResponse"]' \
  "$(jq -c '[.[] | select(.kind != "Inform" and .kind != "empty") | .kind]' <<<"$session")"
check_equal "GetParameterValues: the serial number" "B1" \
  "$(jq -r '[.[] | select(.kind == "GetParameterValuesResponse")][0].params["Device.DeviceInfo.SerialNumber"]' <<<"$session")"
check_equal "GetParameterValues: a password reads back empty" "" \
  "$(jq -r '[.[] | select(.kind == "GetParameterValuesResponse")][0].params["Device.ManagementServer.ConnectionRequestPassword"]' <<<"$session")"
check "GetParameterNames NextLevel: X_CASCADE_MasterURL writable, DeviceInfo. an object" jq -e \
  '[.[] | select(.kind == "GetParameterNamesResponse")][0].names | (map(select(.[0] == "Device.X_CASCADE_MasterURL"))[0][1] | test("1|true")) and (map(.[0]) | index("Device.DeviceInfo.") != null)' \
  <<<"$session"
faults=$(jq -c '[.[] | select(.kind == "Fault")]' <<<"$session")
check_equal "GetParameterNames NextLevel on a parameter: 9003" "9003" "$(jq '.[0].fault' <<<"$faults")"
check_equal "bad SetParameterValues: 9003 with one fault per bad parameter" \
  '[["Device.X_CASCADE_MasterURL",9007],["Device.DeviceInfo.Manufacturer",9008],["Device.No.Such",9005]]' \
  "$(jq -c '.[1].spv_faults' <<<"$faults")"
check_equal "unparsable SOAP: 9003" "9003" "$(jq '.[2].fault' <<<"$faults")"
check_equal "a DOCTYPE: 9003, never expanded" "9003" "$(jq '.[3].fault' <<<"$faults")"
check_equal "unknown method: 9000" "9000" "$(jq '.[4].fault' <<<"$faults")"
check_equal "unknown method: the fault echoes its cwmp:ID" "fake-1-8" "$(jq -r '.[4].id' <<<"$faults")"
check "an accepted password is logged as (secret)" \
  grep -q "SetParameterValues: Device.ManagementServer.ConnectionRequestPassword = (secret)" "$TEST_DIR/cpe.log"
check "an accepted password's value never reaches the log" bash -c '! grep -q "$0" "$1"' "$CR_PASS" "$TEST_DIR/cpe.log"
check "the agent says what was wrong" grep -q "bad request from the ACS, answering fault 9003: not well-formed XML" \
  "$TEST_DIR/cpe.log"

# ---- Informs answered with garbage, 503 + Retry-After, a fault ------------------------------
curl -s -o /dev/null --digest -u "$CR_USER:$CR_PASS" \
  "$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/cpe.log" | sed 's/advertised as //')"
if wait_until 30 posted_true '[.[] | select(.kind == "Inform")] | length >= 5'; then ok "the agent kept informing"; else
  not_ok "the agent kept informing" "$(tail -n 20 "$TEST_DIR/cpe.log")"; fi
informs=$(posted '[.[] | select(.kind == "Inform")]')
check_equal "each failed session raised RetryCount" '["0","0","1","2","3"]' "$(jq -c '[.[:5][] | .RetryCount]' <<<"$informs")"
wait_seconds=$(jq '.[3].t - .[2].t' <<<"$informs")
if jq -e '. >= 2' <<<"$wait_seconds" >/dev/null; then ok "503 Retry-After: 2 s honoured (waited ${wait_seconds}s)"; else
  not_ok "503 Retry-After honoured" "waited ${wait_seconds}s"; fi
check "the garbage answer was logged" grep -q "ACS answered the Inform with bad SOAP" "$TEST_DIR/cpe.log"
check "the SOAP Fault (HTTP 500) to the Inform was read and logged" \
  grep -q "ACS answered the Inform with fault 8005 (Retry request)" "$TEST_DIR/cpe.log"
check_equal "the events stayed pending until delivered" '["6 CONNECTION REQUEST"]' "$(jq -c '.[4].events' <<<"$informs")"
check "the agent is still running" kill -0 "${DAEMON_PID[cpe]}"

# ---- the good SetParameterValues survives a restart ------------------------------------------------
stop_daemon cpe
start_cpe cpe B1 --location lab --cwmp-version 1.0
wait_until 15 posted_true '[.[] | select(.kind == "Inform")] | length >= 6'
inform=$(posted '[.[] | select(.kind == "Inform")] | last')
check_equal "after a restart: 1 BOOT only" '["1 BOOT"]' "$(jq -c .events <<<"$inform")"
check_equal "the ACS's X_CASCADE_Location won over --location" "roof" "$(jq -r '.params["Device.X_CASCADE_Location"]' <<<"$inform")"
check_equal "ParameterKey of the last SetParameterValues kept" "pk-1" \
  "$(jq -r '.params["Device.ManagementServer.ParameterKey"]' <<<"$inform")"
check_equal "--cwmp-version 1.0 informs in cwmp-1-0" "urn:dslforum-org:cwmp-1-0" "$(jq -r .namespace <<<"$inform")"
check "PeriodicInformInterval kept on disk" jq -e '.values["ManagementServer.PeriodicInformInterval"] == "3600"' \
  "$TEST_DIR/cpe/parameters.json"
stop_daemon cpe
stop_daemon acs
finish
