#!/usr/bin/env bash
# Source failure: a relay device (cascade-cpe + its cascade-master) that is
# receiving an image and serving it to a child at the same time is killed
# (SIGKILL, agent and server) half-way. The child's download fails, and the
# next Download, from another source, resumes at the child's byte offset
# with Range: the other source sends exactly the rest, the child throws
# nothing away, and its image is verified.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

make_image "$TEST_DIR/origin" fw.bin $((8 * 1024 * 1024))
image_pieces 262144
start_relay_acs
start_master origin --images "$TEST_DIR/origin" --threads 2 --origin --piece-size "$PIECE_SIZE"
origin=${MASTER_URL[origin]}
mkdir -p "$TEST_DIR/other"
cp "$IMAGE_PATH" "$TEST_DIR/origin/SHA256SUMS" "$TEST_DIR/other/"
start_master other --images "$TEST_DIR/other" --threads 2 --piece-size "$PIECE_SIZE"
other=${MASTER_URL[other]}
mkdir -p "$TEST_DIR/relay-images"
start_master relay-master --images "$TEST_DIR/relay-images" --threads 2
relay=${MASTER_URL[relay-master]}
start_relay_device relay R1 --file-server-url "$relay" --image-dir "$TEST_DIR/relay-images" --download-rate-limit 2000000
start_relay_device child C1

send_download relay R1 r1 "$origin/images/fw.bin"
wait_until 15 relay_field_is "$relay" '.receiving[0].announced' true
send_download child C1 c1 "$relay/images/fw.bin"
if wait_until 20 relay_field_at_least "$relay" '.receiving[0].verified_bytes' $((IMAGE_SIZE / 2)); then
  ok "the relay holds half of the image"
else
  not_ok "the relay holds half of the image" "$(curl -s "$relay/-/relay")"
fi
kill_hard relay
kill_hard relay-master
ok "the relay device is killed (agent and server)"
wait_transfer c1 40
check_equal "the child's download from the dead relay failed" "true" \
  "$( [ "$(transfer_fault c1)" != 0 ] && [ "$(transfer_fault c1)" != none ] && echo true)"
held=$(stat -c %s "$TEST_DIR/child/downloads/$IMAGE_SHA256.part")
check "the child kept what it had received (some, not all)" test "$held" -gt 0 -a "$held" -lt "$IMAGE_SIZE"
send_download child C1 c2 "$other/images/fw.bin"
wait_transfer c2 30
check_equal "the child finished from another source" "0" "$(transfer_fault c2)"
check "it resumed at its byte offset with Range" \
  grep -q "download c2: resuming $other/images/fw.bin at byte $held" "$TEST_DIR/child.log"
check_equal "the other source sent exactly the rest" "$((IMAGE_SIZE - held))" "$(image_bytes other fw.bin)"
check_equal "the other source answered one 206" "1" \
  "$(curl -s "$other/-/stats" | jq -r '.requests.by_status["206"] // 0')"
check "the child's image is byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/child/images/fw.bin"
received=$(grep -o "download c[12]: [0-9]* bytes received" "$TEST_DIR/child.log" | awk '{sum += $3} END {print sum}')
check_equal "bytes re-downloaded because of the failure: none" "0" "$((received - IMAGE_SIZE))"
check "nothing was discarded" test "$(grep -c "download c[12]: .*, 0 discarded," "$TEST_DIR/child.log")" -eq 2

cat $TEST_DIR/child.log >/tmp/child.log; for name in child other origin relay-acs; do stop_daemon "$name"; done
finish
