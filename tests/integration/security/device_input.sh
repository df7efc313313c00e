#!/usr/bin/env bash
# What a device says about itself, taken apart by cascade-acs (issue 12):
#  - item 7: DeviceIds (OUI "A-B", class "X", serial "C") and ("A", "B",
#    "X-C") are two devices, not one record; a database whose keys were
#    written by the plain join loads, its keys are rewritten, and its devices
#    keep their records when they inform again;
#  - item 11: X_CASCADE_FileServer.URL is stored only for http:// and
#    https:// (file:///etc/shadow, ftp://, javascript: are dropped), also
#    when an older database holds one;
#  - item 4: an Inform with 80,000 attributes on one element gets fault 8004
#    and the ACS keeps serving devices.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

db="$TEST_DIR/acs.db"
# inform OUI CLASS SERIAL [PARAMETERS-XML] [EXTRA-ATTRIBUTES]: posts an Inform, prints the HTTP status and body.
inform() {
  local body
  body=$(cat <<XML
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID></soap:Header><soap:Body><cwmp:Inform><DeviceId><Manufacturer>Acme</Manufacturer><OUI>$1</OUI><ProductClass>$2</ProductClass><SerialNumber>$3</SerialNumber></DeviceId><Event${5:-}><EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList>${4:-}</ParameterList></cwmp:Inform></soap:Body></soap:Envelope>
XML
)
  curl -s --max-time 30 -w '\n%{http_code}' -H 'Content-Type: text/xml' --data-binary @- "$ACS_CWMP_URL" <<<"$body"
}
device_field() { # OUI CLASS SERIAL FIELD
  api GET '/api/devices?limit=1000' | jq -r --arg o "$1" --arg p "$2" --arg s "$3" \
    ".devices[] | select(.oui == \$o and .product_class == \$p and .serial_number == \$s) | $4"
}
device_total() { api GET '/api/devices?limit=0' | jq .total; }
url_parameters() {
  printf '<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.Enable</Name><Value xsi:type="xsd:boolean">1</Value></ParameterValueStruct>'
  printf '<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.URL</Name><Value xsi:type="xsd:string">%s</Value></ParameterValueStruct>' "$1"
}

start_acs acs

# --- item 7: no collision
inform "A-B" "X" "C" >/dev/null
inform "A" "B" "X-C" >/dev/null
inform "A" "B" "X-C" >/dev/null
check_equal "(A-B, X, C) and (A, B, X-C) are two devices" 2 "$(device_total)"
check_equal "the first keeps its own record (one Inform)" "1 A%2DB-X-C" \
  "$(device_field A-B X C .inform_count) $(device_field A-B X C .key)"
check_equal "the second keeps its own record (two Informs)" "2 A-B-X%2DC" \
  "$(device_field A B X-C .inform_count) $(device_field A B X-C .key)"
inform "00AA11" "GW" "PLAIN1" >/dev/null
check_equal "a DeviceId without '-' or '%' keeps the plain key" "00AA11-GW-PLAIN1" "$(device_field 00AA11 GW PLAIN1 .key)"
inform "00AA11" "GW" "S-1" >/dev/null
inform "00AA11" "GW" "S%2D1" >/dev/null
check_equal "a serial holding the escape of another is still another device" "00AA11-GW-S%2D1 00AA11-GW-S%252D1" \
  "$(device_field 00AA11 GW S-1 .key) $(device_field 00AA11 GW S%2D1 .key)"

# --- item 11: the file server URL a device reports
for url in 'file:///etc/shadow' 'ftp://10.0.0.1/images' 'javascript:alert(1)' 'http://' 'http:///etc' \
           'http://host/a b'; do
  inform "00AA11" "GW" "URL1" "$(url_parameters "$url")" >/dev/null
  check_equal "X_CASCADE_FileServer.URL \"$url\" is not stored" "" "$(device_field 00AA11 GW URL1 .file_server.url)"
