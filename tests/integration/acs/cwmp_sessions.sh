#!/usr/bin/env bash
# CWMP sessions over real HTTP with curl: BOOTSTRAP first contact in each
# namespace (ID and namespace echoed, cookie set, durable in SQLite), empty
# POST ending with 204, periodic Inform, a new session for every Inform
# even with an old cookie, a cookie-less keep-alive session, GetRPCMethods,
# the GetParameterValues/GetParameterNames probe when the Inform lacks
# attributes, a device that sends HoldRequests, and wrong HTTP methods.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

start_acs acs
ok "cascade-acs starts and logs its ports"
check "bound ports are logged" grep -q "cwmp listening on 127.0.0.1:$ACS_CWMP_PORT" "$TEST_DIR/acs.log"

post() { curl -sS -b "$TEST_DIR/jar" -c "$TEST_DIR/jar" -H 'Content-Type: text/xml' --data-binary "$1" -D "$TEST_DIR/headers" -o "$TEST_DIR/body" -w '%{http_code}' "$ACS_CWMP_URL"; }

for version in 0 1 2; do
  namespace="urn:dslforum-org:cwmp-1-$version"
  rm -f "$TEST_DIR/jar"
  status=$(post "$(inform_xml "NS$version" "0 BOOTSTRAP" "$namespace" "" "id-$version")")
  check_equal "cwmp-1-$version Inform answered" 200 "$status"
  check "cwmp-1-$version InformResponse in the device's namespace" grep -q "xmlns:cwmp=\"$namespace\"" "$TEST_DIR/body"
  check "cwmp-1-$version ID echoed" grep -q "<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">id-$version</cwmp:ID>" "$TEST_DIR/body"
  check "cwmp-1-$version MaxEnvelopes 1" grep -q '<MaxEnvelopes>1</MaxEnvelopes>' "$TEST_DIR/body"
  check "session cookie set" grep -qi '^Set-Cookie: cascade_session=' "$TEST_DIR/headers"
  status=$(post "")
  check_equal "cwmp-1-$version empty POST ends the session with 204" 204 "$status"
done
check_equal "three devices registered and durable" 3 "$(sqlite3 "$TEST_DIR/acs.db" 'select count(*) from devices')"
check_equal "BOOTSTRAP event recorded" "0 BOOTSTRAP" "$(sqlite3 "$TEST_DIR/acs.db" "select last_events from devices where serial_number='NS2'")"

# periodic Inform of a known device; then a stale cookie still gets a fresh session
rm -f "$TEST_DIR/jar"
post "$(inform_xml NS2 "2 PERIODIC")" >/dev/null
first_cookie=$(grep -i '^Set-Cookie' "$TEST_DIR/headers" | sed 's/.*cascade_session=\([0-9a-f]*\).*/\1/')
post "$(inform_xml NS2 "2 PERIODIC")" >/dev/null
second_cookie=$(grep -i '^Set-Cookie' "$TEST_DIR/headers" | sed 's/.*cascade_session=\([0-9a-f]*\).*/\1/')
if [ -n "$first_cookie" ] && [ "$first_cookie" != "$second_cookie" ]; then ok "every Inform opens a new session even with an old cookie"
else not_ok "every Inform opens a new session even with an old cookie" "$first_cookie / $second_cookie"; fi
check_equal "periodic Informs counted" 3 "$(sqlite3 "$TEST_DIR/acs.db" "select inform_count from devices where serial_number='NS2'")"
check_equal "empty POST after the second Inform ends it" 204 "$(post "")"

