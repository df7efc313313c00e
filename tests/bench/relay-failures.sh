#!/usr/bin/env bash
# Benchmark: failures in a cut-through tree, and the bytes they cost.
#   killed   a mid-tree relay (cascade-cpe + its cascade-master) receiving the
#            image from the origin over a capped link and serving CHILDREN
#            cascade-cpe devices while it receives is killed (SIGKILL) at 50%;
#            each child is then pointed at the origin and resumes
#   corrupt  a source serving one corrupt piece (the right piece list, one
#            flipped byte in piece 5: a compromised or broken relay) to CHILDREN
#            devices, and to a relay whose own CHILDREN download from it while
#            it receives; every device that caught the bad piece is pointed at
#            the origin and resumes
# A device's re-downloaded bytes are what its HTTP client received beyond the
# image's size over all its attempts (its log's "N bytes received" lines):
# bytes it had to drop and fetch again. Target: at most one piece per
# affected device. Devices are real cascade-cpe agents driven by the scripted
# ACS of the relay tests (which source to use, when).
#
# Environment:
#   BENCH_RELAY_CHILDREN=6        children per source
#   BENCH_RELAY_IMAGE_SIZE=16M    image size (bytes, K or M)
#   BENCH_RELAY_PIECE_SIZE=262144 piece size
#   BENCH_RELAY_RATE=4000000      the relays' receive rate (bytes/s), their gateway link
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export CASCADE_BUILD=${CASCADE_BUILD:-$root/build}
source "$root/tests/integration/lib.sh"

children=${BENCH_RELAY_CHILDREN:-6}
size_text=${BENCH_RELAY_IMAGE_SIZE:-16M}
case "$size_text" in *M) size=$(( ${size_text%M} * 1024 * 1024 )) ;; *K) size=$(( ${size_text%K} * 1024 )) ;; *) size=$size_text ;; esac
piece=${BENCH_RELAY_PIECE_SIZE:-262144}
rate=${BENCH_RELAY_RATE:-4000000}
bad_piece=5

make_image "$TEST_DIR/origin" fw.bin "$size"
image_pieces "$piece"
start_relay_acs
start_master origin --images "$TEST_DIR/origin" --threads 2 --origin --piece-size "$piece"
origin=${MASTER_URL[origin]}

# received SERIAL_PREFIX NAME: bytes NAME's agent received over its downloads.
received() { grep -o "download [a-z0-9-]*: [0-9]* bytes received" "$TEST_DIR/$1.log" | awk '{sum += $3} END {print sum + 0}'; }
declare -a rows=()
report() {   # report SCENARIO NAMES...: one line per scenario
  local scenario=$1 name worst=0 total=0 count=0 over=0 extra
  shift
  for name in "$@"; do
    extra=$(( $(received "$name") - size ))
    total=$((total + extra)); count=$((count + 1))
    [ "$extra" -gt "$worst" ] && worst=$extra
    [ "$extra" -gt "$piece" ] && over=$((over + 1))
    if ! cmp -s "$IMAGE_PATH" "$TEST_DIR/$name/images/fw.bin" && ! cmp -s "$IMAGE_PATH" "$TEST_DIR/$name-images/fw.bin"; then
      echo "  $name: NO VERIFIED IMAGE"; over=$((over + 1))
    fi
  done
  rows+=("$(printf '%-44s %7d %12d %14d %10s' "$scenario" "$count" "$total" "$worst" \
    "$([ "$over" -eq 0 ] && echo yes || echo "NO ($over)")")")
  [ "$over" -eq 0 ] || not_ok "$scenario: at most one piece re-downloaded per device, every image verified"
}

# ---- killed: a mid-tree relay dies at 50% -------------------------------------------------
mkdir -p "$TEST_DIR/relay-images"
start_master relay-master --images "$TEST_DIR/relay-images" --threads 2
relay=${MASTER_URL[relay-master]}
start_relay_device relay R0 --file-server-url "$relay" --image-dir "$TEST_DIR/relay-images" --download-rate-limit "$rate"
names=()
for i in $(seq 1 "$children"); do start_relay_device "k$i" "K$i"; names+=("k$i"); done
send_download relay R0 r0 "$origin/images/fw.bin"
wait_until 15 relay_field_is "$relay" '.receiving[0].announced' true
for i in $(seq 1 "$children"); do send_download "k$i" "K$i" "k$i-1" "$relay/images/fw.bin"; done
wait_until 60 relay_field_at_least "$relay" '.receiving[0].verified_bytes' $((size / 2))
killed_at=$(relay_field "$relay" '.receiving[0].verified_bytes')
kill_hard relay; kill_hard relay-master
failed_at=$(date +%s.%N)
for i in $(seq 1 "$children"); do
  wait_transfer "k$i-1" 60
  send_download "k$i" "K$i" "k$i-2" "$origin/images/fw.bin"
