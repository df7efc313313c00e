# Helpers for the relay tests (source after ../lib.sh): real cascade-master
# sources and cascade-cpe devices driven by a scripted ACS (relay_acs.py),
# so a test decides which source each device downloads from and when.
#
#   start_relay_acs                  the scripted ACS; $RELAY_ACS_URL
#   start_source NAME DIR [FLAGS]    a cascade-master on a free port; $SOURCE_URL
#   start_device NAME SERIAL [FLAGS] a cascade-cpe talking to the scripted ACS
#   send_download NAME SERIAL KEY URL   queues SetParameterValues (hash, piece-list
#                                    digest) + Download for the device, and pokes it
#   wait_transfer KEY SECONDS        waits for the TransferComplete of KEY
#   transfer_fault KEY               its fault code (0: success)
#   transfer_string KEY              its fault string
#   log_time NAME TEXT               epoch seconds of NAME's first log line with TEXT
#   relay_field URL JQ               a field of a cascade-master's /-/relay (relay_field_is,
#                                    relay_field_at_least URL JQ VALUE for wait_until)
#   image_bytes URL NAME             body bytes a cascade-master sent for image NAME
# The image of a test: $IMAGE (path), $IMAGE_SIZE, $IMAGE_SHA, $PIECES_SHA, $PIECE_SIZE.
RELAY_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CR_USER=acs-cr
CR_PASS=cr-secret-42

start_relay_acs() {
  mkdir -p "$TEST_DIR/queue"
  start_daemon relay-acs python3 "$RELAY_LIB_DIR/relay_acs.py" --port-file "$TEST_DIR/acs.port" \
    --queue "$TEST_DIR/queue" --log "$TEST_DIR/acs.jsonl"
  wait_until 10 test -s "$TEST_DIR/acs.port" || { not_ok "the scripted ACS starts"; finish; }
  RELAY_ACS_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
}

# Not in $( ): the daemon's pid must reach this shell's DAEMON_PID.
start_source() {
  local name=$1 images=$2 port
  shift 2
  port=$(free_port)
  start_daemon "$name" "$CASCADE_BIN/cascade-master" --listen "127.0.0.1:$port" --images "$images" --threads 2 \
    --meter false "$@"
  wait_for_port "$port" 15 >/dev/null || { not_ok "$name listens" "$(tail -n 5 "$TEST_DIR/$name.log")"; finish; }
  SOURCE_URL="http://127.0.0.1:$port"
}

start_device() {
  local name=$1 serial=$2
  shift 2
  start_daemon "$name" "$CASCADE_BIN/cascade-cpe" --acs "$RELAY_ACS_URL" --data-dir "$TEST_DIR/$name" \
    --serial "$serial" --cpu-meter off --periodic-interval 300s --retry-min-wait 300ms --retry-max-wait 2s \
    --connection-request 127.0.0.1:0 --connection-request-username "$CR_USER" \
    --connection-request-password "$CR_PASS" --connection-request-burst 50 --connection-request-interval 1s \
    --download-stall-timeout 10s "$@"
  wait_until 10 grep -q "advertised as" "$TEST_DIR/$name.log" || { not_ok "$name starts" "$(tail -n 5 "$TEST_DIR/$name.log")"; finish; }
  # The first session (BOOTSTRAP) is over before any Download is queued.
  wait_until 10 grep -q "\"serial\": \"$serial\", \"t\"" "$TEST_DIR/acs.jsonl" || { not_ok "$name informs"; finish; }
  sleep 0.3
}

connection_request_url() {
  grep -o "advertised as [^)]*" "$TEST_DIR/$1.log" | head -1 | sed 's/advertised as //'
}

# send_download NAME SERIAL KEY URL [PIECES_DIGEST]: hash and piece-list
# digest (default $PIECES_SHA; "" for none), then the Download.
send_download() {
  local name=$1 serial=$2 key=$3 url=$4 pieces=${5-$PIECES_SHA}
  mkdir -p "$TEST_DIR/queue/$serial"
  jq -n --arg sha "$IMAGE_SHA" --arg pieces "$pieces" --arg key "$key" --arg url "$url" \
    --argjson size "$IMAGE_SIZE" --arg target "$(basename "$IMAGE")" \
    '{requests: [{rpc: "SetParameterValues", key: $key, values: [
        ["Device.X_CASCADE_ImageSHA256", $sha, "xsd:string"],
        ["Device.X_CASCADE_ImagePiecesSHA256", $pieces, "xsd:string"]]},
      {rpc: "Download", url: $url, size: $size, key: $key, target: $target}]}' \
    >"$TEST_DIR/queue/$serial/$(date +%s%N).json"
  curl -s -o /dev/null --max-time 5 --digest -u "$CR_USER:$CR_PASS" "$(connection_request_url "$name")"
}

transfer_entry() {
  jq -c --arg key "$1" 'select(.kind == "TransferComplete" and .CommandKey == $key)' "$TEST_DIR/acs.jsonl" 2>/dev/null | head -1
}
transfer_done() { [ -n "$(transfer_entry "$1")" ]; }
wait_transfer() { wait_until "$2" transfer_done "$1"; }
transfer_fault() { transfer_entry "$1" | jq -r '.FaultCode // "none"'; }
transfer_string() { transfer_entry "$1" | jq -r '.FaultString // ""'; }

# Epoch seconds (with ms) of the first line of NAME's log containing TEXT.
log_time() {
  local line
  line=$(grep -F -m1 -- "$2" "$TEST_DIR/$1.log") || return 1
  date -d "${line%%Z *}Z" +%s.%3N
}

relay_field() { curl -s --max-time 5 "$1/-/relay" | jq -r "$2"; }
# For wait_until (which runs its command again each time): FIELD of URL's /-/relay is VALUE, or at least VALUE.
relay_field_is() { [ "$(relay_field "$1" "$2")" = "$3" ]; }
relay_field_at_least() { local value; value=$(relay_field "$1" "$2"); [ -n "$value" ] && [ "$value" != null ] && [ "$value" -ge "$3" ]; }
image_bytes() {
  curl -s --max-time 5 "$1/-/stats" | jq -r --arg name "$2" '.image_bytes_sent[$name] // 0'
}

# make_relay_image DIR NAME SIZE PIECE_SIZE: random image with its manifest;
# sets IMAGE, IMAGE_SIZE, IMAGE_SHA, PIECE_SIZE and PIECES_SHA (computed by
# pieces.py, independently of the C code).
make_relay_image() {
  mkdir -p "$1"
  IMAGE="$1/$2"
  head -c "$3" /dev/urandom >"$IMAGE"
  IMAGE_SIZE=$3
  IMAGE_SHA=$(sha256sum "$IMAGE" | cut -d' ' -f1)
  PIECE_SIZE=$4
  PIECES_SHA=$(python3 "$RELAY_LIB_DIR/pieces.py" digest "$IMAGE" "$PIECE_SIZE")
  (cd "$1" && sha256sum "$2" >SHA256SUMS)
}
