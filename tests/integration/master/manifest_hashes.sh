#!/usr/bin/env bash
# The manifest's hash check, end to end: cascade-master (plain and --origin)
# serves an image only when its bytes have the SHA-256 that SHA256SUMS lists.
# An image listed with another file's hash is refused at load and answers 404;
# an image whose bytes change in place (same size, modification time put
# back) is refused at the next reload; listing its true hash serves it again,
# byte-exact.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" good.bin 50000
make_image "$images" lied.bin 40000
head -c 40000 /dev/urandom >"$TEST_DIR/other"
# lied.bin is listed with the hash of other bytes of the same size
sed -i "s/^[0-9a-f]\{64\}  lied.bin\$/$(sha_of "$TEST_DIR/other")  lied.bin/" "$images/SHA256SUMS"

for server in plain origin; do
  flags=()
  [ "$server" = origin ] && flags=(--origin)
  start_master "$server" --images "$images" --threads 1 "${flags[@]}"
  base="${MASTER_URL[$server]}/images"
  check "$server: the mislisted image is refused at load" \
    grep -q 'image lied.bin not served: content does not match' "$TEST_DIR/$server.log"
  check_equal "$server: the mislisted image answers 404" 404 "$(http_status "$base/lied.bin")"
  check_equal "$server: the image listed with its own hash is served" 200 "$(http_status "$base/good.bin")"
done

# good.bin's bytes change in place: same size, its modification time put back
base="${MASTER_URL[plain]}/images"
cp -p "$images/good.bin" "$TEST_DIR/good-before"
printf '\x5a\x5a\x5a\x5a' | dd of="$images/good.bin" bs=1 seek=1000 conv=notrunc status=none
touch -r "$TEST_DIR/good-before" "$images/good.bin"
curl -s --max-time 10 -X POST "${MASTER_URL[plain]}/-/reload" >/dev/null
if wait_until 10 status_is "$base/good.bin" 404; then ok "an image changed in place is refused at the next reload"
else not_ok "an image changed in place is refused at the next reload" "$(tail -n 5 "$TEST_DIR/plain.log")"; fi
check_equal "... while the table keeps nothing else of it" 0 \
  "$(curl -s --max-time 10 "${MASTER_URL[plain]}/-/stats" | jq '[.images[] | select(.name == "good.bin")] | length')"

# the publisher lists the true hashes: both are served, byte-exact
list_images "$images" good.bin lied.bin
curl -s --max-time 10 -X POST "${MASTER_URL[plain]}/-/reload" >/dev/null
for name in good.bin lied.bin; do
  if wait_until 10 status_is "$base/$name" 200; then
    curl -s --max-time 10 -o "$TEST_DIR/$name.out" "$base/$name"
    check "$name, listed with its true hash, is served byte-exact" cmp -s "$images/$name" "$TEST_DIR/$name.out"
  else
    not_ok "$name, listed with its true hash, is served" "$(tail -n 5 "$TEST_DIR/plain.log")"
  fi
done

stop_daemon plain && ok "the plain server exits cleanly"
stop_daemon origin && ok "the origin exits cleanly"
finish
