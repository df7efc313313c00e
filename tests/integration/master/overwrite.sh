#!/usr/bin/env bash
# An image overwritten in place (same inode, not renamed) is never served
# under its old ETag and digest: the next request finds the file changed
# against its verification record (size, modification time, and change
# time, which catches a writer that put size and modification time back),
# answers 503 + Retry-After, logs it, and the file is verified again: its
# new content does not match the manifest, so it is refused (404) until the
# manifest lists it, then served with the new digest. A transfer in flight
# when the file is overwritten gets no further chunk and ends short (what
# the kernel already holds, a few MiB of socket buffer and pipe, may carry
# the new bytes: clients check the digest). Over copy (a.bin, 300 KB),
# sendfile (z.bin, 64 KiB), splice (big.bin in flight) and send_zc (a zc
# server for the other transfer in flight).
# timeout: 120
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" a.bin 300000          # copy
make_image "$images" z.bin 65536           # sendfile
make_image "$images" big.bin $((16 * 1048576))
make_image "$images" zbig.bin $((16 * 1048576))
list_images "$images"

# Overwrites FILE in place with random bytes: mode "same" keeps size and
# puts the modification time back; "touch" keeps the size; "grow" appends.
overwrite_in_place() {
  python3 - "$1" "$2" <<'EOF'
import os, sys
path, mode = sys.argv[1], sys.argv[2]
before = os.stat(path)
with open(path, "r+b") as f:
    if mode == "grow":
        f.seek(0, 2)
        f.write(os.urandom(4096))
    else:
        f.write(os.urandom(before.st_size))
if mode == "same":
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
after = os.stat(path)
assert after.st_ino == before.st_ino
EOF
}

etag_of() { curl -s -D - -o /dev/null --max-time 10 "$1" | tr -d '\r' | sed -n 's/^ETag: "\(.*\)"$/\1/p'; }

start_master auto --images "$images" --threads 2
base="http://127.0.0.1:${PORT[auto]}/images"

step=0
for image in a.bin z.bin; do
  for mode in same touch grow; do
    step=$((step + 1))
    old_sha=$(sha_of "$images/$image")
    check_equal "$image ($mode): served with its digest before" "$old_sha" "$(etag_of "$base/$image")"
    overwrite_in_place "$images/$image" "$mode"
    headers=$(curl -s -D - -o "$TEST_DIR/body" --max-time 10 "$base/$image" | tr -d '\r')
    if grep -q '^HTTP/1.1 503' <<<"$headers" && grep -qx 'Retry-After: 1' <<<"$headers"; then
      ok "$image overwritten in place ($mode): the next GET answers 503 + Retry-After, not the old digest"
    else
      not_ok "$image overwritten in place ($mode): the next GET answers 503 + Retry-After, not the old digest" "$headers"
    fi
    check "$image ($mode): HEAD does not show the old ETag either" \
      bash -c "! curl -s -I --max-time 10 '$base/$image' | grep -q '$old_sha'"
    check "$image ($mode): the change is logged" \
      grep -qE "image $image changed on disk since it was verified" "$TEST_DIR/auto.log"
    wait_until 10 status_is "$base/$image" 404
    check_equal "$image ($mode): verified again, the new content does not match the manifest: 404" \
      404 "$(http_status "$base/$image")"
    check "$image ($mode): the re-verification is logged" \
      test "$(grep -c "reloaded images (an image changed on disk)" "$TEST_DIR/auto.log")" -ge "$step"
    list_images "$images"
    new_sha=$(sha_of "$images/$image")
    wait_until 10 status_is "$base/$image" 200
    curl -s -o "$TEST_DIR/new" --max-time 10 "$base/$image"
    check_equal "$image ($mode): once listed, the new content is served byte-exact" "$new_sha" "$(sha_of "$TEST_DIR/new")"
    check_equal "$image ($mode): under its new digest" "$new_sha" "$(etag_of "$base/$image")"
  done
done

# A chmod changes only the change time: one re-verification, then the same
# image is served again under the same digest.
sha=$(sha_of "$images/a.bin")
chmod 0600 "$images/a.bin"
http_status "$base/a.bin" >/dev/null
wait_until 10 status_is "$base/a.bin" 200
check_equal "after a chmod the image is verified again and served under the same digest" "$sha" "$(etag_of "$base/a.bin")"

# Transfers in flight (8 s each if never cut) when their file is overwritten:
# big.bin by splice from the auto server, zbig.bin by send_zc from a zc one.
start_master zc --images "$images" --threads 1 --send-mode zc
slow_download "${PORT[auto]}" /images/big.bin "$TEST_DIR/inflight-big" 2000000 &
pid_big=$!
slow_download "${PORT[zc]}" /images/zbig.bin "$TEST_DIR/inflight-zbig" 2000000 &
pid_zbig=$!
sleep 1
overwrite_in_place "$images/big.bin" same
overwrite_in_place "$images/zbig.bin" same
for image in big zbig; do
  pid_var=pid_$image
  if wait "${!pid_var}"; then
    not_ok "$image.bin: a transfer in flight when the file is overwritten does not complete" \
      "it completed with $(stat -c %s "$TEST_DIR/inflight-$image") bytes"
  else
    ok "$image.bin: a transfer in flight when the file is overwritten ends short (got $(stat -c %s "$TEST_DIR/inflight-$image") bytes)"
  fi
done
check "zc: the cut transfer is logged" grep -q "reading the image (changed on disk) failed" "$TEST_DIR/zc.log"
stop_daemon zc && ok "the zc server exits cleanly"
check "auto: the cut transfer is logged" grep -q "reading the image (changed on disk) failed" "$TEST_DIR/auto.log"
stop_daemon auto && ok "the server exits cleanly"
finish
