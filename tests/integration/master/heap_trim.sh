#!/usr/bin/env bash
# After a burst of thousands of connections the master gives the heap's
# free pages back: glibc keeps freed memory otherwise, and a gateway that
# once served 6,000 slaves at once would keep that RSS for good. Here the
# RSS grows by megabytes during the burst and, within a few ticks after
# the last connection closed, gives back at least a third of it (the
# receive buffers touched during the burst are a fixed pool and stay).
# timeout: 60
source "$(dirname "$0")/../lib.sh"

case "$CASCADE_BUILD" in
  *build-asan)
    skip "heap returned after a burst" \
      "ASan's allocator keeps freed memory in its quarantine; the plain build checks this"
    finish ;;
esac

images=$TEST_DIR/images
make_image "$images" big.bin $((4 * 1048576 + 3))
list_images "$images"

# Sent from the file (--copy-max-size 0), so no image mapping grows the RSS.
start_master burst --images "$images" --threads 1 --max-connections-per-address 0 --copy-max-size 0
status_kib() { awk -v field="$1:" '$1 == field {print $2}' "/proc/${DAEMON_PID[burst]}/status"; }
before=$(status_kib VmRSS)
# 6,000 keep-alive clients fetch the image again and again for 2 s, then go.
summary=$("$CASCADE_BIN/cascade-load" "${MASTER_URL[burst]}/images/big.bin" --clients 6000 --threads 2 \
            --duration 2s --deadline 30s --quiet)
check "6,000 clients at once, no errors" jq -e ".error_total == 0 and .bytes > 0" <<<"$summary"
peak=$(status_kib VmHWM)
growth=$((peak - before))
check "the burst grew the RSS by megabytes ($growth KiB)" test "$growth" -ge 2048
closed() { test "$(server_stats burst | jq '.connections.open')" -le 1; }
check "every connection closed after the burst (but the one asking)" wait_until 10 closed
# Without the trim nothing of the growth comes back; the receive buffers
# touched during the burst stay (a fixed pool), the rest goes.
given_back() { test $(($(status_kib VmRSS) - before)) -le $((growth * 2 / 3)); }
if wait_until 5 given_back; then
  ok "the heap went back: RSS $(status_kib VmRSS) KiB, $before before the burst, $peak at its peak"
else
  not_ok "the heap went back after the burst" "RSS $(status_kib VmRSS) KiB, $before before, $peak at its peak"
fi
stop_daemon burst
finish
