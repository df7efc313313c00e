#!/usr/bin/env bash
# Byte-exact downloads from cascade-master with curl and with cascade-load,
# over the four body paths (server auto: splice for the large image and
# sendfile past --sendfile-after, send_zc for the small one; servers zc,
# copy and sendfile; server mapped (auto with --copy-max-size 1G, the table
# where the congestion control paces): sendfile for the small image, copy
# for the large one at any count; server default: what auto does with this
# host's congestion control, sendfile for both unless it paces): full GETs, resumed
# downloads (curl -C - and cascade-load --resume), HEAD, ranges, 416,
# If-None-Match -> 304, If-Range, the digest headers, /-/stats, /metrics,
# and group attribution (group=N counted per group).
# timeout: 120
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" big.bin $((3 * 1048576 + 12345))
make_image "$images" small.bin 5000
list_images "$images"
big_sha=$(sha_of "$images/big.bin")
small_sha=$(sha_of "$images/small.bin")

start_master auto --images "$images" --threads 1 --zc-max-size 64K --copy-max-size 1M --sendfile-after 2
start_master zc --images "$images" --threads 1 --send-mode zc
start_master copy --images "$images" --threads 1 --send-mode copy
start_master sendfile --images "$images" --threads 2 --send-mode sendfile
start_master mapped --images "$images" --threads 1 --copy-max-size 1G --sendfile-after 2
start_master default --images "$images" --threads 1
check "log names the send modes" grep -q 'send mode auto' "$TEST_DIR/auto.log"
send_methods() { curl -s --max-time 5 "http://127.0.0.1:${PORT[$1]}/-/stats" | jq -r '[.images[] | "\(.name)=\(.send)"] | sort | join(" ")'; }
check_equal "auto with --zc-max-size 64K --copy-max-size 1M: big from the file, small mapped for send_zc" \
  "big.bin=file small.bin=zc" "$(send_methods auto)"
check_equal "auto with --copy-max-size 1G: the 3 MiB image mapped for copy, the 5000-byte one not mapped" \
  "big.bin=copy small.bin=file" "$(send_methods mapped)"
default_congestion=$(curl -s --max-time 5 "http://127.0.0.1:${PORT[default]}/-/stats" | jq -r .congestion_control)
if [[ $default_congestion == bbr* ]]; then default_big=copy; else default_big=file; fi
check_equal "default auto ($default_congestion): the 3 MiB image $default_big, the 5000-byte one not mapped" \
  "big.bin=$default_big small.bin=file" "$(send_methods default)"
check_equal "--send-mode copy: every image mapped" "big.bin=copy small.bin=copy" "$(send_methods copy)"

for server in auto zc copy sendfile mapped default; do
  base="http://127.0.0.1:${PORT[$server]}/images"
  for name in big.bin small.bin; do
    curl -s --max-time 30 -o "$TEST_DIR/$server-$name" "$base/$name"
    check_equal "$server: curl downloads $name byte-exact" "$(sha_of "$images/$name")" \
      "$(sha_of "$TEST_DIR/$server-$name")"
  done
  check "$server: cascade-load downloads big.bin byte-exact (8 clients, SHA-256 checked)" \
    "$CASCADE_BIN/cascade-load" "$base/big.bin" --clients 8 --threads 2 --verify-sha256 "$big_sha" \
      --expect-size $((3 * 1048576 + 12345)) --deadline 30s --quiet
  check "$server: cascade-load downloads small.bin byte-exact" \
    "$CASCADE_BIN/cascade-load" "$base/small.bin" --clients 4 --verify-sha256 "$small_sha" --quiet

  # Resume: a partial file continued with Range equals the image.
  head -c 1000000 "$images/big.bin" >"$TEST_DIR/partial"
  curl -s --max-time 30 -C - -o "$TEST_DIR/partial" "$base/big.bin"
  check_equal "$server: curl -C - resumes to the exact image" "$big_sha" "$(sha_of "$TEST_DIR/partial")"
  head -c 777 "$images/big.bin" >"$TEST_DIR/partial2"
  summary=$("$CASCADE_BIN/cascade-load" "$base/big.bin" --output "$TEST_DIR/partial2" --resume \
              --verify-sha256 "$big_sha" --quiet)
  check_equal "$server: cascade-load --resume continues with 206 from byte 777" "206 777" \
    "$(jq -r '"\(.download.status) \(.download.resumed_from)"' <<<"$summary")"
  check_equal "$server: the resumed file is the image" "$big_sha" "$(sha_of "$TEST_DIR/partial2")"
