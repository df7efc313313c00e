# The controller (cascade-acs) and its operator API; sourced by lib.sh.
#
#   start_acs NAME [INI-LINE...]    writes $TEST_DIR/NAME.ini from the lines, starts cascade-acs on
#                                   fresh ports with $TEST_DIR/NAME.db (or $ACS_DB; extra flags: ACS_EXTRA_ARGS);
#                                   sets ACS_CWMP_URL (http://127.0.0.1:P/) and ACS_API_URL
#   restart_acs NAME                again on the same ports, database and settings (the
#                                   previous log is appended to NAME-earlier.log)
#   ACS_AGENT_SETTINGS              INI lines for a controller of real agents: quick retries and
#                                   ticks, connection requests with $CR_USER / $CR_PASS
#   api METHOD PATH [JSON]          calls the API, prints the body
#   inform_xml SERIAL [EVENT] [NAMESPACE] [PARAMETERS-XML] [ID]   an Inform envelope
# Devices and groups:
#   device_json SERIAL              the ACS's record of a device (fails when unknown)
#   device_field SERIAL FILTER      one field of it; device_field_is SERIAL FILTER VALUE and
#                                   device_field_at_least SERIAL FILTER NUMBER for wait_until
#   device_count / wait_devices N SECONDS   devices the ACS knows / until it knows N
#   group_id HARDWARE_VERSION       the id of the group of that hardware version
# Campaigns:
#   start_campaign JSON             POST /api/campaigns; prints the id
#   start_image_campaign [FIELDS]   the same for the image of make_image on the origin
#                                   ($IMAGE_NAME, $IMAGE_SIZE, $IMAGE_SHA256; its URL $IMAGE_URL when
#                                   set, else $ORIGIN_URL/$IMAGE_NAME), extra JSON fields added
#   campaign_state ID / campaign_is ID STATE / campaign_count ID STATE
#   member_state ID SERIAL          the campaign state of one device
#   campaign_json ID                the campaign with device_states, saved as
#                                   $TEST_DIR/campaign-ID.json and printed
#   campaign_finishes ID DEVICES [WHAT]   waits (60 s) for it, saves it, checks all DEVICES done
#   group_detail FILE GROUP FILTER  jq over one group of a saved campaign

# The connection-request credentials of every agent a test starts.
CR_USER=cascade-acs
CR_PASS=cr-secret-42
ACS_AGENT_SETTINGS=("[acs]" "retry-after = 1"
  "[connection_request]" "username = $CR_USER" "password = $CR_PASS" "retry-interval = 1s" "timeout = 2s"
  "[campaign]" "tick = 200ms")
ACS_CWMP_PORT=0
ACS_API_PORT=0

start_acs() {
  local name=$1 line
  shift
  for line in "$@"; do printf '%s\n' "$line"; done >"$TEST_DIR/$name.ini"
  ACS_CWMP_PORT=0 ACS_API_PORT=0
  restart_acs "$name"
}

restart_acs() {
  local name=$1 log="$TEST_DIR/$1.log"
  # start_daemon truncates the log: keep the previous run's for reading
  [ -s "$log" ] && cat "$log" >>"$TEST_DIR/$name-earlier.log"
  start_daemon "$name" "$CASCADE_BIN/cascade-acs" --cwmp "127.0.0.1:$ACS_CWMP_PORT" \
    --api "127.0.0.1:$ACS_API_PORT" --db "${ACS_DB:-$TEST_DIR/$name.db}" --config "$TEST_DIR/$name.ini" ${ACS_EXTRA_ARGS:-}
  ACS_CWMP_PORT=$(logged_port "$name" cwmp) && ACS_API_PORT=$(logged_port "$name" api) || { start_failed "$name"; return 1; }
  ACS_CWMP_URL="http://127.0.0.1:$ACS_CWMP_PORT/"
  ACS_API_URL="http://127.0.0.1:$ACS_API_PORT"
}

api() {
  local method=$1 path=$2 body=${3-}
  if [ -n "$body" ]; then
    curl -sS --max-time 10 -X "$method" -H 'Content-Type: application/json' --data-binary "$body" "$ACS_API_URL$path"
  else
    curl -sS --max-time 10 -X "$method" "$ACS_API_URL$path"
  fi
}

