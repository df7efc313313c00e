# The relay tests: real cascade-master sources and cascade-cpe devices driven
# by a scripted ACS (relay/relay_acs.py), so a test decides which source each
# device downloads from and when; sourced by lib.sh.
#
#   image_pieces PIECE_SIZE          the piece list of the last make_image: sets PIECE_SIZE and
#                                    PIECES_SHA (computed by relay/pieces.py, independently of the C code)
#   start_relay_acs                  the scripted ACS; $RELAY_ACS_URL, also $ACS_CWMP_URL for start_cpe
#   start_relay_device NAME SERIAL [FLAGS]   start_cpe for the scripted ACS, its first session over
#   send_download NAME SERIAL KEY URL [PIECES_DIGEST]   queues SetParameterValues (hash, piece-list
#                                    digest) + Download for the device, and pokes it
#   wait_transfer KEY SECONDS        waits for the TransferComplete of KEY
#   transfer_fault KEY               its fault code (0: success)
#   transfer_string KEY              its fault string
#   log_time NAME TEXT               epoch seconds of NAME's first log line with TEXT
#   relay_field URL JQ               a field of a cascade-master's /-/relay (relay_field_is,
#                                    relay_field_at_least URL JQ VALUE for wait_until)

image_pieces() {
  PIECE_SIZE=$1
  PIECES_SHA=$(python3 "$INTEGRATION_DIR/relay/pieces.py" digest "$IMAGE_PATH" "$PIECE_SIZE")
}

start_relay_acs() {
  mkdir -p "$TEST_DIR/queue"
  start_daemon relay-acs python3 "$INTEGRATION_DIR/relay/relay_acs.py" --port-file "$TEST_DIR/acs.port" \
    --queue "$TEST_DIR/queue" --log "$TEST_DIR/acs.jsonl"
  wait_until 10 test -s "$TEST_DIR/acs.port" || { start_failed relay-acs; return 1; }
  RELAY_ACS_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
  ACS_CWMP_URL=$RELAY_ACS_URL
}

start_relay_device() {
  local name=$1 serial=$2
  shift 2
  start_cpe "$name" "$serial" --cpu-meter off --periodic-interval 300s --retry-max-wait 2s \
    --connection-request-burst 50 --connection-request-interval 1s --download-stall-timeout 10s "$@"
  wait_until 10 log_has "$name" "advertised as" || { start_failed "$name"; return 1; }
  # The first session (BOOTSTRAP) is over before any Download is queued.
  wait_until 10 grep -q "\"serial\": \"$serial\", \"t\"" "$TEST_DIR/acs.jsonl" || { not_ok "$name informs"; finish; }
  sleep 0.3
}

connection_request_url() {
  grep -o "advertised as [^)]*" "$TEST_DIR/$1.log" | head -1 | sed 's/advertised as //'
}

send_download() {
  local name=$1 serial=$2 key=$3 url=$4 pieces=${5-$PIECES_SHA}
  mkdir -p "$TEST_DIR/queue/$serial"
  jq -n --arg sha "$IMAGE_SHA256" --arg pieces "$pieces" --arg key "$key" --arg url "$url" \
    --argjson size "$IMAGE_SIZE" --arg target "$IMAGE_NAME" \
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
