#!/usr/bin/env bash
# The image table follows the folder without a restart: a half-written
# image (listed, content not matching) is never served; an image added by
# atomic rename + manifest rewrite is served after the automatic (inotify)
# reload; replacing or removing an image does not disturb transfers in
# flight, which finish byte-exact with the content they started with, over
# splice, copy, sendfile and send_zc. POST /-/reload and SIGHUP reload too.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
mkdir -p "$images"
head -c $((4 * 1048576)) /dev/urandom >"$images/a.bin"
head -c 300000 /dev/urandom >"$TEST_DIR/half-full"
head -c 100000 "$TEST_DIR/half-full" >"$images/half.bin"   # still being written
list_images "$images" a.bin
echo "$(sha_of "$TEST_DIR/half-full")  half.bin" >>"$images/SHA256SUMS"
old_a=$(sha_of "$images/a.bin")

start_master splice --images "$images" --threads 2 --send-mode splice
start_master copy --images "$images" --threads 1 --send-mode copy
start_master sendfile --images "$images" --threads 1 --send-mode sendfile
start_master zc --images "$images" --threads 1 --send-mode zc
check "the half-written image is refused at load" grep -q 'image half.bin not served: content does not match' "$TEST_DIR/splice.log"
for server in splice copy sendfile zc; do
  check_equal "$server: half-written image answers 404" 404 \
    "$(http_status "http://127.0.0.1:${PORT[$server]}/images/half.bin")"
done

# Slow downloads of a.bin in flight on every server (about 2 s each).
for server in splice copy sendfile zc; do
  slow_download "${PORT[$server]}" /images/a.bin "$TEST_DIR/inflight-$server" 2000000 &
  eval "inflight_$server=\$!"
done
# Publish only once every server holds its transfer (a loaded machine may
# start the readers late).
transfer_open() { test "$(curl -s --max-time 5 "http://127.0.0.1:$1/-/stats" | jq '.image_bytes_sent["a.bin"] // 0')" -gt 0; }
for server in splice copy sendfile zc; do wait_until 10 transfer_open "${PORT[$server]}"; done

# Publish: new b.bin, replace a.bin, finish half.bin; every file renamed in whole,
# then the manifest replaced in one rename.
head -c 700000 /dev/urandom >"$images/.b.tmp" && mv "$images/.b.tmp" "$images/b.bin"
head -c 500000 /dev/urandom >"$images/.a.tmp" && mv "$images/.a.tmp" "$images/a.bin"
cp "$TEST_DIR/half-full" "$images/.half.tmp" && mv "$images/.half.tmp" "$images/half.bin"
list_images "$images" a.bin b.bin half.bin
new_a=$(sha_of "$images/a.bin")

for server in splice copy sendfile zc; do
  base="http://127.0.0.1:${PORT[$server]}/images"
  if wait_until 10 status_is "$base/b.bin" 200; then
    ok "$server: image added while serving is served without a restart"
  else
    not_ok "$server: image added while serving is served without a restart" "$(tail -n 5 "$TEST_DIR/$server.log")"
  fi
  curl -s --max-time 10 -o "$TEST_DIR/b-$server" "$base/b.bin"
  check_equal "$server: the new image is byte-exact" "$(sha_of "$images/b.bin")" "$(sha_of "$TEST_DIR/b-$server")"
  curl -s --max-time 10 -o "$TEST_DIR/a-$server" "$base/a.bin"
  check_equal "$server: a new GET gets the replaced a.bin" "$new_a" "$(sha_of "$TEST_DIR/a-$server")"
  check_equal "$server: the finished half.bin is served" 200 "$(http_status "$base/half.bin")"
done
check "the reload was triggered by the manifest change" grep -q 'reloaded images (SHA256SUMS changed)' "$TEST_DIR/splice.log"

for server in splice copy sendfile zc; do
  pid_var=inflight_$server
  if wait "${!pid_var}"; then ok "$server: the transfer in flight completed"; else not_ok "$server: the transfer in flight completed"; fi
  check_equal "$server: the transfer in flight has the old a.bin, byte-exact" "$old_a" "$(sha_of "$TEST_DIR/inflight-$server")"
done

# Remove b.bin while a download of it runs.
base="http://127.0.0.1:${PORT[splice]}/images"
head -c $((3 * 1048576)) /dev/urandom >"$images/.c.tmp" && mv "$images/.c.tmp" "$images/c.bin"
list_images "$images" a.bin b.bin c.bin half.bin
reload=$(curl -s --max-time 10 -X POST "http://127.0.0.1:${PORT[splice]}/-/reload")
check "POST /-/reload answers with the new table" jq -e '.reloaded == true and .images == 4' <<<"$reload"
c_sha=$(sha_of "$images/c.bin")
slow_download "${PORT[splice]}" /images/c.bin "$TEST_DIR/c-inflight" 2000000 &
c_pid=$!
sleep 0.3
rm "$images/c.bin"
list_images "$images" a.bin b.bin half.bin
reload=$(curl -s --max-time 10 -X POST "http://127.0.0.1:${PORT[splice]}/-/reload")
check "after removal the table has 3 images" jq -e '.images == 3' <<<"$reload"
check_equal "a removed image answers 404" 404 "$(http_status "$base/c.bin")"
if wait "$c_pid"; then ok "the transfer of a removed image completed"; else not_ok "the transfer of a removed image completed"; fi
check_equal "the transfer of a removed image is byte-exact" "$c_sha" "$(sha_of "$TEST_DIR/c-inflight")"

# SIGHUP reloads; an unchanged file is not hashed again.
kill -HUP "${DAEMON_PID[splice]}"
check "SIGHUP reloads, hashing nothing unchanged" wait_until 10 grep -q 'reloaded images (SIGHUP): 3 served, 0 refused, 0 hashed' "$TEST_DIR/splice.log"
stats=$(curl -s --max-time 10 "http://127.0.0.1:${PORT[splice]}/-/stats")
check "/-/stats shows the reloads" jq -e '.reload.reloads >= 3 and .reload.generation >= 4' <<<"$stats"

stop_daemon splice && ok "splice server exits cleanly"
stop_daemon copy && ok "copy server exits cleanly"
stop_daemon sendfile && ok "sendfile server exits cleanly"
stop_daemon zc && ok "zc server exits cleanly"
finish
