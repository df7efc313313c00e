#!/usr/bin/env bash
# Pacing of large bodies (--pacing-rate, --pacing-from, --pacing-scope):
# by default (--pacing-rate auto) a master whose connections do not pace
# on their own (cubic) watches how the reader of a body of 4 MiB or more
# acknowledges it, and has the kernel pace one that acknowledges nearly
# every segment at up to 400 MiB/s, if that reader's acknowledgements
# come as interrupts (--pacing-scope network): across a network device,
# or on this host only while it steers loopback packets (RPS, as the
# benchmark's steered runs do); one whose connections pace (bbr), and
# --pacing-rate 0, do not. A slow reader (8 KiB reads, 10 MB/s) over
# plain loopback is not paced by default, is paced once loopback packets
# are steered, which `ss -ti` shows on its connection (pacing_rate
# .../MAXbps), and is paced on plain loopback with --pacing-scope any; a
# reader that keeps up (cascade-load) is not; bodies arrive byte-exact,
# /-/stats and /metrics count the paced bodies, a body under
# --pacing-from is not watched, and bad values are refused. Why:
# docs/master.md.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
size=$((24 * 1048576 + 4321))
make_image "$images" big.bin "$size"
make_image "$images" small.bin 65536
list_images "$images"
big_sha=$(sha_of "$images/big.bin")

start_master default --images "$images" --threads 1 --congestion-control cubic
start_master capped --images "$images" --threads 1 --pacing-rate 16M --pacing-from 1M --pacing-scope any
start_master off --images "$images" --threads 1 --congestion-control cubic --pacing-rate 0

check_equal "cubic, auto: 400 MiB/s a connection" $((400 * 1048576)) \
  "$(server_stats default | jq .pacing.rate)"
check_equal "from 4 MiB bodies by default" $((4 * 1048576)) "$(server_stats default | jq .pacing.from)"
check_equal "only readers whose acknowledgements come as interrupts by default" network \
  "$(server_stats default | jq -r .pacing.scope)"
check_equal "--pacing-rate 16M --pacing-from 1M --pacing-scope any" "16777216 1048576 any" \
  "$(server_stats capped | jq -r '"\(.pacing.rate) \(.pacing.from) \(.pacing.scope)"')"
check_equal "--pacing-rate 0: off" 0 "$(server_stats off | jq .pacing.rate)"
if grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
  start_master bbr --images "$images" --threads 1 --congestion-control bbr --pacing-rate auto
  check_equal "bbr paces on its own: auto sets no cap" 0 "$(server_stats bbr | jq .pacing.rate)"
fi

# A reader like wrk: 8 KiB reads, the kernel's receive buffer, slower
# than the server (10 MB/s here), so its window opens a segment at a time.
slow_reader() {
  python3 - "$@" <<'PYTHON'
import socket, sys, time
port, path, out, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path).encode())
data, start = bytearray(), time.monotonic()
while time.monotonic() - start < 60:
    chunk = s.recv(8192)
    if not chunk:
        break
    data += chunk
    if len(data) > (time.monotonic() - start) * rate:
        time.sleep(0.001)
head, _, body = bytes(data).partition(b"\r\n\r\n")
sys.exit(0 if head.startswith(b"HTTP/1.1 200") and open(out, "wb").write(body) else 1)
PYTHON
}
pacing_of() { ss -tinH state established "( sport = :${PORT[$1]} )" | grep -oE 'pacing_rate [0-9]+bps(/[0-9]+bps)?' | head -1; }
steering=/sys/class/net/lo/queues/rx-0/rps_cpus
saved_steering=$(cat "$steering")
on_exit "echo $saved_steering >$steering"
echo 0 >"$steering"
# NAME LOOPBACK whether the reader's connection gets a cap
for run in "default plain unpaced" "default steered capped" "capped plain capped" "off steered unpaced"; do
  read -r name loopback expect <<<"$run"
  label="$name, $loopback loopback"
  if [ "$loopback" = steered ]; then printf '%x\n' $(((1 << $(nproc)) - 1)) >"$steering"; else echo 0 >"$steering"; fi
  slow_reader "${PORT[$name]}" /images/big.bin "$TEST_DIR/$name-$loopback.out" 10000000 &
  reader=$!
  capped_now() { grep -q / <<<"$(pacing_of "$name")"; }
  connected() { test -n "$(pacing_of "$name")"; }
  case $expect in
    capped)
      check "$label: the slow reader's connection gets a cap" wait_until 20 capped_now
      expected=$((8 * 16 * 1048576)); [ "$name" = default ] && expected=$((8 * 400 * 1048576))
      check_equal "$label: ss shows the cap" "/${expected}bps" "$(grep -o '/[0-9]*bps' <<<"$(pacing_of "$name")")" ;;
    unpaced)
      check "$label: the slow reader is connected" wait_until 10 connected
      sleep 2
      check "$label: no cap on the connection ($(pacing_of "$name"))" bash -c "! grep -q / <<<'$(pacing_of "$name")'" ;;
  esac
  status=0
  wait "$reader" || status=$?
  check_equal "$label: the slow reader got the whole body" 0 "$status"
  check_equal "$label: byte-exact" "$big_sha" "$(sha_of "$TEST_DIR/$name-$loopback.out")"
done
echo "$saved_steering" >"$steering"
check_equal "capped: one paced body" 1 "$(server_stats capped | jq .send.paced_bodies)"
check_equal "default: one paced body (the steered one)" 1 "$(server_stats default | jq .send.paced_bodies)"
check_equal "off: none" 0 "$(server_stats off | jq .send.paced_bodies)"

# Readers that keep up acknowledge a few segments at a time: not paced,
# even with --pacing-scope any.
check "capped: 4 concurrent cascade-load downloads byte-exact" "$CASCADE_BIN/cascade-load" \
  "${MASTER_URL[capped]}/images/big.bin" --clients 4 --verify-sha256 "$big_sha" --deadline 60s --quiet
check_equal "capped: none of them paced" 1 "$(server_stats capped | jq .send.paced_bodies)"
check "a 64 KiB body, under --pacing-from" curl -sf --max-time 10 -o "$TEST_DIR/small.out" \
  "${MASTER_URL[capped]}/images/small.bin"
check_equal "the small body is byte-exact" "$(sha_of "$images/small.bin")" "$(sha_of "$TEST_DIR/small.out")"
check_equal "capped: still one paced body" 1 "$(server_stats capped | jq .send.paced_bodies)"

metrics=$(curl -s --max-time 10 "${MASTER_URL[capped]}/metrics")
check "/metrics counts the paced bodies" grep -qx 'cascade_master_paced_bodies_total 1' <<<"$metrics"
check "promtool check metrics accepts it" promtool check metrics <<<"$metrics"

for value in fast 2T -1; do
  status=0
  "$CASCADE_BIN/cascade-master" --images "$images" --pacing-rate "$value" 2>"$TEST_DIR/refusal" || status=$?
  check_equal "--pacing-rate $value: refused with usage status 2" 2 "$status"
  check "--pacing-rate $value: the error names the flag" grep -q -- "bad value '$value' for --pacing-rate" \
    "$TEST_DIR/refusal"
done

finish
