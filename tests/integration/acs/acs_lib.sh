# Helpers for cascade-acs integration tests (source after ../lib.sh).
#   start_acs NAME [config lines...]   writes $TEST_DIR/NAME.ini, starts cascade-acs on free
#                                      ports with $TEST_DIR/NAME.db; sets CWMP_URL, API_URL
#   restart_acs NAME                   starts it again on the same ports and database
#   start_origin                       serves $TEST_DIR/origin over HTTP; sets ORIGIN_URL
#   make_image NAME BYTES              writes $TEST_DIR/origin/NAME; sets IMAGE_SHA256
#   inform_xml SERIAL [EVENT] [NAMESPACE] [PARAMETERS-XML] [ID]   prints an Inform envelope
#   api METHOD PATH [JSON]             calls the API, prints the body
#   wait_until SECONDS command...      polls every 0.2 s until the command succeeds
#   start_swarm NAME args...           cascade-swarm against the ACS (store in $TEST_DIR/NAME-store)
# The origin is python3's http.server until cascade-master is merged; then
# switch start_origin to `cascade-master --origin --listen ... --images DIR`.

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

start_origin() {
  local port
  port=$(free_port)
  mkdir -p "$TEST_DIR/origin"
  ( cd "$TEST_DIR/origin" && exec python3 -m http.server "$port" --bind 127.0.0.1 ) >"$TEST_DIR/origin.log" 2>&1 &
  DAEMON_PID[origin]=$!
  ORIGIN_URL="http://127.0.0.1:$port"
  wait_for_port "$port" 20
}

make_image() {
  mkdir -p "$TEST_DIR/origin"
  head -c "$2" /dev/urandom >"$TEST_DIR/origin/$1"
  IMAGE_SHA256=$(sha256sum "$TEST_DIR/origin/$1" | cut -d' ' -f1)
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

wait_until() {
  local seconds=$1 deadline
  shift
  deadline=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
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
