# Helpers for cascade-cpe's integration tests (source after ../lib.sh).
#
#   start_acs NAME [INI-LINES]     real cascade-acs on free ports; sets ACS_URL, ACS_API
#   start_image_server NAME DIR [--origin]   real cascade-master; its base URL in $IMAGE_SERVER_URL
#   start_cpe NAME SERIAL [FLAGS]  cascade-cpe with test-friendly timings, data in $TEST_DIR/NAME
#   kill_hard NAME                 kill -9 a daemon (no exit-status check)
#   wait_until SECONDS CMD...      polls CMD every 0.2 s
#   api PATH                       GET the ACS operator API
#   device_json SERIAL             the ACS's record of a device (jq)
#   device_field SERIAL FILTER     one field of it; device_field_is / _at_least for wait_until
#   make_image PATH BYTES          random bytes; prints the SHA-256
#   start_campaign JSON            POST /api/campaigns; prints the id
#   campaign_count ID STATE        members of campaign ID in STATE
CPE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CR_USER=acs-cr
CR_PASS=cr-secret-42

api() { curl -s --max-time 10 "http://$ACS_API$1"; }


log_has() { grep -q -- "$2" "$TEST_DIR/$1.log"; }
# True once NAME's log has TEXT or NAME has exited.
ready_or_dead() { log_has "$1" "$2" || ! kill -0 "${DAEMON_PID[$1]}" 2>/dev/null; }

# Port written to a log line "... listening on ADDR:PORT"
logged_port() {
  grep -o "$2 listening on [0-9.]*:[0-9]*" "$TEST_DIR/$1.log" | head -1 | sed 's/.*://'
}

start_acs() {
  local name=$1 extra=${2:-} cwmp_port=${ACS_CWMP_PORT:-0} api_port=${ACS_API_PORT:-0}
  cat >"$TEST_DIR/$name.ini" <<EOF
[acs]
retry-after = 1
[connection_request]
username = $CR_USER
password = $CR_PASS
retry-interval = 2s
timeout = 2s
[campaign]
tick = 200ms
$extra
EOF
  start_daemon "$name" "$CASCADE_BIN/cascade-acs" --cwmp "127.0.0.1:$cwmp_port" --api "127.0.0.1:$api_port" \
    --db "$TEST_DIR/$name.db" --config "$TEST_DIR/$name.ini"
  wait_until 15 ready_or_dead "$name" "api listening on"
  if ! log_has "$name" "api listening on"; then
    not_ok "$name starts" "$(tail -n 20 "$TEST_DIR/$name.log")"
    finish
  fi
  ACS_CWMP_PORT=$(logged_port "$name" cwmp)
  ACS_API_PORT=$(logged_port "$name" api)
  ACS_URL="http://127.0.0.1:$ACS_CWMP_PORT/"
  ACS_API="127.0.0.1:$ACS_API_PORT"
}

# Not in $( ): the daemon's pid must reach this shell's DAEMON_PID.
start_image_server() {
  local name=$1 images=$2 port
  shift 2
  port=$(free_port)
  start_daemon "$name" "$CASCADE_BIN/cascade-master" --listen "127.0.0.1:$port" --images "$images" --threads 1 --meter false "$@"
  wait_for_port "$port" 15 >/dev/null || { not_ok "$name listens"; finish; }
  IMAGE_SERVER_URL="http://127.0.0.1:$port"
}

start_cpe() {
  local name=$1 serial=$2
  shift 2
  start_daemon "$name" "$CASCADE_BIN/cascade-cpe" --acs "$ACS_URL" --data-dir "$TEST_DIR/$name" \
    --serial "$serial" --cpu-meter proc --periodic-interval 60s --retry-min-wait 300ms --retry-max-wait 3s \
    --connection-request 127.0.0.1:0 --connection-request-username "$CR_USER" \
    --connection-request-password "$CR_PASS" --download-stall-timeout 3s "$@"
}

device_json() { api /api/devices | jq -e -c --arg serial "$1" '.devices[] | select(.serial_number == $serial)'; }
device_field() { device_json "$1" | jq -r "$2"; }
# For wait_until, which runs its command again each time:
device_field_is() { [ "$(device_field "$1" "$2")" = "$3" ]; }
device_field_at_least() { local value; value=$(device_field "$1" "$2"); [ -n "$value" ] && [ "$value" -ge "$3" ]; }

make_image() {
  head -c "$2" /dev/urandom >"$1"
  sha256sum "$1" | cut -d' ' -f1
}

start_campaign() { curl -s --max-time 10 -X POST "http://$ACS_API/api/campaigns" -d "$1" | jq -r '.id // empty'; }
campaign_count() { api "/api/campaigns/$1" | jq -r ".counts.$2"; }
campaign_is() { [ "$(api "/api/campaigns/$1" | jq -r .state)" = "$2" ]; }
member_state() {
  api "/api/campaigns/$1?devices=1" | jq -r --arg serial "$2" \
    '.device_states[] | select(.key | endswith("-" + $serial)) | .state'
}
