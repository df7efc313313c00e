#!/usr/bin/env bash
# Clients that reset their connection (SO_LINGER 0 + close) at random points
# of every send path (sendfile, splice, copy, send_zc), thousands of times: half-way through the request,
# right after it (the head send fails), inside the response head, anywhere
# in the body, or never. The server must survive every one (issue: a
# linked send_zc cancelled by a failed head send was followed by a
# notification for the freed connection), free every connection (no
# descriptor or connection left), keep serving byte-exact, and exit 0
# with no sanitizer finding. Run it under the ASan build to catch a
# use-after-free the plain build might survive:
#   tests/run --build build-asan resets
# RESET_ROUNDS (default 2) sets how many seeds each server and image gets.
# timeout: 240
source "$(dirname "$0")/../lib.sh"

rounds=${RESET_ROUNDS:-2}
clients=1500
images=$TEST_DIR/images
make_image "$images" small.bin 65536             # sendfile in auto mode
make_image "$images" mid.bin $((1048576))        # copy in auto mode, sendfile past 32 bodies
make_image "$images" big.bin $((6 * 1048576))    # splice in auto mode (sendfile past 32); two zc chunks
list_images "$images"
small_sha=$(sha_of "$images/small.bin")
big_sha=$(sha_of "$images/big.bin")

# Prints the number of connections the server holds, once lingering ends.
open_connections() { curl -s --max-time 5 "http://127.0.0.1:$1/-/stats" | jq '.connections.open'; }
only_stats_connection_open() { test "$(open_connections "$1")" = 1; }

stress() {
  local server=$1 port=${PORT[$1]} image seed summary resets=0 failed=0 completed=0
  local fds_before
  fds_before=$(fd_count "${DAEMON_PID[$server]}")
  for seed in $(seq 1 "$rounds"); do
    for image in small mid big; do
      summary=$("$CASCADE_BIN/cascade-load" "http://127.0.0.1:$port/images/$image.bin" \
        --clients $clients --threads 2 --connect-burst 64 --reset-randomly --seed "$seed" \
        --deadline 60s --quiet)
      if ! jq -e '.error_total == 0' <<<"$summary" >/dev/null; then
        failed=$((failed + 1))
        echo "# $server $image seed $seed: $summary"
      fi
      resets=$((resets + $(jq '.client_resets // 0' <<<"$summary")))
      completed=$((completed + $(jq '.completed // 0' <<<"$summary")))
      kill -0 "${DAEMON_PID[$server]}" 2>/dev/null || break 2
    done
  done
  if kill -0 "${DAEMON_PID[$server]}" 2>/dev/null; then
    ok "$server: survives $resets client resets at random points ($completed downloads completed meanwhile)"
  else
    not_ok "$server: survives client resets at random points" "$(grep -A25 -E 'ERROR: |runtime error' "$TEST_DIR/$server.log" | head -40)"
    DAEMON_PID[$server]=""
    return
  fi
  check_equal "$server: no client saw an error other than its own reset" 0 "$failed"
  wait_until 15 only_stats_connection_open "$port"
  check_equal "$server: every reset connection is freed" 1 "$(open_connections "$port")"
  check "$server: no descriptor left behind (before: $fds_before, after: $(fd_count "${DAEMON_PID[$server]}"))" \
    test "$(fd_count "${DAEMON_PID[$server]}")" -le "$fds_before"
  check "$server: still serves small.bin byte-exact" "$CASCADE_BIN/cascade-load" \
    "http://127.0.0.1:$port/images/small.bin" --clients 20 --verify-sha256 "$small_sha" --quiet
  check "$server: still serves big.bin byte-exact" "$CASCADE_BIN/cascade-load" \
    "http://127.0.0.1:$port/images/big.bin" --clients 4 --verify-sha256 "$big_sha" --quiet
  stop_daemon "$server" && ok "$server: exits 0 after the stress, no sanitizer finding"
}

# Every client comes from 127.0.0.1: the per-address cap (a 503 when the
# server has not yet seen 1,024 resets) is not what this test is about.
no_cap="--max-connections-per-address 0"
# auto: small.bin by sendfile, mid.bin by copy, big.bin by splice (small
# pipes: more steps to hit), the last two by sendfile past 32 large bodies
# a loop.
start_master auto --images "$images" --threads 2 --pipe-size 64K --sendfile-after 32 $no_cap
stress auto
# every image by send_zc, one loop (big.bin in several chunks).
start_master zc --images "$images" --threads 1 --send-mode zc $no_cap
stress zc
# every image by splice, with pipes large enough for a whole small image.
start_master splice --images "$images" --threads 2 --send-mode splice $no_cap
stress splice
# every image by copy from its mapping (big.bin in two chunks).
start_master copy --images "$images" --threads 2 --send-mode copy $no_cap
stress copy
# every image by sendfile in the loop.
start_master sendfile --images "$images" --threads 1 --send-mode sendfile $no_cap
stress sendfile
finish
