#!/usr/bin/env bash
# Both campaign modes end to end with the real parts: cascade-acs, an
# origin cascade-master, a master device (cascade-cpe + its own
# cascade-master) and a slave cascade-cpe. Mode url: the master fetches
# from the origin, verifies, publishes into its cascade-master (manifest +
# reload) so curl from the master gives the same bytes, then the slave
# fetches from the master and installs. Mode spv: the slave gets
# X_CASCADE_MasterURL by SetParameterValues and a Download with an empty URL.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/origin" "$TEST_DIR/master-images" "$TEST_DIR/installed"
make_image "$TEST_DIR/origin" fw-url.bin 1500000
url_sha=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-spv.bin 900001
spv_sha=$IMAGE_SHA256
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
# install.sh DEST IMAGE: what a device's flashing step would be, for tests.
cp "$2" "$1/$(basename "$2")" && echo "$CASCADE_COMMAND_KEY $CASCADE_IMAGE_SHA256 $2" >>"$1/installs.log"
EOF
chmod +x "$TEST_DIR/install.sh"

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[election]
max-occupancy = 10000"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_master master-server --images "$TEST_DIR/master-images" --threads 1
master_server=${MASTER_URL[master-server]}
start_cpe master M1 --file-server-url "$master_server" --image-dir "$TEST_DIR/master-images" --bandwidth 100000
start_cpe slave S1 --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
wait_until 15 device_json M1 && wait_until 15 device_json S1
check_equal "the master device offers its file server" "$master_server" "$(device_field M1 .file_server.url)"

# ---- mode url ---------------------------------------------------------------------
id=$(start_campaign "{\"image\":\"fw-url.bin\",\"origin_url\":\"$origin/images/fw-url.bin\",\"sha256\":\"$url_sha\",\"size\":1500000,\"mode\":\"url\"}")
if wait_until 60 campaign_is "$id" done; then ok "url campaign done"; else
  not_ok "url campaign done" "$(api GET "/api/campaigns/$id?devices=1")"$'\n'"$(tail -n 15 "$TEST_DIR/master.log")"$'\n'"$(tail -n 15 "$TEST_DIR/slave.log")"
fi
check_equal "url campaign: both devices done" "2" "$(campaign_count "$id" done)"
check "master fetched from the origin" grep -q "fetching $origin/images/fw-url.bin" "$TEST_DIR/master.log"
check "master published into cascade-master's manifest" grep -q "^$url_sha  fw-url.bin\$" "$TEST_DIR/master-images/SHA256SUMS"
check "master's image is the origin's" cmp "$TEST_DIR/origin/fw-url.bin" "$TEST_DIR/master-images/fw-url.bin"
curl -s -o "$TEST_DIR/from-master.bin" "$master_server/images/fw-url.bin"
check "curl from cascade-master gives the same bytes" cmp "$TEST_DIR/origin/fw-url.bin" "$TEST_DIR/from-master.bin"
check "slave fetched from the master, not the origin" grep -q "fetching $master_server/images/fw-url.bin" "$TEST_DIR/slave.log"
check "slave installed a byte-exact image" cmp "$TEST_DIR/origin/fw-url.bin" "$TEST_DIR/installed/fw-url.bin"
check "install command saw the verified hash" grep -q " $url_sha " "$TEST_DIR/installed/installs.log"
check "TransferCompletes recorded by the ACS with fault 0" test "$(sqlite3 "$TEST_DIR/acs.db" \
  "SELECT count(*) FROM transfers WHERE fault_code = 0 AND command_key LIKE 'cascade-c$id-%'")" -ge 2

# ---- mode spv ---------------------------------------------------------------------
id=$(start_campaign "{\"image\":\"fw-spv.bin\",\"origin_url\":\"$origin/images/fw-spv.bin\",\"sha256\":\"$spv_sha\",\"size\":900001,\"mode\":\"spv\"}")
if wait_until 60 campaign_is "$id" done; then ok "spv campaign done"; else
  not_ok "spv campaign done" "$(api GET "/api/campaigns/$id?devices=1")"$'\n'"$(tail -n 15 "$TEST_DIR/slave.log")"
fi
check_equal "spv campaign: both devices done" "2" "$(campaign_count "$id" done)"
check "slave got an empty-URL Download and used X_CASCADE_MasterURL" \
  grep -q "using X_CASCADE_MasterURL $master_server/images/fw-spv.bin" "$TEST_DIR/slave.log"
check "X_CASCADE_MasterURL is kept on disk" \
  jq -e --arg url "$master_server/images/fw-spv.bin" '.values.X_CASCADE_MasterURL | startswith($url)' \
  "$TEST_DIR/slave/parameters.json"
check "slave installed the spv image byte-exact" cmp "$TEST_DIR/origin/fw-spv.bin" "$TEST_DIR/installed/fw-spv.bin"
curl -s -o "$TEST_DIR/from-master.bin" "$master_server/images/fw-spv.bin"
check "cascade-master serves the spv image too" cmp "$TEST_DIR/origin/fw-spv.bin" "$TEST_DIR/from-master.bin"
check_equal "no partial files left behind" "" "$(find "$TEST_DIR/slave/downloads" "$TEST_DIR/master/downloads" -type f)"

for name in slave master master-server origin acs; do stop_daemon "$name"; done
finish
