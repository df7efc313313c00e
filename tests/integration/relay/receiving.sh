#!/usr/bin/env bash
# cascade-master's receiving images, with the agent's side played by a
# script (pieces.py feed writes .partial/NAME as a download would): a stock
# client (curl) streams the image while it lands and gets it byte-exact; a
# piece that lands corrupt is never sent (readers stop before it, a small
# Range past it waits as well) until it
# is written again; publishing by rename keeps a slow stream going to the
# end; a deleted file ends its streams after the verified bytes; a reader
# with nothing new for --relay-wait-timeout is closed; SIGTERM with a
# reader waiting exits cleanly.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

PIECES_PY="$INTEGRATION_DIR/relay/pieces.py"
make_image "$TEST_DIR/source" fw.bin 3000000
image_pieces 131072
images="$TEST_DIR/images"
mkdir -p "$images/.partial"
: >"$images/SHA256SUMS"
start_master master --images "$images" --threads 2 --relay-wait-timeout 4s
master=${MASTER_URL[master]}

# announce NAME: the list and an empty file, then a reload.
announce() {
  python3 "$PIECES_PY" list "$IMAGE_PATH" "$PIECE_SIZE" >"$images/.partial/$1.pieces"
  : >"$images/.partial/$1"
  curl -s -o /dev/null -X POST "$master/-/reload"
}
receiving() { relay_field "$master" ".receiving[] | select(.name == \"$1\" and .announced) | .$2"; }

# ---- a stock client streams while the image lands, with one corrupt piece on the way -------
announce a.bin
check_equal "announced: answered with the full length" "$IMAGE_SIZE" \
  "$(curl -sI "$master/images/a.bin" | tr -d '\r' | awk '/^Content-Length/ {print $2}')"
curl -s -o "$TEST_DIR/a.out" "$master/images/a.bin" &
reader=$!
bad=$((5 * PIECE_SIZE + 77))
python3 "$PIECES_PY" feed "$IMAGE_PATH" "$images/.partial/a.bin" 8000000 0 "$bad"
wait_until 5 relay_field_at_least "$master" '[.receiving[] | select(.name == "a.bin") | .failed_checks] | add' 1
check_equal "a corrupt piece is not relayed: the verified bytes stop before it" "$((5 * PIECE_SIZE))" \
  "$(receiving a.bin verified_bytes)"
sleep 0.5
check_equal "the reader got exactly the pieces before it" "$((5 * PIECE_SIZE))" "$(stat -c %s "$TEST_DIR/a.out")"
# A small Range past the verified bytes (a body the master would otherwise
# send by sendfile) waits too: nothing of the unverified tail comes out.
tail_start=$((IMAGE_SIZE - 100000))
curl -s -r "$tail_start-" --max-time 1 -o "$TEST_DIR/a-tail.out" "$master/images/a.bin"
check_equal "a small Range past the verified bytes gets nothing yet" "0" "$(stat -c %s "$TEST_DIR/a-tail.out" 2>/dev/null || echo 0)"
# The agent cuts the bad piece off and writes it again.
truncate -s $((5 * PIECE_SIZE)) "$images/.partial/a.bin"
python3 "$PIECES_PY" feed "$IMAGE_PATH" "$images/.partial/a.bin" 8000000 $((5 * PIECE_SIZE))
wait "$reader"; status=$?
check_equal "the reader finished without an error" "0" "$status"
check "and got a byte-exact image" cmp "$IMAGE_PATH" "$TEST_DIR/a.out"

# ---- publishing while a slow stream is in flight --------------------------------------------
announce b.bin
python3 "$PIECES_PY" feed "$IMAGE_PATH" "$images/.partial/b.bin" 20000000
curl -s --limit-rate 1000000 -o "$TEST_DIR/b.out" "$master/images/b.bin" &
reader=$!
sleep 0.5
mv "$images/.partial/b.bin" "$images/b.bin"
(cd "$images" && sha256sum b.bin >SHA256SUMS)
rm "$images/.partial/b.bin.pieces"
curl -s -o /dev/null -X POST "$master/-/reload"
check_equal "published: served whole from the manifest" "200" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$master/images/b.bin")"
wait "$reader"; status=$?
check_equal "the stream in flight went on to the end" "0" "$status"
check "... byte-exact" cmp "$IMAGE_PATH" "$TEST_DIR/b.out"
check_equal "the published image keeps the received piece list" "$PIECES_SHA" \
  "$(curl -s "$master/pieces/b.bin" | sha256sum | cut -d' ' -f1)"

# ---- given up: streams end after the verified bytes -----------------------------------------
announce c.bin
python3 "$PIECES_PY" feed "$IMAGE_PATH" "$images/.partial/c.bin" 8000000 0 "$bad"
wait_until 5 relay_field_at_least "$master" '[.receiving[] | select(.name == "c.bin") | .failed_checks] | add' 1
curl -s -o "$TEST_DIR/c.out" "$master/images/c.bin" &
reader=$!
sleep 0.3
rm "$images/.partial/c.bin" "$images/.partial/c.bin.pieces"
wait "$reader"; status=$?
check_equal "a given-up file: the reader is cut short (curl 18)" "18" "$status"
check_equal "... after exactly the verified bytes" "$((5 * PIECE_SIZE))" "$(stat -c %s "$TEST_DIR/c.out")"
check_equal "the given-up image is no longer found" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$master/images/c.bin")"

# ---- nothing new for --relay-wait-timeout: closed -------------------------------------------
announce d.bin
python3 "$PIECES_PY" feed "$IMAGE_PATH" "$images/.partial/d.bin" 8000000 0 "$bad"
started=$(date +%s%N)
curl -s -o "$TEST_DIR/d.out" --max-time 20 "$master/images/d.bin"
status=$?
waited_ms=$(( ($(date +%s%N) - started) / 1000000 ))
check_equal "a reader waiting without progress is closed (curl 18)" "18" "$status"
check "... after --relay-wait-timeout 4s, not before (${waited_ms} ms)" test "$waited_ms" -ge 3900
check_equal "the closed wait is counted" "1" "$(relay_field "$master" .wait_timeouts)"

# ---- SIGTERM while a reader waits: a clean exit ------------------------------------------------
curl -s -o /dev/null "$master/images/d.bin" &
sleep 0.3
stop_daemon master && ok "SIGTERM with a reader waiting: clean exit"
wait
finish