done
for url in 'http://192.0.2.10:8080' 'HTTPS://master.example/cascade/'; do
  inform "00AA11" "GW" "URL1" "$(url_parameters "$url")" >/dev/null
  check_equal "X_CASCADE_FileServer.URL \"$url\" is stored" "$url" "$(device_field 00AA11 GW URL1 .file_server.url)"
done
inform "00AA11" "GW" "URL1" "$(url_parameters 'file:///etc/shadow')" >/dev/null
check_equal "a later bad URL replaces a good one with none" "" "$(device_field 00AA11 GW URL1 .file_server.url)"
check "the refused URL is logged" grep -q 'X_CASCADE_FileServer.URL "file:///etc/shadow" ignored' "$TEST_DIR/acs.log"

# --- item 4: attributes flood
attributes=$(python3 -c 'print("".join(" a%d=\"1\"" % i for i in range(80000)))')
answer=$(inform "00AA11" "GW" "FLOOD" "" "$attributes")
if grep -q '<FaultCode>8004</FaultCode>' <<<"$answer"; then ok "an Inform with 80,000 attributes on one element: fault 8004"
else not_ok "an Inform with 80,000 attributes: fault 8004" "$(tail -c 600 <<<"$answer")"; fi
check "the reason names the attribute cap" grep -q "more than 32 attributes" <<<"$answer"
check_equal "no device was made from it" "" "$(device_field 00AA11 GW FLOOD .key)"
answer=$(inform "00AA11" "GW" "AFTER")
check_equal "the next device is served" 200 "$(tail -n1 <<<"$answer")"

# --- item 7: a database written with the plain join, and item 11: a bad URL in it
stop_daemon acs
# What the plain join left: one record for the colliding pair (the first
# device's), keys OUI-ProductClass-SerialNumber, and a URL of any scheme.
sqlite3 "$db" "DELETE FROM devices WHERE serial_number = 'X-C';
               UPDATE devices SET key = oui || '-' || product_class || '-' || serial_number;
               UPDATE devices SET file_server_url = 'file:///etc/shadow' WHERE serial_number = 'URL1';"
check_equal "the database holds the plain keys" "A-B-X-C 00AA11-GW-S-1 00AA11-GW-S%2D1" \
  "$(sqlite3 "$db" "SELECT key FROM devices WHERE serial_number IN ('C','S-1','S%2D1') ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
total_before=$(sqlite3 "$db" "SELECT count(*) FROM devices")
restart_acs acs
check_equal "every device of the old database is loaded" "$total_before" "$(device_total)"
check "the rewrite is logged" grep -q "rewrote 3 device keys" "$TEST_DIR/acs.log"
check_equal "its keys are rewritten in the database" "A%2DB-X-C 00AA11-GW-PLAIN1 00AA11-GW-S%2D1 00AA11-GW-S%252D1" \
  "$(sqlite3 "$db" "SELECT key FROM devices WHERE serial_number IN ('C','S-1','S%2D1','PLAIN1') ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check_equal "a stored file:// URL is not loaded" "" "$(device_field 00AA11 GW URL1 .file_server.url)"
id_before=$(device_field 00AA11 GW S-1 .id)
count_before=$(device_field 00AA11 GW S-1 .inform_count)
inform "00AA11" "GW" "S-1" >/dev/null
check_equal "a device of the old database informs into its own record" "$id_before $((count_before + 1))" \
  "$(device_field 00AA11 GW S-1 .id) $(device_field 00AA11 GW S-1 .inform_count)"
inform "A" "B" "X-C" >/dev/null
check_equal "the device the old key had merged away gets a record of its own" "$((total_before + 1))" "$(device_total)"
stop_daemon acs
restart_acs acs
check "a second start rewrites nothing" test "$(grep -c 'rewrote' "$TEST_DIR/acs.log")" -eq 0
check_equal "and loads the same devices" "$((total_before + 1))" "$(device_total)"
stop_daemon acs
finish
