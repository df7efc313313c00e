#!/usr/bin/env bash
# Controller plumbing of piece lists: cascadectl campaign start --file
# computes the piece list's digest, the campaign stores it (API and
# database), cascade-acs sets X_CASCADE_ImagePiecesSHA256 for the cascade
# devices that report the parameter, and the master device (fetching from
# the origin, relaying through its own cascade-master) and the slaves
# (fetching from the master, spv mode) check every piece as it arrives.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

make_image "$TEST_DIR/origin" fw.bin 3000000
image_pieces 1048576
mkdir -p "$TEST_DIR/master-images"
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[election]
max_occupancy = 10000"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_master master-server --images "$TEST_DIR/master-images" --threads 1
master_server=${MASTER_URL[master-server]}
start_cpe master M1 --file-server-url "$master_server" --image-dir "$TEST_DIR/master-images" --bandwidth 100000
start_cpe slave1 S1
start_cpe slave2 S2
wait_until 15 device_json M1 && wait_until 15 device_json S1 && wait_until 15 device_json S2

id=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$IMAGE_PATH" \
  --origin "$origin/images/fw.bin" --mode spv | jq -r .id)
check_equal "the campaign carries the piece list's digest (computed by cascadectl from --file)" "$PIECES_SHA" \
  "$(api GET "/api/campaigns/$id" | jq -r .pieces_sha256)"
check_equal "the origin serves the list with that digest" "$PIECES_SHA" \
  "$(curl -s "$origin/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"
if wait_until 60 campaign_is "$id" done; then ok "campaign done"; else
  not_ok "campaign done" "$(api GET "/api/campaigns/$id?devices=1")"$'\n'"$(tail -n 15 "$TEST_DIR/master.log")"
fi
check_equal "every device done" "3" "$(campaign_count "$id" done)"
check_equal "the digest is in the database" "$PIECES_SHA" \
  "$(sqlite3 "$TEST_DIR/acs.db" "SELECT pieces_sha256 FROM campaigns WHERE id = $id")"
for name in master slave1 slave2; do
  check "$name was given the digest" grep -q "X_CASCADE_ImagePiecesSHA256 = $PIECES_SHA" "$TEST_DIR/$name.log"
  check "$name checked every piece" grep -q "bytes held, every piece checked" "$TEST_DIR/$name.log"
done
check "the master relayed while receiving (announced to its cascade-master)" \
  grep -q "announced to cascade-master at $master_server" "$TEST_DIR/master.log"
check "the master's cascade-master checked the pieces itself" \
  grep -q "receiving fw.bin: all 3 pieces checked" "$TEST_DIR/master-server.log"
check "the master published a byte-exact image" cmp "$IMAGE_PATH" "$TEST_DIR/master-images/fw.bin"
check "no receiving leftovers in the master's image folder" test -z "$(ls -A "$TEST_DIR/master-images/.partial")"
check_equal "the master serves the same piece list" "$PIECES_SHA" \
  "$(curl -s "$master_server/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"
# --no-pieces: a campaign without a list, and the devices' parameter cleared.
id2=$("$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --json campaign start --file "$IMAGE_PATH" --image fw2.bin \
  --origin "$origin/images/fw.bin" --no-pieces | jq -r .id)
check_equal "--no-pieces: the campaign has no piece list" "null" "$(api GET "/api/campaigns/$id2" | jq -r .pieces_sha256)"

for name in slave2 slave1 master master-server origin acs; do stop_daemon "$name"; done
finish
