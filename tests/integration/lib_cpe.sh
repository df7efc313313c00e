# Agents (cascade-cpe) and master devices; sourced by lib.sh.
#
#   start_cpe NAME SERIAL [FLAGS...]   cascade-cpe against $ACS_CWMP_URL with test-friendly timings,
#                                      data in $TEST_DIR/NAME; connection requests on a free port with
#                                      $CR_USER / $CR_PASS. FLAGS come last and win over these.
#   start_master_device NAME SERIAL GROUP [FLAGS...]
#                                      a master device of the fleet: cascade-master NAME-server
#                                      serving $TEST_DIR/NAME/images (or $MASTER_SERVE_DIR) and a
#                                      cascade-cpe NAME with that file server; its URL in MASTER_URL[NAME]
#   start_master_devices COUNT [FLAGS...]   master devices m0..m(COUNT-1), serials MASTERnnnn, one
#                                      per group 0..COUNT-1, their servers started together first
#   device_key SERIAL                  a fleet device's key as the ACS spells it
#
# Fleet identity: the ACS groups by (manufacturer, hardware version, software
# version); master devices and cascade-swarm's fleet (start_fleet_swarm)
# share these so they form the same groups. The defaults are cascade-swarm's.
: "${FLEET_MANUFACTURER:=Cascade Swarm}"
: "${FLEET_OUI:=C4C4DE}"
: "${FLEET_PRODUCT_CLASS:=SwarmGW}"
: "${FLEET_HARDWARE_PREFIX:=hw-}"
: "${FLEET_SOFTWARE_VERSION:=1.0}"

start_cpe() {
  local name=$1 serial=$2
  shift 2
  start_daemon "$name" "$CASCADE_BIN/cascade-cpe" --acs "$ACS_CWMP_URL" --data-dir "$TEST_DIR/$name" \
    --serial "$serial" --cpu-meter proc --periodic-interval 60s --retry-min-wait 300ms --retry-max-wait 3s \
    --connection-request 127.0.0.1:0 --connection-request-username "$CR_USER" \
    --connection-request-password "$CR_PASS" --download-stall-timeout 3s "$@"
}

start_master_device() {
  start_master_device_server "$1" && start_master_device_agent "$@"
}

start_master_devices() {
  local count=$1 index
  shift
  for ((index = 0; index < count; index++)); do start_master_device_server "m$index" || return 1; done
  for ((index = 0; index < count; index++)); do
    start_master_device_agent "m$index" "MASTER$(printf '%04d' "$index")" "$index" "$@"
  done
}

start_master_device_server() {
  local name=$1 serve
  serve=${MASTER_SERVE_DIR:-$TEST_DIR/$name/images}
  mkdir -p "$TEST_DIR/$name/images" "$serve"
  [ -f "$serve/SHA256SUMS" ] || : >"$serve/SHA256SUMS"
  start_master "$name-server" --images "$serve" --threads 1 || return 1
  MASTER_URL[$name]=${MASTER_URL[$name-server]}
}

start_master_device_agent() {
  local name=$1 serial=$2 group=$3 dir="$TEST_DIR/$1"
  shift 3
  start_cpe "$name" "$serial" --data-dir "$dir/cpe" --manufacturer "$FLEET_MANUFACTURER" --oui "$FLEET_OUI" \
    --product-class "$FLEET_PRODUCT_CLASS" --hardware-version "$FLEET_HARDWARE_PREFIX$group" \
    --software-version "$FLEET_SOFTWARE_VERSION" --file-server-url "${MASTER_URL[$name]}" --image-dir "$dir/images" \
    --cache-size 1G --download-stall-timeout 5s --cpu-meter off "$@"
}

device_key() { echo "$FLEET_OUI-$FLEET_PRODUCT_CLASS-$1"; }

# ---- fake_acs.py helpers: the test sets queue (the session folder), acs_log
# (what the agent posted) and, for connection_request, cr_url ----------------
FAKE_ACS_SESSIONS=0
# Queues one session (a JSON object, fake_acs.py's header says what it holds).
enqueue() {
  FAKE_ACS_SESSIONS=$((FAKE_ACS_SESSIONS + 1))
  printf '%s\n' "$1" >"$queue/$(printf '%03d' "$FAKE_ACS_SESSIONS").json"
}
# The entries the agent posted, as a JSON array, through the jq filter $1.
posted() { jq -s "$1" "$acs_log"; }
posted_true() { jq -se "$1" "$acs_log"; }
connection_request() { curl -s -o /dev/null -w '%{http_code}' --digest -u "$CR_USER:$CR_PASS" "$cr_url"; }
# The FaultCode of the last TransferComplete for CommandKey $1 ("" if none yet).
tc_fault() { posted "[.[] | select(.kind == \"TransferComplete\" and .CommandKey == \"$1\") | .FaultCode] | last // empty" | jq -r .; }
tc_arrived() { [ -n "$(tc_fault "$1")" ]; }
