#!/usr/bin/env bash
# Piece verification: a source serves one corrupt piece (a lying source:
# its piece list is right, piece 5's bytes are not; cascade-master itself
# never relays a piece it has not checked). A slave downloading from it is stopped at that piece (9018 naming
# the piece and the source), keeps the five good pieces before it, and
# resumes from another source at piece 5's offset: it re-downloads exactly
# one piece. A relay device receiving from the bad source does the same, and
# its cascade-master never relays the bad piece: a child downloading from
# the relay meanwhile waits at piece 5 and ends with a verified image, never
# having received a byte it had to throw away.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

BAD=5
make_image "$TEST_DIR/origin" fw.bin $((8 * 1024 * 1024))
image_pieces 262144
bad_start=$((BAD * PIECE_SIZE))
bad_end=$((bad_start + PIECE_SIZE - 1))
start_relay_acs
start_master origin --images "$TEST_DIR/origin" --threads 2 --origin --piece-size "$PIECE_SIZE"
origin=${MASTER_URL[origin]}
# The bad source: the right piece list, and one byte of piece 5 flipped.
mkdir -p "$TEST_DIR/bad"
python3 "$INTEGRATION_DIR/relay/pieces.py" list "$IMAGE_PATH" "$PIECE_SIZE" >"$TEST_DIR/bad/fw.bin.pieces"
python3 - "$IMAGE_PATH" "$TEST_DIR/bad/fw.bin" $((bad_start + 1000)) <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[int(sys.argv[3])] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
start_daemon bad-source python3 "$INTEGRATION_DIR/relay/lying_source.py" --list "$TEST_DIR/bad/fw.bin.pieces" \
  --file "$TEST_DIR/bad/fw.bin" --name fw.bin --port-file "$TEST_DIR/bad.port" --log "$TEST_DIR/bad.jsonl"
wait_until 10 test -s "$TEST_DIR/bad.port" || { not_ok "the bad source starts"; finish; }
bad="http://127.0.0.1:$(cat "$TEST_DIR/bad.port")"
check_equal "the bad source serves the right piece list" "$PIECES_SHA" \
  "$(curl -s "$bad/pieces/fw.bin" | sha256sum | cut -d' ' -f1)"

# ---- a slave and a bad source ----------------------------------------------------------
start_relay_device slave S1
send_download slave S1 s1 "$bad/images/fw.bin"
wait_transfer s1 30
check_equal "the slave caught the bad piece: 9018" "9018" "$(transfer_fault s1)"
check_equal "the fault names the piece and the source" \
  "piece $BAD of 32 (bytes $bad_start-$bad_end) from $bad does not match the piece list" "$(transfer_string s1)"
check_equal "the slave kept the pieces before the bad one" "$bad_start" \
  "$(stat -c %s "$TEST_DIR/slave/downloads/$IMAGE_SHA256.part")"
check "the slave dropped exactly the bad piece" grep -q "download s1: .*, $PIECE_SIZE discarded," "$TEST_DIR/slave.log"
origin_before=$(image_bytes origin fw.bin)
send_download slave S1 s2 "$origin/images/fw.bin"
wait_transfer s2 30
check_equal "the slave then finished from another source" "0" "$(transfer_fault s2)"
check "it resumed at the bad piece's offset with Range" \
  grep -q "download s2: resuming $origin/images/fw.bin at byte $bad_start" "$TEST_DIR/slave.log"
check_equal "the other source sent only the rest of the image" "$((IMAGE_SIZE - bad_start))" \
  "$(( $(image_bytes origin fw.bin) - origin_before ))"
check "the slave's image is byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/slave/images/fw.bin"
received=$(grep -o "download s[12]: [0-9]* bytes received" "$TEST_DIR/slave.log" | awk '{sum += $3} END {print sum}')
check_equal "bytes re-downloaded because of the bad piece: exactly one piece" "$PIECE_SIZE" "$((received - IMAGE_SIZE))"

# ---- a relay device and a bad source, a child of the relay -------------------------------
mkdir -p "$TEST_DIR/relay-images"
start_master relay-master --images "$TEST_DIR/relay-images" --threads 2
relay=${MASTER_URL[relay-master]}
start_relay_device relay R1 --file-server-url "$relay" --image-dir "$TEST_DIR/relay-images" --download-rate-limit 4000000
start_relay_device child C1
send_download relay R1 r1 "$bad/images/fw.bin"
wait_until 15 relay_field_is "$relay" '.receiving[0].announced' true
send_download child C1 c1 "$relay/images/fw.bin"
wait_transfer r1 30
check_equal "the relay caught the bad piece: 9018" "9018" "$(transfer_fault r1)"
check "... naming the piece and the source" grep -q "^piece $BAD of 32 .* from $bad " <<<"$(transfer_string r1)"
check_equal "the relay's master relayed only the pieces before it" "$bad_start" \
  "$(relay_field "$relay" '.receiving[0].verified_bytes')"
send_download relay R1 r2 "$origin/images/fw.bin"
wait_transfer r2 30 && wait_transfer c1 30
check_equal "the relay finished from the origin" "0" "$(transfer_fault r2)"
check "... resuming at the bad piece's offset" \
  grep -q "download r2: resuming $origin/images/fw.bin at byte $bad_start" "$TEST_DIR/relay.log"
check_equal "the child finished from the relay without a fault" "0" "$(transfer_fault c1)"
check "the child's image is byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/child/images/fw.bin"
check "the child never received a byte it had to drop" \
  grep -q "download c1: $IMAGE_SIZE bytes received from $relay in 1 requests (resumed at byte 0), 0 discarded" \
  "$TEST_DIR/child.log"
check_equal "the relay's master sent the child one image's worth" "$IMAGE_SIZE" "$(image_bytes relay-master fw.bin)"
check "the relay published a byte-exact image" cmp "$IMAGE_PATH" "$TEST_DIR/relay-images/fw.bin"

for name in child relay relay-master slave bad-source origin relay-acs; do stop_daemon "$name"; done
finish