# no cookie at all: the session is tracked by the (kept-alive) connection
inform_xml NOCOOKIE >"$TEST_DIR/inform-nocookie.xml"
codes=$(curl -sS -o /dev/null -w '%{http_code} ' -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform-nocookie.xml" "$ACS_CWMP_URL" \
  --next -o /dev/null -w '%{http_code} ' -X POST -H 'Content-Length: 0' "$ACS_CWMP_URL" 2>&1)
check_equal "cookie-less device: Inform then empty POST on one connection" "200 204 " "$codes"

# GetRPCMethods from the device
rm -f "$TEST_DIR/jar"
post "$(inform_xml RPC1)" >/dev/null
rpc='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Header><cwmp:ID soap:mustUnderstand="1">g1</cwmp:ID><cwmp:HoldRequests soap:mustUnderstand="1">1</cwmp:HoldRequests></soap:Header><soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>'
check_equal "GetRPCMethods (with a HoldRequests header) answered" 200 "$(post "$rpc")"
check "method list holds Inform and TransferComplete" grep -q '<string>TransferComplete</string>' "$TEST_DIR/body"
check_equal "then 204" 204 "$(post "")"

# Probe: an Inform without attributes gets GetParameterValues, then GetParameterNames.
rm -f "$TEST_DIR/jar"
crurl='<ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestURL</Name><Value xsi:type="xsd:string">http://127.0.0.1:1/cr</Value></ParameterValueStruct>'
post "$(inform_xml PROBE1 "0 BOOTSTRAP" urn:dslforum-org:cwmp-1-2 "$crurl")" >/dev/null
check_equal "probe: empty POST gets a request" 200 "$(post "")"
check "probe: GetParameterValues of leaf names (the default style)" grep -q '<string>Device.DeviceInfo.SoftwareVersion</string>' "$TEST_DIR/body"
check "probe: no partial path asked" bash -c "! grep -q '<string>Device.DeviceInfo.</string>' '$TEST_DIR/body'"
gpv_response='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><cwmp:GetParameterValuesResponse><ParameterList>
<ParameterValueStruct><Name>Device.DeviceInfo.HardwareVersion</Name><Value xsi:type="xsd:string">hwP</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name><Value xsi:type="xsd:string">9.9</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.DeviceInfo.ProcessStatus.CPUUsage</Name><Value xsi:type="xsd:unsignedInt">42</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.DeviceInfo.Location</Name><Value xsi:type="xsd:string">lab</Value></ParameterValueStruct>
</ParameterList></cwmp:GetParameterValuesResponse></soap:Body></soap:Envelope>'
check_equal "probe: values answered, next request" 200 "$(post "$gpv_response")"
check "probe: GetParameterNames of Device. next level" grep -q '<ParameterPath>Device.</ParameterPath>' "$TEST_DIR/body"
gpn_response='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Body><cwmp:GetParameterNamesResponse><ParameterList>
<ParameterInfoStruct><Name>Device.DeviceInfo.</Name><Writable>0</Writable></ParameterInfoStruct>
<ParameterInfoStruct><Name>Device.X_CASCADE_FileServer.</Name><Writable>0</Writable></ParameterInfoStruct>
</ParameterList></cwmp:GetParameterNamesResponse></soap:Body></soap:Envelope>'
check_equal "probe: names answered, next request" 200 "$(post "$gpn_response")"
check "probe: GetParameterValues of the X_CASCADE_ leaves found" grep -q '<string>Device.X_CASCADE_FileServer.URL</string>' "$TEST_DIR/body"
gpv2='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><cwmp:GetParameterValuesResponse><ParameterList>
<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.Enable</Name><Value xsi:type="xsd:boolean">1</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.URL</Name><Value xsi:type="xsd:string">http://10.0.0.9:8080</Value></ParameterValueStruct>
</ParameterList></cwmp:GetParameterValuesResponse></soap:Body></soap:Envelope>'
check_equal "probe: done, session ends" 204 "$(post "$gpv2")"
device=$(api GET /api/devices | jq -c '.devices[] | select(.serial_number=="PROBE1")')
check_equal "probe filled the software version" "9.9" "$(jq -r .software_version <<<"$device")"
check_equal "probe filled occupancy from CPUUsage" 4200 "$(jq -r .cpu_occupancy <<<"$device")"
check_equal "probe filled the file server" "http://10.0.0.9:8080" "$(jq -r .file_server.url <<<"$device")"
check_equal "probe filled the location" "lab" "$(jq -r .location <<<"$device")"
rm -f "$TEST_DIR/jar"
post "$(inform_xml PROBE1 "2 PERIODIC" urn:dslforum-org:cwmp-1-2 "$crurl")" >/dev/null
check_equal "a probed device is not probed again" 204 "$(post "")"

stop_daemon acs
start_acs hold "[acs]" "hold-requests = true" || not_ok "acs with hold_requests starts"
rm -f "$TEST_DIR/jar"
post "$(inform_xml HOLD1 "0 BOOTSTRAP" urn:dslforum-org:cwmp-1-2 "$crurl")" >/dev/null
check "hold_requests: InformResponse holds the device's requests while the ACS has its own" \
  grep -q '<cwmp:HoldRequests SOAP-ENV:mustUnderstand="1">1</cwmp:HoldRequests>' "$TEST_DIR/body"
check_equal "hold_requests: the empty POST gets the ACS's request" 200 "$(post "")"
rm -f "$TEST_DIR/jar"
post "$(inform_xml HOLD2)" >/dev/null
if grep -q 'HoldRequests' "$TEST_DIR/body"; then not_ok "hold_requests: no hold when nothing is queued"; else ok "hold_requests: no hold when nothing is queued"; fi

check_equal "GET on the CWMP port is refused" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$ACS_CWMP_URL")"
stop_daemon hold && ok "cascade-acs stops cleanly"
finish
