#!/usr/bin/env bash
# A corrupted image is rejected with 9018 and nothing is installed: the
# real cascade-acs runs a campaign whose SHA-256 does not match what the
# origin (a real cascade-master) serves, then one whose size does not; the
# agent reports TransferComplete 9018 both times, the install command never
# runs, no image is kept and no partial file is left.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/origin" "$TEST_DIR/installed"
make_image "$TEST_DIR/origin" fw.bin 1200000
real_sha=$IMAGE_SHA256
wrong_sha=$(printf 'not the image' | sha256sum | cut -d' ' -f1)
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
touch "$1/install-ran"
EOF
chmod +x "$TEST_DIR/install.sh"

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "max-attempts = 1"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_cpe slave C1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
wait_until 15 device_json C1

id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"$origin/images/fw.bin\",\"sha256\":\"$wrong_sha\",\"size\":1200000}")
if wait_until 40 campaign_is "$id" done; then ok "campaign with a wrong hash ended"; else
  not_ok "campaign with a wrong hash ended" "$(tail -n 20 "$TEST_DIR/slave.log")"; fi
check_equal "the device failed the campaign" "failed" "$(member_state "$id" C1)"
check_equal "the ACS recorded fault 9018" "9018" "$(device_field C1 .last_fault.code)"
check_equal "TransferComplete carried 9018" "9018" \
  "$(sqlite3 "$TEST_DIR/acs.db" "SELECT fault_code FROM transfers WHERE command_key LIKE 'cascade-c$id-%'")"
check "the agent says why" grep -q "file corrupted: SHA-256" "$TEST_DIR/slave.log"
check "the install command never ran" test ! -e "$TEST_DIR/installed/install-ran"
check_equal "no image kept" "" "$(find "$TEST_DIR/slave" -name 'fw.bin')"
check_equal "no partial file kept" "" "$(find "$TEST_DIR/slave/downloads" -type f)"

# A size that does not match is caught from the server's headers, early.
id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"$origin/images/fw.bin\",\"sha256\":\"$real_sha\",\"size\":1200001}")
if wait_until 40 campaign_is "$id" done; then ok "campaign with a wrong size ended"; else
  not_ok "campaign with a wrong size ended" "$(tail -n 20 "$TEST_DIR/slave.log")"; fi
check_equal "wrong size: TransferComplete carried 9018" "9018" \
  "$(sqlite3 "$TEST_DIR/acs.db" "SELECT fault_code FROM transfers WHERE command_key LIKE 'cascade-c$id-%'")"
check "wrong size: reported before downloading it all" grep -q "file server has 1200000 bytes but the Download's FileSize is 1200001" "$TEST_DIR/slave.log"
check "wrong size: the install command never ran" test ! -e "$TEST_DIR/installed/install-ran"
check "the agent is still running" kill -0 "${DAEMON_PID[slave]}"

for name in slave origin acs; do stop_daemon "$name"; done
finish
