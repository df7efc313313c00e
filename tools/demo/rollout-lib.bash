# Building blocks of a real cascade rollout on loopback, shared by `make demo`
# (tools/demo/run), the failure-scenario tests (tests/integration/rollout/)
# and the benchmark (tests/bench/rollout.sh). Source it (bash only).
#
# The caller sets ROLLOUT_DIR and CASCADE_BIN. Daemons are started with
# start_daemon NAME CMD... (log in $ROLLOUT_DIR/NAME.log, pid in
# DAEMON_PID[NAME]): tests/integration/lib.sh has one; scripts without it
# (the demo, the benchmark) get the one below and stop everything with
# rollout_stop_all.
#
#   rollout_make_image NAME BYTES      $ROLLOUT_DIR/origin/NAME + SHA256SUMS; sets IMAGE_NAME,
#                                      IMAGE_SIZE, IMAGE_SHA256
#   rollout_start_origin               cascade-master --origin; sets ORIGIN_BASE, ORIGIN_URL (the image)
#   rollout_start_acs [INI-LINES...]   cascade-acs (fast ticks for tests); sets ACS_CWMP_URL, ACS_API
#   rollout_restart_acs                again, same ports and database
#   rollout_start_master NAME SERIAL GROUP [CPE-FLAGS...]
#                                      a master device: cascade-master NAME-server + cascade-cpe NAME
#                                      with the file server; its URL in MASTER_URL[NAME]
#   rollout_start_masters COUNT [CPE-FLAGS...]   master devices m0..m(COUNT-1), serials MASTERnnnn,
#                                      one per group 0..COUNT-1, servers started together first
#   rollout_start_swarm NAME [SWARM-FLAGS...]   cascade-swarm slaves (no file servers by default),
#                                      report in $ROLLOUT_DIR/NAME-report.jsonl
#   rollout_swarm_stats NAME           the swarm's live summary (GET /-/stats on its server)
#   rollout_api PATH [JSON]            GET (or POST JSON to) the ACS's operator API
#   rollout_wait_until SECONDS CMD...  polls CMD every 0.1 s
#   rollout_wait_devices N SECONDS     until the ACS knows N devices
#   rollout_group_id HARDWARE_VERSION  the ACS's group id of that hardware version
#   rollout_start_campaign [JSON-FIELDS]   POST /api/campaigns for the image; prints the id
#   rollout_campaign_is ID STATE
#   rollout_server_stats NAME          /-/stats of NAME-server (origin: "origin")
#   rollout_image_requests NAME        requests NAME-server answered for the image
#
# Fleet identity: the ACS groups by (manufacturer, hardware version, software
# version); masters and swarm slaves share these so they form the same groups.
: "${FLEET_MANUFACTURER:=Cascade Swarm}"
: "${FLEET_OUI:=C4C4DE}"
: "${FLEET_PRODUCT_CLASS:=SwarmGW}"
: "${FLEET_HARDWARE_PREFIX:=hw-}"
: "${FLEET_SOFTWARE_VERSION:=1.0}"
ROLLOUT_CR_USER=cascade-acs
ROLLOUT_CR_PASS=rollout-cr-secret
ROLLOUT_ACS_CWMP_PORT=0
ROLLOUT_ACS_API_PORT=0
declare -A MASTER_URL=()

if ! declare -F start_daemon >/dev/null; then
  declare -A DAEMON_PID=()
  ROLLOUT_DAEMON_ORDER=()
  start_daemon() {
    local name=$1
    shift
    "$@" >"$ROLLOUT_DIR/$name.log" 2>&1 &
    DAEMON_PID[$name]=$!
    ROLLOUT_DAEMON_ORDER+=("$name")
  }
fi