done

base="http://127.0.0.1:${PORT[auto]}/images"
size=$((3 * 1048576 + 12345))

# HEAD: the headers of a GET, no body.
headers=$(curl -s -I --max-time 10 "$base/big.bin" | tr -d '\r')
check "HEAD answers 200" grep -q '^HTTP/1.1 200' <<<"$headers"
check "HEAD has Content-Length of the image" grep -qx "Content-Length: $size" <<<"$headers"
check "ETag is the quoted SHA-256" grep -qx "ETag: \"$big_sha\"" <<<"$headers"
check "X-Cascade-SHA256 header" grep -qx "X-Cascade-SHA256: $big_sha" <<<"$headers"
b64=$(xxd -r -p <<<"$big_sha" | base64 -w0)
check "Repr-Digest header (RFC 9530)" grep -qx "Repr-Digest: sha-256=:$b64:" <<<"$headers"
check "Digest header (RFC 3230)" grep -qx "Digest: SHA-256=$b64" <<<"$headers"
check "Accept-Ranges: bytes" grep -qx "Accept-Ranges: bytes" <<<"$headers"
bytes=$(raw_request "${PORT[auto]}" 'HEAD /images/small.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | wc -c)
check "HEAD sends no body" test "$bytes" -lt 1000

# Ranges
range_check() {
  local what=$1 range=$2 expected_status=$3 first=$4 count=$5 status
  status=$(curl -s --max-time 10 -o "$TEST_DIR/range" -w '%{http_code}' -H "Range: $range" "$base/big.bin")
  check_equal "$what: status" "$expected_status" "$status"
  if [ -n "$count" ]; then
    check_equal "$what: body bytes" "$(tail -c +$((first + 1)) "$images/big.bin" | head -c "$count" | sha256sum)" \
      "$(sha256sum <"$TEST_DIR/range")"
  fi
}
range_check "bytes=a-b" "bytes=100-199" 206 100 100
range_check "bytes=a-" "bytes=$((size - 10))-" 206 $((size - 10)) 10
range_check "bytes=-n" "bytes=-4096" 206 $((size - 4096)) 4096
range_check "range past the end is clipped" "bytes=$((size - 5))-99999999999" 206 $((size - 5)) 5
range_check "several ranges: whole image (documented)" "bytes=0-1,10-11" 200 0 "$size"
range_check "invalid range ignored" "bytes=9-1" 200 0 "$size"
range_check "other unit ignored" "items=0-1" 200 0 "$size"
range_check "unsatisfiable range" "bytes=$size-" 416 "" ""
check "416 carries Content-Range: bytes */size" bash -c \
  "curl -s -D - -o /dev/null -H 'Range: bytes=$size-' '$base/big.bin' | tr -d '\r' | grep -qx 'Content-Range: bytes \*/$size'"
check "206 carries Content-Range" bash -c \
  "curl -s -D - -o /dev/null -H 'Range: bytes=5-9' '$base/big.bin' | tr -d '\r' | grep -qx 'Content-Range: bytes 5-9/$size'"

# Conditionals
check_equal "If-None-Match with the ETag: 304" 304 "$(http_status "$base/big.bin" -H "If-None-Match: \"$big_sha\"")"
check_equal "If-None-Match with another tag: 200" 200 "$(http_status "$base/big.bin" -H 'If-None-Match: "nope"')"
check_equal "If-Range matching: 206" 206 "$(http_status "$base/big.bin" -H 'Range: bytes=0-9' -H "If-Range: \"$big_sha\"")"
check_equal "If-Range stale: whole image 200" 200 "$(http_status "$base/big.bin" -H 'Range: bytes=0-9' -H 'If-Range: "old"')"
check_equal "If-Match failing: 412" 412 "$(http_status "$base/big.bin" -H 'If-Match: "old"')"

