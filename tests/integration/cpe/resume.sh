#!/usr/bin/env bash
# Interrupted downloads resume to a byte-exact image, with the real
# cascade-acs driving the campaign (no file-server device: the slave falls
# back to the origin). First the file server cuts the connection mid-file
# and the agent resumes with Range; then the agent itself is killed -9
# mid-download and, restarted, resumes from its progress record against a
# real cascade-master.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/origin" "$TEST_DIR/installed"
make_image "$TEST_DIR" cut.bin 2000000
cut_sha=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-kill.bin 3000000
kill_sha=$IMAGE_SHA256
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
cp "$2" "$1/$(basename "$2")"
EOF
chmod +x "$TEST_DIR/install.sh"

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "max-attempts = 1"
start_daemon cutter python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/cut.bin" \
  --port-file "$TEST_DIR/cutter.port" --log "$TEST_DIR/cutter.requests" --cut-after 700000
wait_until 10 test -s "$TEST_DIR/cutter.port"
cutter="http://127.0.0.1:$(cat "$TEST_DIR/cutter.port")"
start_cpe slave R1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
wait_until 15 device_json R1

# ---- the server cuts the connection -------------------------------------------------
id=$(start_campaign "{\"image\":\"cut.bin\",\"origin_url\":\"$cutter/images/cut.bin\",\"sha256\":\"$cut_sha\",\"size\":2000000}")
if wait_until 40 campaign_is "$id" done; then ok "campaign through a cutting server done"; else
  not_ok "campaign through a cutting server done" "$(tail -n 20 "$TEST_DIR/slave.log")"; fi
check "the first request was cut short" jq -se 'map(select(.range == "")) | .[0].sent == 700000' "$TEST_DIR/cutter.requests"
check "the agent resumed with a Range request" \
  jq -se 'map(select(.range != "" and .status == 206)) | length >= 1 and (.[0].range | ltrimstr("bytes=") | rtrimstr("-") | tonumber) > 0' \
  "$TEST_DIR/cutter.requests"
check "the agent logged the resume" grep -q "resuming at byte" "$TEST_DIR/slave.log"
check "the resumed image is byte-exact" cmp "$TEST_DIR/cut.bin" "$TEST_DIR/installed/cut.bin"

# ---- the agent is killed mid-download and restarted -----------------------------------------
stop_daemon slave
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_cpe slave R1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed" --download-rate-limit 400K
wait_until 10 log_has slave "session done"
id=$(start_campaign "{\"image\":\"fw-kill.bin\",\"origin_url\":\"$origin/images/fw-kill.bin\",\"sha256\":\"$kill_sha\",\"size\":3000000}")
progress="$TEST_DIR/slave/downloads/$kill_sha.progress"
if wait_until 30 jq -e '.durable_bytes > 400000' "$progress"; then ok "download under way (progress recorded)"; else
  not_ok "download under way (progress recorded)" "$(tail -n 10 "$TEST_DIR/slave.log")"; fi
kill_hard slave
kept=$(stat -c %s "$TEST_DIR/slave/downloads/$kill_sha.part")
if [ "$kept" -gt 0 ] && [ "$kept" -lt 3000000 ]; then ok "a partial file of $kept bytes survived kill -9"; else
  not_ok "a partial file survived kill -9" "size $kept"; fi
check "the accepted Download survived kill -9" jq -e '.downloads | length == 1' "$TEST_DIR/slave/downloads.json"
mv "$TEST_DIR/slave.log" "$TEST_DIR/slave-before-kill.log"
start_cpe slave R1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
if wait_until 40 campaign_is "$id" done; then ok "campaign done after the restart"; else
  not_ok "campaign done after the restart" "$(tail -n 20 "$TEST_DIR/slave.log")"; fi
resumed_at=$(grep -o "resuming $origin/images/fw-kill.bin at byte [0-9]*" "$TEST_DIR/slave.log" | grep -o '[0-9]*$')
if [ -n "$resumed_at" ] && [ "$resumed_at" -gt 0 ]; then ok "the restarted agent resumed at byte $resumed_at"; else
  not_ok "the restarted agent resumed" "$(grep download "$TEST_DIR/slave.log")"; fi
check "the image is byte-exact after kill -9 and resume" cmp "$TEST_DIR/origin/fw-kill.bin" "$TEST_DIR/installed/fw-kill.bin"
check_equal "the Download left the queue" "0" "$(jq '.downloads | length' "$TEST_DIR/slave/downloads.json")"

for name in slave origin cutter acs; do stop_daemon "$name"; done
finish