# SIGTERM to NAME, up to 10 s for it to end, then SIGKILL.
rollout_stop() {
  local pid=${DAEMON_PID[$1]:-} waited
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((waited = 0; waited < 100; waited++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "DAEMON_PID[$1]"
}

# Every daemon started through this file's start_daemon, newest first
# signalled, then each waited for as rollout_stop does.
rollout_stop_all() {
  local index pid name
  for ((index = ${#ROLLOUT_DAEMON_ORDER[@]} - 1; index >= 0; index--)); do
    pid=${DAEMON_PID[${ROLLOUT_DAEMON_ORDER[$index]}]:-}
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for name in "${ROLLOUT_DAEMON_ORDER[@]}"; do rollout_stop "$name"; done
  ROLLOUT_DAEMON_ORDER=()
}
# Flags every cascade-master gets; ROLLOUT_METER=off (tests) keeps the
# masters' group meter off the host's lo.
ROLLOUT_MASTER_FLAGS=()
[ "${ROLLOUT_METER:-off}" = off ] && ROLLOUT_MASTER_FLAGS+=(--no-meter)

rollout_now_ms() { date +%s%3N; }

rollout_wait_until() {
  local seconds=$1 deadline
  shift
  deadline=$(( $(rollout_now_ms) + seconds * 1000 ))
  while [ "$(rollout_now_ms)" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Prints the port of the first "WHAT listening on ADDR:PORT" line in NAME's log.
rollout_log_port() {
  local name=$1 what=$2 log="$ROLLOUT_DIR/$1.log" port="" tries
  for ((tries = 0; tries < 300; tries++)); do
    port=$(grep -o "${what}listening on [0-9.]*:[0-9]*" "$log" 2>/dev/null | head -1 | sed 's/.*://')
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "${DAEMON_PID[$name]:-0}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start; last lines of its log:" >&2
  tail -n 15 "$log" >&2
  return 1
}

rollout_make_image() {
  IMAGE_NAME=$1
  IMAGE_SIZE=$2
  mkdir -p "$ROLLOUT_DIR/origin"
  head -c "$IMAGE_SIZE" /dev/urandom >"$ROLLOUT_DIR/origin/$IMAGE_NAME"
  IMAGE_SHA256=$(sha256sum "$ROLLOUT_DIR/origin/$IMAGE_NAME" | cut -d' ' -f1)
  echo "$IMAGE_SHA256  $IMAGE_NAME" >"$ROLLOUT_DIR/origin/.SHA256SUMS.new"
  mv "$ROLLOUT_DIR/origin/.SHA256SUMS.new" "$ROLLOUT_DIR/origin/SHA256SUMS"
}

rollout_start_origin() {
  local port
  mkdir -p "$ROLLOUT_DIR/origin"
  start_daemon origin "$CASCADE_BIN/cascade-master" --origin --listen 127.0.0.1:0 --images "$ROLLOUT_DIR/origin" \
    --threads 1 "${ROLLOUT_MASTER_FLAGS[@]}" "$@"
  port=$(rollout_log_port origin "") || return 1
  MASTER_URL[origin]="http://127.0.0.1:$port"
  ORIGIN_BASE="http://127.0.0.1:$port"
  ORIGIN_URL="$ORIGIN_BASE/images/$IMAGE_NAME"
}

rollout_start_acs() {
  local line
  {
    printf '[acs]\nretry-after = 1\n'
    printf '[connection_request]\nusername = %s\npassword = %s\nretry-interval = 1s\ntimeout = 2s\n' \
      "$ROLLOUT_CR_USER" "$ROLLOUT_CR_PASS"
    printf '[campaign]\ntick = 200ms\n'
    for line in "$@"; do printf '%s\n' "$line"; done
  } >"$ROLLOUT_DIR/acs.ini"
  rollout_restart_acs
}

rollout_restart_acs() {
  local log="$ROLLOUT_DIR/acs.log"
  # start_daemon truncates the log: keep the previous run's for reading
  [ -s "$log" ] && cat "$log" >>"$ROLLOUT_DIR/acs-earlier.log"
  start_daemon acs "$CASCADE_BIN/cascade-acs" --cwmp "127.0.0.1:$ROLLOUT_ACS_CWMP_PORT" \
    --api "127.0.0.1:$ROLLOUT_ACS_API_PORT" --db "$ROLLOUT_DIR/acs.db" --config "$ROLLOUT_DIR/acs.ini"
  ROLLOUT_ACS_CWMP_PORT=$(rollout_log_port acs "cwmp ") && ROLLOUT_ACS_API_PORT=$(rollout_log_port acs "api ") || return 1
  ACS_CWMP_URL="http://127.0.0.1:$ROLLOUT_ACS_CWMP_PORT/"
  ACS_API="http://127.0.0.1:$ROLLOUT_ACS_API_PORT"
}

# A master device: its own cascade-master (NAME-server) serving
# $ROLLOUT_DIR/NAME/images (or $ROLLOUT_SERVE_DIR, for a master whose disk
# serves something else) and a cascade-cpe with the file server enabled.
rollout_start_master() {
  rollout_start_master_server "$1" && rollout_master_server_ready "$1" && rollout_start_master_agent "$@"
}

rollout_start_masters() {
  local count=$1 index
  shift
  for ((index = 0; index < count; index++)); do rollout_start_master_server "m$index" || return 1; done
  for ((index = 0; index < count; index++)); do rollout_master_server_ready "m$index" || return 1; done
  for ((index = 0; index < count; index++)); do
    rollout_start_master_agent "m$index" "MASTER$(printf '%04d' "$index")" "$index" "$@" || return 1
  done
}

rollout_start_master_server() {
  local name=$1 serve
  serve=${ROLLOUT_SERVE_DIR:-$ROLLOUT_DIR/$name/images}
  mkdir -p "$ROLLOUT_DIR/$name/images" "$serve"
  [ -f "$serve/SHA256SUMS" ] || : >"$serve/SHA256SUMS"
  start_daemon "$name-server" "$CASCADE_BIN/cascade-master" --listen 127.0.0.1:0 --images "$serve" --threads 1 \
    "${ROLLOUT_MASTER_FLAGS[@]}"
}

rollout_master_server_ready() {
  local port
  port=$(rollout_log_port "$1-server" "") || return 1
  MASTER_URL[$1]="http://127.0.0.1:$port"
}

rollout_start_master_agent() {
  local name=$1 serial=$2 group=$3 dir="$ROLLOUT_DIR/$1"
  shift 3
  start_daemon "$name" "$CASCADE_BIN/cascade-cpe" --acs "$ACS_CWMP_URL" --data-dir "$dir/cpe" --serial "$serial" \
    --manufacturer "$FLEET_MANUFACTURER" --oui "$FLEET_OUI" --product-class "$FLEET_PRODUCT_CLASS" \
    --hardware-version "$FLEET_HARDWARE_PREFIX$group" --software-version "$FLEET_SOFTWARE_VERSION" \
    --file-server-url "${MASTER_URL[$name]}" --image-dir "$dir/images" --cache-size 1G \
    --connection-request 127.0.0.1:0 --connection-request-username "$ROLLOUT_CR_USER" \
    --connection-request-password "$ROLLOUT_CR_PASS" --periodic-interval 60s --retry-min-wait 300ms \
    --retry-max-wait 3s --download-stall-timeout 5s --cpu-meter off "$@"
}

rollout_start_swarm() {
  local name=$1
  shift
  start_daemon "$name" "$CASCADE_BIN/cascade-swarm" --acs "$ACS_CWMP_URL" --store "$ROLLOUT_DIR/$name-store" \
    --report "$ROLLOUT_DIR/$name-report.jsonl" --prefix-file "$ROLLOUT_DIR/$name-prefixes" \
    --manufacturer "$FLEET_MANUFACTURER" --oui "$FLEET_OUI" --product-class "$FLEET_PRODUCT_CLASS" \
    --hardware-prefix "$FLEET_HARDWARE_PREFIX" --software-version "$FLEET_SOFTWARE_VERSION" \
    --cr-username "$ROLLOUT_CR_USER" --cr-password "$ROLLOUT_CR_PASS" --file-server-ratio 0 "$@"
}

rollout_swarm_stats() {
  local url
  url=$(grep -o 'swarm server listening on http://[0-9.]*:[0-9]*' "$ROLLOUT_DIR/$1.log" | head -1 | sed 's/.* on //')
  [ -n "$url" ] && curl -s --max-time 10 "$url/-/stats"
}

rollout_api() {
  if [ $# -gt 1 ]; then
    curl -s --max-time 10 -X POST -H 'Content-Type: application/json' --data-binary "$2" "$ACS_API$1"
  else
    curl -s --max-time 10 "$ACS_API$1"
  fi
}

rollout_device_count() { rollout_api '/api/devices?limit=1' | jq -r '.total // 0'; }
rollout_has_devices() { [ "$(rollout_device_count)" -ge "$1" ]; }
rollout_wait_devices() { rollout_wait_until "$2" rollout_has_devices "$1"; }

rollout_group_id() {
  rollout_api /api/groups | jq -r --arg hw "hardware_version=$1" \
    '.groups[] | select(.key | split("|") | index($hw)) | .id'
}

rollout_start_campaign() {
  local extra=${1:-}
  rollout_api /api/campaigns "{\"image\":\"$IMAGE_NAME\",\"origin_url\":\"$ORIGIN_URL\",\"size\":$IMAGE_SIZE,\
\"sha256\":\"$IMAGE_SHA256\"${extra:+,$extra}}" | jq -r '.id // empty'
}

rollout_campaign_is() { [ "$(rollout_api "/api/campaigns/$1" | jq -r .state)" = "$2" ]; }

rollout_server_stats() { curl -s --max-time 10 "${MASTER_URL[$1]}/-/stats"; }

rollout_image_requests() {
  rollout_server_stats "$1" | jq --arg name "$IMAGE_NAME" '[.images[] | select(.name == $name) | .requests] | add // 0'
}

rollout_image_bytes() {
  rollout_server_stats "$1" | jq --arg name "$IMAGE_NAME" '.image_bytes_sent[$name] // 0'
}