inform_xml() {
  local serial=$1 event=${2:-0 BOOTSTRAP} namespace=${3:-urn:dslforum-org:cwmp-1-2} parameters=${4-} id=${5:-1}
  if [ -z "$parameters" ]; then
    parameters='<ParameterValueStruct><Name>Device.DeviceInfo.HardwareVersion</Name><Value xsi:type="xsd:string">hw1</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name><Value xsi:type="xsd:string">1.0</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_CPUOccupancy</Name><Value xsi:type="xsd:unsignedInt">1200</Value></ParameterValueStruct>'
  fi
  cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="$namespace">
<soap:Header><cwmp:ID soap:mustUnderstand="1">$id</cwmp:ID></soap:Header>
<soap:Body><cwmp:Inform>
<DeviceId><Manufacturer>Acme</Manufacturer><OUI>00AA11</OUI><ProductClass>GW</ProductClass><SerialNumber>$serial</SerialNumber></DeviceId>
<Event soap-enc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>$event</EventCode><CommandKey></CommandKey></EventStruct></Event>
<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount>
<ParameterList>$parameters</ParameterList>
</cwmp:Inform></soap:Body></soap:Envelope>
XML
}

# ---- devices and groups -------------------------------------------------------
device_json() { api GET /api/devices | jq -e -c --arg serial "$1" '.devices[] | select(.serial_number == $serial)'; }
device_field() { device_json "$1" | jq -r "$2"; }
# For wait_until, which runs its command again each time:
device_field_is() { [ "$(device_field "$1" "$2")" = "$3" ]; }
device_field_at_least() { local value; value=$(device_field "$1" "$2"); [ -n "$value" ] && [ "$value" -ge "$3" ]; }
device_count() { api GET '/api/devices?limit=1' | jq -r '.total // 0'; }
has_devices() { [ "$(device_count)" -ge "$1" ]; }
wait_devices() { wait_until "$2" has_devices "$1"; }

group_id() {
  api GET /api/groups | jq -r --arg hw "hardware_version=$1" '.groups[] | select(.key | split("|") | index($hw)) | .id'
}

# ---- campaigns ------------------------------------------------------------------
start_campaign() { api POST /api/campaigns "$1" | jq -r '.id // empty'; }

start_image_campaign() {
  local extra=${1:-}
  start_campaign "{\"image\":\"$IMAGE_NAME\",\"origin_url\":\"${IMAGE_URL:-$ORIGIN_URL/$IMAGE_NAME}\",\"size\":$IMAGE_SIZE,\
\"sha256\":\"$IMAGE_SHA256\"${extra:+,$extra}}"
}

# campaign_state ID: prints running, paused, halted, cancelled or done.
campaign_state() { api GET "/api/campaigns/$1" | jq -r '.state'; }
campaign_is() { [ "$(campaign_state "$1")" = "$2" ]; }
# campaign_count ID STATE: prints how many devices of campaign ID are in STATE.
campaign_count() { api GET "/api/campaigns/$1" | jq -r ".counts.$2"; }
member_state() {
  api GET "/api/campaigns/$1?devices=1" | jq -r --arg serial "$2" \
    '.device_states[] | select(.key | endswith("-" + $serial)) | .state'
}

campaign_json() {
  api GET "/api/campaigns/$1?devices=1" >"$TEST_DIR/campaign-$1.json"
  cat "$TEST_DIR/campaign-$1.json"
}

campaign_finishes() {
  if wait_until 60 campaign_is "$1" done; then ok "the campaign finishes"; else
    not_ok "the campaign finishes" "$(api GET "/api/campaigns/$1")"$'\n'"$(diagnose)"; fi
  campaign_json "$1" >/dev/null
  check_equal "every device done${3:+ $3}, none failed" "$2 0" \
    "$(jq -r '"\(.counts.done) \(.counts.failed)"' "$TEST_DIR/campaign-$1.json")"
}

group_detail() { jq -r --argjson g "$2" ".group_details[] | select(.group == \$g) | $3" "$1"; }
