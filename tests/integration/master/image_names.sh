#!/usr/bin/env bash
# An image is served under its exact name only: a longer name that starts
# with it (good.bin.old, good.binX), a shorter one (good.bi), another case
# (GOOD.BIN), a trailing slash or an encoded NUL after it are 404 (or 400),
# never the image; names listed side by side (a.bin and a.bin.old) each get
# their own bytes. A query string is not part of the name (?group=N is how slaves ask).
# timeout: 60
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" good.bin 70000
make_image "$images" a.bin 1000
make_image "$images" a.bin.old 2000
start_master names --images "$images" --threads 1
base="http://127.0.0.1:${PORT[names]}/images"

check_equal "the exact name is served" 200 "$(http_status "$base/good.bin")"
check_equal "a query string is not part of the name" 200 "$(http_status "$base/good.bin?group=3")"
for other in good.bin.old good.binX good.bi GOOD.BIN good.bin/ good.bin%00 good.bin%2Fx good; do
  status=$(http_status "$base/$other")
  case $status in
    404|400) ok "/images/$other is not good.bin ($status)" ;;
    *) not_ok "/images/$other is not good.bin" "answered $status" ;;
  esac
done
curl -s -o "$TEST_DIR/a" "$base/a.bin"
curl -s -o "$TEST_DIR/a-old" "$base/a.bin.old"
check "a.bin gets its own bytes" cmp -s "$TEST_DIR/a" "$images/a.bin"
check "a.bin.old, listed beside it, gets its own bytes" cmp -s "$TEST_DIR/a-old" "$images/a.bin.old"
stop_daemon names && ok "cascade-master stops cleanly"
finish
