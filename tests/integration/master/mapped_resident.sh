#!/usr/bin/env bash
# A large image sent by copy from its mapping stays out of the master's RSS
# (--mapped-resident-max): every copy faults the image's pages into the
# process's page tables, and without the drops a 24 MiB image is 24 MiB more
# RSS after one download, though every page is the page cache sendfile reads
# too. With the 2 MiB asked for here the file-backed RSS (RssFile) and the
# peak (VmHWM) grow by far less than the image, the drops are counted, and
# every download is byte-exact, also with two loops and eight at once. Also:
# --copy-until hands further bodies to sendfile. Every master here has the
# settings auto gives where the congestion control paces (bbr): copy up to
# --copy-max-size, a 128 KiB send buffer.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" large.bin $((24 * 1048576 + 777))
make_image "$images" medium.bin $((3 * 1048576 + 5))
list_images "$images"
large_sha=$(sha_of "$images/large.bin")
medium_sha=$(sha_of "$images/medium.bin")
size_kib=$((24 * 1024))

status_kib() { awk -v field="$2:" '$1 == field {print $2}' "/proc/${DAEMON_PID[$1]}/status"; }
download() { curl -s --max-time 60 -o "$3" "${MASTER_URL[$1]}/images/large.bin" && test "$(sha_of "$3")" = "$2"; }

for loops in 1 2; do
  name=copy$loops
  start_master "$name" --images "$images" --threads "$loops" --copy-max-size 64M --mapped-resident-max 2M \
    --send-buffer 128K
  file_before=$(status_kib "$name" RssFile)
  peak_before=$(status_kib "$name" VmHWM)
  check "$name: a first download is byte-exact" download "$name" "$large_sha" "$TEST_DIR/$name.first"
  pids=()
  for i in 1 2 3 4 5 6 7 8; do
    download "$name" "$large_sha" "$TEST_DIR/$name.$i" & pids+=($!)
  done
  exact=0
  for pid in "${pids[@]}"; do wait "$pid" && exact=$((exact + 1)); done
  check_equal "$name: eight downloads at once, each byte-exact" 8 "$exact"
  stats=$(server_stats "$name")
  check "$name: the image went by copy" jq -e ".send.copy_bytes >= $((9 * 24 * 1048576))" <<<"$stats"
  check "$name: its mapped pages were dropped again and again" jq -e '.send.mapping_drops >= 50' <<<"$stats"
  file_after=$(status_kib "$name" RssFile)
  peak_after=$(status_kib "$name" VmHWM)
  check "$name: file-backed RSS grew by $((file_after - file_before)) KiB, far less than the image ($size_kib KiB)" \
    test $((file_after - file_before)) -lt $((size_kib / 3))
  check "$name: peak RSS grew by $((peak_after - peak_before)) KiB, less than half the image" \
    test $((peak_after - peak_before)) -lt $((size_kib / 2))
  stop_daemon "$name"
done

# --copy-until: a loop already sending that many large bodies sends further
# mapped images by sendfile (thousands of copies in flight cost more than
# sendfile through a small buffer; docs/master.md). With 2, four slow
# readers at once: the first two by copy, the others by sendfile.
start_master until --images "$images" --threads 1 --copy-max-size 64M --copy-until 2 --send-buffer 128K
readers=()
for i in 1 2 3 4; do
  slow_download "${PORT[until]}" /images/medium.bin "$TEST_DIR/until.$i" 3000000 & readers+=($!)
  sleep 0.2
done
exact=0
for i in 1 2 3 4; do
  wait "${readers[$((i - 1))]}" && [ "$(sha_of "$TEST_DIR/until.$i")" = "$medium_sha" ] && exact=$((exact + 1))
done
check_equal "until: four slow readers, each byte-exact" 4 "$exact"
check "until (--copy-until 2): two bodies by copy, the two past it by sendfile" \
  jq -e ".send.copy_bytes >= $((2 * 3 * 1048576)) and .send.sendfile_bytes >= $((2 * 3 * 1048576))" \
  <<<"$(server_stats until)"
stop_daemon until

# 0 keeps the pages mapped: the image is then wholly in the RSS (what the
# drops exist to avoid; this also shows the measurement above can fail).
start_master kept --images "$images" --threads 1 --copy-max-size 64M --mapped-resident-max 0 --send-buffer 128K
file_before=$(status_kib kept RssFile)
check "kept: a download is byte-exact" download kept "$large_sha" "$TEST_DIR/kept.out"
file_after=$(status_kib kept RssFile)
check "kept (--mapped-resident-max 0): the whole image is in the RSS ($((file_after - file_before)) KiB more)" \
  test $((file_after - file_before)) -ge $((size_kib * 9 / 10))
check_equal "kept: nothing dropped" 0 "$(server_stats kept | jq '.send.mapping_drops')"
finish
