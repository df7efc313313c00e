#!/usr/bin/env bash
# A Download of the image the agent is already fetching re-points it: the
# ACS moved the device to another source (the end game of a tree, docs/
# rollout.md). The running transfer stops, its TransferComplete says it was
# superseded (9010), and the newer Download resumes from the bytes already
# on disk with a Range request to the new server, then installs the
# byte-exact image once. A Download of another image still waits its turn.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

queue="$TEST_DIR/queue"
acs_log="$TEST_DIR/acs.jsonl"
mkdir -p "$queue" "$TEST_DIR/installed"

size=3000000
make_image "$TEST_DIR" image.bin $size
sha=$IMAGE_SHA256
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
cp "$2" "$1/$(basename "$2")"
echo installed >>"$1/installs"
EOF
chmod +x "$TEST_DIR/install.sh"

start_daemon acs python3 "$INTEGRATION_DIR/cpe/fake_acs.py" --port-file "$TEST_DIR/acs.port" --queue "$queue" --log "$acs_log"
# slow: the first source, 200 kB/s; fast: the source the device is moved to
start_daemon slow python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/image.bin" \
  --port-file "$TEST_DIR/slow.port" --log "$TEST_DIR/slow.requests" --rate 200000
start_daemon fast python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/image.bin" \
  --port-file "$TEST_DIR/fast.port" --log "$TEST_DIR/fast.requests"
wait_until 10 test -s "$TEST_DIR/acs.port" -a -s "$TEST_DIR/slow.port" -a -s "$TEST_DIR/fast.port"
ACS_CWMP_URL="http://127.0.0.1:$(cat "$TEST_DIR/acs.port")/"
slow_url="http://127.0.0.1:$(cat "$TEST_DIR/slow.port")/images/image.bin"
fast_url="http://127.0.0.1:$(cat "$TEST_DIR/fast.port")/images/image.bin"

enqueue '{"requests": [
  {"rpc": "SetParameterValues", "values": [["Device.X_CASCADE_ImageSHA256", "'"$sha"'", "xsd:string"]], "key": "p1"},
  {"rpc": "Download", "key": "k-slow", "url": "'"$slow_url"'", "size": '"$size"', "target": "image.bin"}]}'
start_cpe cpe P1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed" \
  --connection-request-burst 50 --connection-request-interval 100ms
if wait_until 15 posted_true 'map(select(.kind == "DownloadResponse")) | length == 1'; then
  ok "the first Download accepted"
else
  not_ok "the first Download accepted" "$(tail -n 20 "$TEST_DIR/cpe.log")"; finish
fi
progress="$TEST_DIR/cpe/downloads/$sha.progress"
if wait_until 20 jq -e '.durable_bytes > 400000' "$progress"; then ok "the slow download is under way"; else
  not_ok "the slow download is under way" "$(tail -n 10 "$TEST_DIR/cpe.log")"; fi

# The ACS moves the device: a Download of the same image from the fast server.
enqueue '{"requests": [
  {"rpc": "Download", "key": "k-fast", "url": "'"$fast_url"'", "size": '"$size"', "target": "image.bin"}]}'
cr_url=$(grep -o 'advertised as http://[0-9.:]*/' "$TEST_DIR/cpe.log" | sed 's/advertised as //')
check_equal "connection request accepted" "200" "$(connection_request)"
if wait_until 30 tc_arrived k-fast; then ok "both transfers reported"; else
  not_ok "both transfers reported" "$(tail -n 20 "$TEST_DIR/cpe.log")"; fi
check_equal "the superseded transfer: TransferComplete 9010" "9010" "$(tc_fault k-slow)"
check_equal "the newer transfer: TransferComplete success" "0" "$(tc_fault k-fast)"
check "the superseded one was reported first" \
  posted_true '[.[] | select(.kind == "TransferComplete") | .CommandKey] | index("k-slow") < index("k-fast")'
check "the log names the supersession" grep -q "download k-slow superseded by Download k-fast" "$TEST_DIR/cpe.log"
resumed=$(jq -sr '[.[] | select(.range != "")] | first | .range // "" | ltrimstr("bytes=") | rtrimstr("-")' \
  "$TEST_DIR/fast.requests")
if [ -n "$resumed" ] && [ "$resumed" -ge 400000 ]; then ok "the fast server was asked from byte $resumed on (Range)"; else
  not_ok "the fast server was asked with a Range past the bytes held" "$(cat "$TEST_DIR/fast.requests")"; fi
check_equal "the fast server got one request" 1 "$(jq -s 'length' "$TEST_DIR/fast.requests")"
# The slow server records its request when a write fails after the device
# hung up (up to two of its 82 ms chunk pauses later): wait for that line.
check "the slow server recorded its cut request" wait_until 10 test -s "$TEST_DIR/slow.requests"
check_equal "the slow server was not asked again" 1 "$(jq -s 'length' "$TEST_DIR/slow.requests")"
check "the installed image is byte-exact" cmp "$TEST_DIR/image.bin" "$TEST_DIR/installed/image.bin"
check_equal "installed once" 1 "$(wc -l <"$TEST_DIR/installed/installs")"
check_equal "the queue is empty" 0 "$(jq '.downloads | length' "$TEST_DIR/cpe/downloads.json")"

stop_daemon cpe
for name in slow fast acs; do stop_daemon "$name"; done
finish
