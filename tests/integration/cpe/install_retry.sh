#!/usr/bin/env bash
# A failing install command is a TransferComplete fault (9010), and the
# real cascade-acs's next attempt installs the image already verified on
# disk without fetching it again.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

make_image "$TEST_DIR" fw.bin 800000
sha=$IMAGE_SHA256
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
# Fails the first time (a flash that did not take), works the second.
if [ ! -e "$1/tried" ]; then touch "$1/tried"; echo "flash failed" >&2; exit 3; fi
cp "$2" "$1/installed.bin"
EOF
chmod +x "$TEST_DIR/install.sh"
mkdir -p "$TEST_DIR/device"

start_acs acs "${ACS_AGENT_SETTINGS[@]}"
start_daemon origin python3 "$INTEGRATION_DIR/cpe/file_server.py" --file "$TEST_DIR/fw.bin" \
  --port-file "$TEST_DIR/origin.port" --log "$TEST_DIR/origin.requests"
wait_until 10 test -s "$TEST_DIR/origin.port"
start_cpe slave I1 --install-command "$TEST_DIR/install.sh $TEST_DIR/device"
wait_until 15 device_json I1

id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"http://127.0.0.1:$(cat "$TEST_DIR/origin.port")/images/fw.bin\",\"sha256\":\"$sha\",\"size\":800000}")
if wait_until 40 campaign_is "$id" done; then ok "campaign done on the second attempt"; else
  not_ok "campaign done on the second attempt" "$(tail -n 20 "$TEST_DIR/slave.log")"; fi
check_equal "the device is done" "done" "$(member_state "$id" I1)"
check_equal "first attempt reported 9010, second 0" "9010 0" \
  "$(sqlite3 "$TEST_DIR/acs.db" "SELECT fault_code FROM transfers ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check "the failure names the install command" grep -q "install command failed with exit status 3" "$TEST_DIR/slave.log"
check "the second attempt reused the verified image" grep -q "verified image already at .*, installing it again" \
  "$TEST_DIR/slave.log"
check_equal "the origin sent the image once" "1" "$(wc -l <"$TEST_DIR/origin.requests")"
check "installed byte-exact" cmp "$TEST_DIR/fw.bin" "$TEST_DIR/device/installed.bin"
for name in slave origin acs; do stop_daemon "$name"; done
finish