# Keep-alive: two requests on one connection.
output=$(curl -s --max-time 10 -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/small.bin" "$base/small.bin")
check_equal "keep-alive: second request reuses the connection" "1 0" "$(tr '\n' ' ' <<<"$output" | xargs)"

# Group attribution: group=N counted per group; the query never changes the file.
curl -s --max-time 10 -o "$TEST_DIR/grouped" "$base/small.bin?group=42&x=../big.bin"
check_equal "query string does not change the file served" "$small_sha" "$(sha_of "$TEST_DIR/grouped")"
stats=$(curl -s --max-time 10 "http://127.0.0.1:${PORT[auto]}/-/stats")
check_equal "/-/stats counts bytes for group 42" 5000 "$(jq -r '.groups["42"].bytes' <<<"$stats")"
check "/-/stats counts 200, 206, 304, 416 responses" \
  jq -e '.requests.by_status["200"] > 0 and .requests.by_status["206"] > 0 and .requests.by_status["304"] > 0 and .requests.by_status["416"] > 0' <<<"$stats"
check "/-/stats counts bytes per image" jq -e '.image_bytes_sent["big.bin"] > 3000000' <<<"$stats"
check "splice and send_zc both carried bytes" jq -e '.send.splice_bytes > 0 and .send.zc_bytes > 0' <<<"$stats"
zc_stats=$(curl -s --max-time 10 "http://127.0.0.1:${PORT[zc]}/-/stats")
check "zc server: every byte by send_zc, notifications received" \
  jq -e '.send.splice_bytes == 0 and .send.zc_bytes > 3000000 and .send.zc_notifications > 0' <<<"$zc_stats"
metrics=$(curl -s --max-time 10 "http://127.0.0.1:${PORT[auto]}/metrics")
check "/metrics has per-image byte counters" grep -q '^cascade_master_image_bytes_sent_total{image="big.bin"} [1-9]' <<<"$metrics"
check "/metrics has requests by status" grep -q '^cascade_master_requests_total{status="206"} [1-9]' <<<"$metrics"
check "/metrics has per-group bytes" grep -q '^cascade_master_group_bytes_sent_total{group="42"} 5000$' <<<"$metrics"
# The host's TCP memory: the thresholds are net.ipv4.tcp_mem's, the
# pressure counters the kernel's (TcpExt, read by nstat too).
read -r tcp_low tcp_pressure tcp_limit </proc/sys/net/ipv4/tcp_mem
check_equal "/-/stats shows the host's tcp_mem thresholds" "$tcp_low $tcp_pressure $tcp_limit" \
  "$(jq -r '.tcp_memory | "\(.low_pages) \(.pressure_pages) \(.limit_pages)"' <<<"$stats")"
check "/-/stats shows the TCP pages in use and the pressure counters" \
  jq -e '.tcp_memory | (.pages >= 0) and (.pressure_events >= 0) and (.pressure_seconds >= 0)' <<<"$stats"
check "/metrics has the pressure threshold" \
  grep -qx "cascade_master_tcp_memory_threshold_pages{threshold=\"pressure\"} $tcp_pressure" <<<"$metrics"
pressure_events=$(nstat -asz TcpExtTCPMemoryPressures | awk '/TcpExtTCPMemoryPressures/ {print $2}')
check "/metrics counts the kernel's pressure events as nstat does ($pressure_events)" \
  grep -qx "cascade_master_tcp_memory_pressure_events_total $pressure_events" <<<"$metrics"
check "promtool check metrics accepts the master's /metrics" promtool check metrics <<<"$metrics"
if [ "$(id -u)" -ne 0 ]; then
  check "without root, SO_MARK failure is logged once" test "$(grep -c 'cannot set SO_MARK' "$TEST_DIR/auto.log")" -eq 1
else
  check "as root, SO_MARK is set without complaint" bash -c "! grep -q 'SO_MARK' '$TEST_DIR/auto.log'"
fi

method_bytes() { curl -s --max-time 10 "http://127.0.0.1:${PORT[$1]}/-/stats" | jq -c '.send | [.splice_bytes, .copy_bytes, .sendfile_bytes, .zc_bytes] | map(. > 0)'; }
check "auto: the large bodies by splice, small.bin by send_zc, nothing by copy (small ranges go by sendfile)" \
  jq -e '.send.splice_bytes > 3000000 and .send.zc_bytes > 0 and .send.copy_bytes == 0' \
  <<<"$(curl -s --max-time 10 "http://127.0.0.1:${PORT[auto]}/-/stats")"
check_equal "copy server: bytes by copy only" '[false,true,false,false]' "$(method_bytes copy)"
check_equal "sendfile server: bytes by sendfile only" '[false,false,true,false]' "$(method_bytes sendfile)"
check_equal "mapped: small.bin by sendfile, big.bin by copy" '[false,true,true,false]' "$(method_bytes mapped)"
if [ "$default_big" = copy ]; then default_bytes='[false,true,true,false]'; else default_bytes='[false,false,true,false]'; fi
check_equal "default ($default_congestion): small.bin by sendfile, big.bin by ${default_big/file/sendfile}" \
  "$default_bytes" "$(method_bytes default)"
metrics=$(curl -s --max-time 10 "http://127.0.0.1:${PORT[mapped]}/metrics")
check "/metrics counts bytes by send method" grep -q '^cascade_master_send_bytes_total{method="copy"} [1-9]' <<<"$metrics"
# Past --sendfile-after (2 here) a loop sends further large bodies of an
# unmapped image by sendfile instead of splice; a mapped image goes by copy
# at any count. 8 concurrent downloads each, every one byte-exact.
send_counter() { curl -s --max-time 10 "http://127.0.0.1:${PORT[$1]}/-/stats" | jq ".send.$2"; }
sendfile_before=$(send_counter auto sendfile_bytes)
check "auto: 8 concurrent downloads of big.bin byte-exact across splice and sendfile" \
  "$CASCADE_BIN/cascade-load" "http://127.0.0.1:${PORT[auto]}/images/big.bin" --clients 8 \
    --verify-sha256 "$big_sha" --deadline 30s --quiet
check "auto: past --sendfile-after the unmapped image went by sendfile too" \
  test "$(send_counter auto sendfile_bytes)" -ge $((sendfile_before + size))
copy_before=$(send_counter mapped copy_bytes)
sendfile_before=$(send_counter mapped sendfile_bytes)
check "mapped: 8 concurrent downloads of big.bin byte-exact" \
  "$CASCADE_BIN/cascade-load" "http://127.0.0.1:${PORT[mapped]}/images/big.bin" --clients 8 \
    --verify-sha256 "$big_sha" --deadline 30s --quiet
check "mapped: the mapped image went by copy past --sendfile-after too" \
  test "$(send_counter mapped copy_bytes)" -ge $((copy_before + 8 * size))
check_equal "mapped: no body bytes by sendfile for the mapped image" \
  "$sendfile_before" "$(send_counter mapped sendfile_bytes)"

for server in auto zc copy sendfile mapped default; do
  stop_daemon "$server" && ok "$server server exits cleanly on SIGTERM"
done
finish
