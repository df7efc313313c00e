#!/usr/bin/env bash
# TransferComplete is stored before it is sent and delivered after kill -9:
# the real cascade-acs dies while the agent downloads, so the finished
# transfer cannot be reported; the agent is then killed -9 too. Both come
# back (same database, same ports) and the restarted agent's BOOT Inform
# carries 7 TRANSFER COMPLETE + M Download; the ACS records the success and
# the campaign completes.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/origin"
make_image "$TEST_DIR/origin" fw.bin 1500000
sha=$IMAGE_SHA256
start_acs acs "${ACS_AGENT_SETTINGS[@]}"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_cpe slave T1 --download-rate-limit 500K --retry-min-wait 1s
wait_until 15 device_json T1

id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"$origin/images/fw.bin\",\"sha256\":\"$sha\",\"size\":1500000}")
if wait_until 20 log_has slave "download cascade-c$id-.*: fetching"; then ok "download started"; else
  not_ok "download started" "$(tail -n 10 "$TEST_DIR/slave.log")"; fi
kill_hard acs
if wait_until 30 jq -e '.transfers | length == 1 and .[0].fault_code == 0' "$TEST_DIR/slave/transfers.json"; then
  ok "the finished transfer is stored while the ACS is away"
else
  not_ok "the finished transfer is stored while the ACS is away" "$(tail -n 10 "$TEST_DIR/slave.log")"
fi
if wait_until 15 log_has slave "session failed: cannot reach the ACS"; then ok "the agent could not deliver it"; else
  not_ok "the agent could not deliver it" "$(tail -n 10 "$TEST_DIR/slave.log")"; fi
key=$(jq -r '.transfers[0].command_key' "$TEST_DIR/slave/transfers.json")
kill_hard slave
check "the TransferComplete record survived kill -9" jq -e --arg key "$key" '.transfers[0].command_key == $key' \
  "$TEST_DIR/slave/transfers.json"

mv "$TEST_DIR/acs.log" "$TEST_DIR/acs-before.log"
restart_acs acs
mv "$TEST_DIR/slave.log" "$TEST_DIR/slave-before.log"
start_cpe slave T1
if wait_until 30 campaign_is "$id" done; then ok "campaign done once the TransferComplete arrived"; else
  not_ok "campaign done once the TransferComplete arrived" "$(api GET "/api/campaigns/$id?devices=1")"$'\n'"$(tail -n 10 "$TEST_DIR/slave.log")"
fi
check_equal "the device is done" "done" "$(member_state "$id" T1)"
check "the restart Inform carried BOOT, TRANSFER COMPLETE and M Download" \
  grep -q "Inform with 1 BOOT,7 TRANSFER COMPLETE,M Download:$key" "$TEST_DIR/slave.log"
check_equal "the ACS recorded the TransferComplete with fault 0" "0" \
  "$(sqlite3 "$TEST_DIR/acs.db" "SELECT fault_code FROM transfers WHERE command_key = '$key'")"
wait_until 10 jq -e '.transfers | length == 0' "$TEST_DIR/slave/transfers.json"
check_equal "acknowledged, so no longer stored" "0" "$(jq '.transfers | length' "$TEST_DIR/slave/transfers.json")"
check "installed image is byte-exact" cmp "$TEST_DIR/origin/fw.bin" "$TEST_DIR/slave/images/fw.bin"

for name in slave origin acs; do stop_daemon "$name"; done
finish
