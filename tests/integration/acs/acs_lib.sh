# Helpers for cascade-acs integration tests (source after ../lib.sh).
#   start_acs NAME [config lines...]   writes $TEST_DIR/NAME.ini, starts cascade-acs on free
#                                      ports with $TEST_DIR/NAME.db; sets CWMP_URL, API_URL
#   restart_acs NAME                   starts it again on the same ports and database
#   start_origin                       cascade-master --origin serving $TEST_DIR/origin; sets
#                                      ORIGIN_URL (.../images, so images are $ORIGIN_URL/NAME)
#   make_image NAME BYTES              writes $TEST_DIR/origin/NAME and its SHA256SUMS line (the
#                                      origin reloads); sets IMAGE_SHA256
#   origin_requests NAME               GET/HEAD requests the origin answered for image NAME
#   inform_xml SERIAL [EVENT] [NAMESPACE] [PARAMETERS-XML] [ID]   prints an Inform envelope
#   api METHOD PATH [JSON]             calls the API, prints the body
#   wait_until SECONDS command...      polls every 0.2 s until the command succeeds
#   start_swarm NAME args...           cascade-swarm against the ACS (store in $TEST_DIR/NAME-store)
# The origin is the real one: `cascade-master --origin`, which serves only
# images listed in SHA256SUMS whose content matches.

ACS_PORTS_CWMP=""
ACS_PORTS_API=""

start_acs() {
  local name=$1 line
  shift
  ACS_PORTS_CWMP=${ACS_PORTS_CWMP:-$(free_port)}
  ACS_PORTS_API=${ACS_PORTS_API:-$(free_port)}
  : >"$TEST_DIR/$name.ini"
  for line in "$@"; do echo "$line" >>"$TEST_DIR/$name.ini"; done
  start_daemon "$name" "$CASCADE_BIN/cascade-acs" --cwmp "127.0.0.1:$ACS_PORTS_CWMP" --api "127.0.0.1:$ACS_PORTS_API" \
    --db "$TEST_DIR/$name.db" --config "$TEST_DIR/$name.ini" ${ACS_EXTRA_ARGS:-}
  CWMP_URL="http://127.0.0.1:$ACS_PORTS_CWMP/"
  API_URL="http://127.0.0.1:$ACS_PORTS_API"
  wait_for_port "$ACS_PORTS_CWMP" 20 && wait_for_port "$ACS_PORTS_API" 20
}

restart_acs() {
  local name=$1
  start_daemon "$name" "$CASCADE_BIN/cascade-acs" --cwmp "127.0.0.1:$ACS_PORTS_CWMP" --api "127.0.0.1:$ACS_PORTS_API" \
    --db "$TEST_DIR/$name.db" --config "$TEST_DIR/$name.ini" ${ACS_EXTRA_ARGS:-}
  wait_for_port "$ACS_PORTS_CWMP" 20 && wait_for_port "$ACS_PORTS_API" 20
}

ORIGIN_BASE=""

start_origin() {
  local port no_meter=()
  port=$(free_port)
  mkdir -p "$TEST_DIR/origin"
  [ -f "$TEST_DIR/origin/SHA256SUMS" ] || : >"$TEST_DIR/origin/SHA256SUMS"
  # once cascade-master attaches the group meter itself, tests must not touch the host's lo
  if "$CASCADE_BIN/cascade-master" --help 2>&1 | grep -q -- '--no-meter'; then no_meter=(--no-meter); fi
  start_daemon origin "$CASCADE_BIN/cascade-master" --origin --listen "127.0.0.1:$port" --images "$TEST_DIR/origin" \
    --threads 1 "${no_meter[@]}"
  ORIGIN_BASE="http://127.0.0.1:$port"
  ORIGIN_URL="$ORIGIN_BASE/images"
  wait_for_port "$port" 20
}

make_image() {
  mkdir -p "$TEST_DIR/origin"
  head -c "$2" /dev/urandom >"$TEST_DIR/origin/$1"
  IMAGE_SHA256=$(sha256sum "$TEST_DIR/origin/$1" | cut -d' ' -f1)
  (cd "$TEST_DIR/origin" && grep -v "  $1\$" SHA256SUMS 2>/dev/null; echo "$IMAGE_SHA256  $1") >"$TEST_DIR/origin/.SHA256SUMS.new"
  mv "$TEST_DIR/origin/.SHA256SUMS.new" "$TEST_DIR/origin/SHA256SUMS"
  # the origin answers the reload once the new image is served
  if [ -n "$ORIGIN_BASE" ]; then curl -s -X POST --max-time 20 "$ORIGIN_BASE/-/reload" >/dev/null; fi
}

origin_requests() {
  curl -s --max-time 10 "$ORIGIN_BASE/-/stats" | jq --arg name "$1" '[.images[] | select(.name == $name) | .requests] | add // 0'
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

api() {
  local method=$1 path=$2 body=${3-}
  if [ -n "$body" ]; then
    curl -sS -X "$method" -H 'Content-Type: application/json' --data-binary "$body" "$API_URL$path"
  else
    curl -sS -X "$method" "$API_URL$path"
  fi
}


start_swarm() {
  local name=$1
  shift
  start_daemon "$name" "$CASCADE_BIN/cascade-swarm" --acs "$CWMP_URL" --store "$TEST_DIR/$name-store" "$@"
}

# campaign_count ID STATE: prints how many devices of campaign ID are in STATE.
campaign_count() {
  api GET "/api/campaigns/$1" | jq -r ".counts.$2"
}

# campaign_state ID: prints running, paused, cancelled or done.
campaign_state() {
  api GET "/api/campaigns/$1" | jq -r '.state'
}

campaign_is() {
  [ "$(campaign_state "$1")" = "$2" ]
}
