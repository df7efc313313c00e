#!/usr/bin/env bash
# The send gate (--tcp-memory-gate): image sends wait while the host's TCP
# memory is at or over the mark. With a mark of one page the gate is
# closed whenever any TCP socket holds data, so every path (sendfile,
# copy, splice, send_zc) is held again and again: downloads still finish
# byte-exact (the gate lets at least one connection go per millisecond),
# /-/stats and /metrics count the holds, 50 clients cut off while most of
# them wait at the gate leave the server serving with no connection left
# behind, and the default mark is the host's tcp_mem low mark; 0 turns
# it off. Why the gate: docs/master.md.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
size=$((6 * 1048576 + 4321))
make_image "$images" big.bin "$size"
list_images "$images"
big_sha=$(sha_of "$images/big.bin")

for mode in sendfile copy splice zc; do
  start_master "$mode" --images "$images" --threads 2 --send-mode "$mode" --tcp-memory-gate 4096
done
start_master default --images "$images" --threads 1
start_master off --images "$images" --threads 1 --tcp-memory-gate 0

read -r tcp_low _ </proc/sys/net/ipv4/tcp_mem
check_equal "default: the gate's mark is the host's tcp_mem low mark" "$tcp_low" \
  "$(server_stats default | jq .tcp_memory.gate_pages)"
check_equal "--tcp-memory-gate 4096: a mark of one page" 1 "$(server_stats sendfile | jq .tcp_memory.gate_pages)"
check_equal "--tcp-memory-gate 0: no gate" 0 "$(server_stats off | jq .tcp_memory.gate_pages)"

for mode in sendfile copy splice zc; do
  check "$mode through a closed gate: 4 concurrent downloads byte-exact" \
    "$CASCADE_BIN/cascade-load" "${MASTER_URL[$mode]}/images/big.bin" --clients 4 \
      --verify-sha256 "$big_sha" --deadline 60s --quiet
  stats=$(server_stats "$mode")
  check "$mode: the gate held sends ($(jq .send.gate_holds <<<"$stats") times)" \
    jq -e '.send.gate_holds > 0' <<<"$stats"
  check "$mode: every body byte went out ($(jq .bytes_sent <<<"$stats"))" \
    jq -e ".bytes_sent == $((4 * size))" <<<"$stats"
done
check "curl through the closed gate: byte-exact" \
  curl -sf --max-time 30 -o "$TEST_DIR/curl.out" "${MASTER_URL[sendfile]}/images/big.bin"
check_equal "curl: the body is the image" "$big_sha" "$(sha_of "$TEST_DIR/curl.out")"

check "off: 4 downloads byte-exact" "$CASCADE_BIN/cascade-load" "${MASTER_URL[off]}/images/big.bin" \
  --clients 4 --verify-sha256 "$big_sha" --deadline 60s --quiet
check_equal "off: nothing held" 0 "$(server_stats off | jq .send.gate_holds)"

metrics=$(curl -s --max-time 10 "${MASTER_URL[sendfile]}/metrics")
check "/metrics counts the holds" grep -qE '^cascade_master_send_gate_holds_total [1-9]' <<<"$metrics"
check "/metrics shows the gate's mark" \
  grep -qx 'cascade_master_tcp_memory_threshold_pages{threshold="gate"} 1' <<<"$metrics"
check "promtool check metrics accepts it" promtool check metrics <<<"$metrics"

# 50 clients on each path, cut off after half a second: most are waiting at
# the gate then (one goes per millisecond), and each must leave the queue as
# its connection closes.
for mode in sendfile copy splice zc; do
  holds_before=$(server_stats "$mode" | jq .send.gate_holds)
  "$CASCADE_BIN/cascade-load" "${MASTER_URL[$mode]}/images/big.bin" --clients 50 \
    --deadline 60s --quiet >/dev/null 2>&1 &
  loader=$!
  sleep 0.5
  kill -9 "$loader" 2>/dev/null
  wait "$loader" 2>/dev/null
  open_connections() { test "$(server_stats "$1" | jq .connections.open)" -le 1; }
  check "$mode: the cut-off clients' connections are all gone" wait_until 20 open_connections "$mode"
  holds=$(( $(server_stats "$mode" | jq .send.gate_holds) - holds_before ))
  check "$mode: the 50 clients waited at the gate ($holds holds)" test "$holds" -ge 50
  check "$mode: still serving byte-exact after that" \
    "$CASCADE_BIN/cascade-load" "${MASTER_URL[$mode]}/images/big.bin" --clients 2 \
      --verify-sha256 "$big_sha" --deadline 60s --quiet
done
for name in sendfile copy splice zc default off; do
  stop_daemon "$name"
done

for value in lots -1 1x; do
  status=0
  "$CASCADE_BIN/cascade-master" --images "$images" --tcp-memory-gate "$value" 2>"$TEST_DIR/refusal" || status=$?
  check_equal "--tcp-memory-gate $value: refused with usage status 2" 2 "$status"
  check "--tcp-memory-gate $value: the error names the flag" \
    grep -q -- "bad value '$value' for --tcp-memory-gate" "$TEST_DIR/refusal"
done
finish
