#!/usr/bin/env bash
# Cut-through: a relay device (cascade-cpe + its cascade-master) receives an
# image over a rate-limited link from the origin and serves it, while it
# receives it, to a slave whose own link is 1.5 times as fast (a device's
# downlink against a gateway's uplink). The slave finishes less than 1.2
# image-times after the relay started receiving (the ratio against the
# relay's own receive time, measured in the same run; store-and-forward
# would take 1 + 1/1.5 = 1.67, cut-through about 1 + a piece). Every byte the slave got was checked twice on the way (by the
# relay's master, piece by piece, and by the slave); HEAD and a Range past
# the verified part behave as documented; the relay publishes the same file
# and its piece list stays the one the controller vouched for.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

RATE=4000000   # bytes/s of the relay's link (the slave's: 1.5 times that)
make_image "$TEST_DIR/origin" fw.bin $((16 * 1024 * 1024))
image_pieces 262144
start_relay_acs
start_master origin --images "$TEST_DIR/origin" --threads 2 --origin --piece-size "$PIECE_SIZE"
origin=${MASTER_URL[origin]}
check_equal "the origin's piece list has the digest computed independently" "$PIECES_SHA" \
  "$(curl -s "$origin/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"

mkdir -p "$TEST_DIR/relay-images"
start_master relay-master --images "$TEST_DIR/relay-images" --threads 2
relay=${MASTER_URL[relay-master]}
start_relay_device relay R1 --file-server-url "$relay" --image-dir "$TEST_DIR/relay-images" --download-rate-limit "$RATE"
start_relay_device slave S1 --download-rate-limit $((RATE * 3 / 2))

send_download relay R1 r1 "$origin/images/fw.bin"
if wait_until 15 relay_field_is "$relay" '.receiving[0].announced' true; then
  ok "the relay's agent announced the image to its master"
else
  not_ok "the relay's agent announced the image to its master" "$(tail -n 20 "$TEST_DIR/relay.log")"
fi
# HEAD while receiving: the full length and the final ETag at once.
head=$(curl -sI "$relay/images/fw.bin")
check "HEAD of a receiving image: 200 with the full Content-Length" grep -q "^Content-Length: $IMAGE_SIZE" <<<"$head"
check "HEAD of a receiving image: the final ETag" grep -q "^ETag: \"$IMAGE_SHA256\"" <<<"$head"
check_equal "/pieces/NAME of a receiving image is the vouched-for list" "$PIECES_SHA" \
  "$(curl -s "$relay/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"
# A Range just past what is verified now waits for it, then gets exact bytes.
verified=$(relay_field "$relay" '.receiving[0].verified_bytes')
from=$((verified + 300000))
curl -s -o "$TEST_DIR/range.bin" -r "$from-$((from + 99999))" "$relay/images/fw.bin" &
range_pid=$!

send_download slave S1 s1 "$relay/images/fw.bin?group=1"
wait_transfer r1 40 && wait_transfer s1 40
check_equal "the relay received, checked and published the image" "0" "$(transfer_fault r1)"
check_equal "the slave downloaded from the relay and verified it" "0" "$(transfer_fault s1)"
wait "$range_pid"
check "a Range past the verified part waited and got the exact bytes" \
  cmp "$TEST_DIR/range.bin" <(tail -c +$((from + 1)) "$IMAGE_PATH" | head -c 100000)
check "the slave's image is byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/slave/images/fw.bin"
check "the relay's published image is byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/relay-images/fw.bin"
check "the relay checked every piece it received" grep -q "download r1: .* every piece checked" "$TEST_DIR/relay.log"
check "the slave checked every piece it received" grep -q "download s1: .* every piece checked" "$TEST_DIR/slave.log"
check "the relay's master checked all 64 pieces before relaying them" \
  grep -q "receiving fw.bin: all 64 pieces checked" "$TEST_DIR/relay-master.log"
check "the slave waited for pieces (it was served while the relay received)" \
  test "$(relay_field "$relay" .waits)" -gt 0
check_equal "the published image keeps the vouched-for piece list" "$PIECES_SHA" \
  "$(curl -s "$relay/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"
check_equal "the relay's master sent the slave exactly one image (and the Range)" "$((IMAGE_SIZE + 100000))" \
  "$(image_bytes relay-master fw.bin)"

# The figure: when the slave was done, against the relay's own receive time.
relay_start=$(log_time relay "download r1: fetching")
relay_end=$(log_time relay "download r1: $IMAGE_SIZE bytes received")
slave_start=$(log_time slave "download s1: fetching")
slave_done=$(log_time slave "download s1 verified")
ratio=$(python3 -c "print('%.3f' % (($slave_done - $relay_start) / ($relay_end - $relay_start)))")
echo "# relay received the image in $(python3 -c "print('%.2f' % ($relay_end - $relay_start))") s;" \
  "the slave started $(python3 -c "print('%.2f' % ($slave_start - $relay_start))") s after it and was done" \
  "$ratio relay-receive-times after the relay started"
check "the slave started while the relay was still receiving" \
  python3 -c "import sys; sys.exit(0 if $slave_start < $relay_end else 1)"
if python3 -c "import sys; sys.exit(0 if $ratio < 1.2 else 1)"; then
  ok "the slave was done within 1.2 image-times of the relay's start ($ratio)"
else
  not_ok "the slave was done within 1.2 image-times of the relay's start" "ratio $ratio"
fi

stop_daemon slave
stop_daemon relay
stop_daemon relay-master
stop_daemon origin
stop_daemon relay-acs
finish