done
for i in $(seq 1 "$children"); do wait_transfer "k$i-2" 60; done
recovered=$(python3 -c "import time; print('%.2f' % (time.time() - $failed_at))")
echo "killed: the relay held $killed_at of $size bytes when killed; $children children recovered ${recovered} s later"
for i in $(seq 1 "$children"); do
  echo "  k$i: resumed at byte $(grep -o "download k$i-2: resuming [^ ]* at byte [0-9]*" "$TEST_DIR/k$i.log" | awk '{print $NF}'), fault of the first attempt $(transfer_fault "k$i-1")"
done
report "mid-tree relay killed at 50%: its children" "${names[@]}"

# ---- corrupt: a source serves one bad piece ------------------------------------------------
mkdir -p "$TEST_DIR/bad"
python3 "$INTEGRATION_DIR/relay/pieces.py" list "$IMAGE_PATH" "$piece" >"$TEST_DIR/bad/fw.bin.pieces"
python3 - "$IMAGE_PATH" "$TEST_DIR/bad/fw.bin" $((bad_piece * piece + 1000)) <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[int(sys.argv[3])] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
start_daemon bad-source python3 "$INTEGRATION_DIR/relay/lying_source.py" --list "$TEST_DIR/bad/fw.bin.pieces" \
  --file "$TEST_DIR/bad/fw.bin" --name fw.bin --port-file "$TEST_DIR/bad.port" --log "$TEST_DIR/bad.jsonl"
wait_until 10 test -s "$TEST_DIR/bad.port"
bad="http://127.0.0.1:$(cat "$TEST_DIR/bad.port")"
mkdir -p "$TEST_DIR/relay2-images"
start_master relay2-master --images "$TEST_DIR/relay2-images" --threads 2
relay2=${MASTER_URL[relay2-master]}
start_relay_device relay2 R2 --file-server-url "$relay2" --image-dir "$TEST_DIR/relay2-images" --download-rate-limit "$rate"
direct=(); behind=()
for i in $(seq 1 "$children"); do start_relay_device "d$i" "D$i"; direct+=("d$i"); done
for i in $(seq 1 "$children"); do start_relay_device "b$i" "B$i"; behind+=("b$i"); done
send_download relay2 R2 r2-1 "$bad/images/fw.bin"
wait_until 15 relay_field_is "$relay2" '.receiving[0].announced' true
for i in $(seq 1 "$children"); do
  send_download "d$i" "D$i" "d$i-1" "$bad/images/fw.bin"
  send_download "b$i" "B$i" "b$i-1" "$relay2/images/fw.bin"
done
wait_transfer r2-1 60
send_download relay2 R2 r2-2 "$origin/images/fw.bin"
for i in $(seq 1 "$children"); do
  wait_transfer "d$i-1" 60
  send_download "d$i" "D$i" "d$i-2" "$origin/images/fw.bin"
done
for i in $(seq 1 "$children"); do wait_transfer "d$i-2" 60; wait_transfer "b$i-1" 90; done
wait_transfer r2-2 60
echo "corrupt: the relay's first attempt: $(transfer_fault r2-1) $(transfer_string r2-1)"
echo "corrupt: a direct child's first attempt: $(transfer_fault d1-1) $(transfer_string d1-1)"
echo "corrupt: the relay's children: $(for i in $(seq 1 "$children"); do printf '%s ' "$(transfer_fault "b$i-1")"; done)(faults, 0: done in one Download)"
report "source with a corrupt piece: its children" "${direct[@]}"
report "... a relay downloading from it" relay2
report "... that relay's children (cut-through)" "${behind[@]}"

echo
echo "relay failures: image $size bytes, pieces of $piece bytes, relays receive at $rate bytes/s, $children children per source"
printf '%-44s %7s %12s %14s %10s\n' "scenario" "devices" "re-dl total" "re-dl worst" "<= 1 piece"
for row in "${rows[@]}"; do echo "$row"; done
for name in $(printf '%s\n' "${!DAEMON_PID[@]}"); do stop_daemon "$name" >/dev/null; done
finish   # exit 1 when a scenario missed the target
