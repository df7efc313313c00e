#!/usr/bin/env bash
# The fixed socket send buffer (--send-buffer): every connection a master
# accepts carries it (the kernel shows twice the size asked for, `tb` in
# `ss -m`), 128 KiB by default on a master whose congestion control paces
# (bbr), the kernel's own sizing on other masters (congestion.sh), on the
# origin and with 0, and a download through a small buffer is byte-exact.
# Why a fixed buffer: docs/master.md.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" big.bin $((6 * 1048576 + 321))
list_images "$images"
big_sha=$(sha_of "$images/big.bin")

start_master default --images "$images" --threads 1
start_master asked --images "$images" --threads 2 --send-buffer 1M
start_master kernel --images "$images" --threads 1 --send-buffer 0
start_master origin --origin --images "$images" --threads 1


# A reader too slow to empty the buffer keeps its connection established.
for name in default asked kernel origin; do
  slow_download "${PORT[$name]}" /images/big.bin "$TEST_DIR/$name.out" 4000000 &
  eval "reader_$name=$!"
done
connected() { test -n "$(server_send_buffer "${PORT[$1]}")"; }
for name in default asked kernel origin; do
  check "$name: the reader's connection is established" wait_until 10 connected "$name"
done
if [[ $(server_stats default | jq -r .congestion_control) == bbr* ]]; then
  check_equal "default on a master whose congestion control paces: a 128 KiB send buffer (shown doubled)" \
    $((2 * 131072)) "$(server_send_buffer "${PORT[default]}")"
else
  buffer=$(server_send_buffer "${PORT[default]}")
  check "default on a master with cubic: the kernel sizes the buffer, here $buffer" \
    test "$buffer" != $((2 * 131072)) -a "$buffer" != $((2 * 1048576))
fi
for name in kernel origin; do
  buffer=$(server_send_buffer "${PORT[$name]}")
  check "$name (--send-buffer 0, and the origin's default): the kernel sizes the buffer, here $buffer" \
    test "$buffer" != $((2 * 131072)) -a "$buffer" != $((2 * 1048576))
done

for name in default asked kernel origin; do
  eval "reader=\$reader_$name"
  status=0
  wait "$reader" || status=$?
  check_equal "$name: the slow reader got the whole body" 0 "$status"
  check_equal "$name: byte-exact through its send buffer" "$big_sha" "$(sha_of "$TEST_DIR/$name.out")"
done
# The path auto takes for a 6 MiB image: copy from its mapping where the
# connections' congestion control paces (bbr), else sendfile (congestion.sh).
path_bytes() { jq -r 'if .congestion_control | startswith("bbr") then "copy_bytes" else "sendfile_bytes" end'; }
path=$(server_stats default | path_bytes)
check "default: the 6 MiB image went by ${path%_bytes}, nothing by splice" \
  jq -e ".send.splice_bytes == 0 and .send.$path >= $((6 * 1048576))" <<<"$(server_stats default)"
path=$(server_stats kernel | path_bytes)
check "kernel (--send-buffer 0): the same image by ${path%_bytes} through the kernel's buffer" \
  jq -e ".send.$path >= $((6 * 1048576))" <<<"$(server_stats kernel)"

# Past --sendfile-after (2 here) a loop sends a large unmapped image by
# sendfile instead of splice, and once busy (--busy-after, 2 here) each
# such connection with --busy-send-buffer (32 KiB here, the default where the
# congestion control paces; 64 KiB in the kernel's count); the first two go
# by splice and keep 128 KiB (--send-buffer, the default where the congestion control paces).
start_master busy --images "$images" --threads 1 --copy-max-size 1M --sendfile-after 2 --busy-after 2 --send-buffer 128K \
  --busy-send-buffer 32K
busy_readers=()
for i in 1 2 3 4; do
  slow_download "${PORT[busy]}" /images/big.bin "$TEST_DIR/busy$i.out" 2000000 &
  busy_readers+=($!)
  sleep 0.2
done
all_buffers() { ss -tnmH state established "( sport = :${PORT[busy]} )" | grep -o 'tb[0-9]*' | cut -c3- | sort -n | paste -sd' '; }
four_connected() { test "$(all_buffers | wc -w)" -eq 4; }
check "busy: four readers connected" wait_until 10 four_connected
check_equal "busy: two connections by sendfile with the busy buffer, two by splice with the usual one" \
  "$((2 * 32768)) $((2 * 32768)) $((2 * 131072)) $((2 * 131072))" "$(all_buffers)"
for i in 1 2 3 4; do
  status=0
  wait "${busy_readers[$((i - 1))]}" || status=$?
  check_equal "busy: reader $i got the whole body" 0 "$status"
  check_equal "busy: reader $i byte-exact" "$big_sha" "$(sha_of "$TEST_DIR/busy$i.out")"
done
sendfile_bytes=$(server_stats busy | jq '.send.sendfile_bytes')
check "busy: past --sendfile-after bodies went by sendfile ($sendfile_bytes bytes)" \
  test "$sendfile_bytes" -ge $((2 * 6 * 1048576))

for value in lots 2G -1; do
  status=0
  "$CASCADE_BIN/cascade-master" --images "$images" --send-buffer "$value" 2>"$TEST_DIR/refusal" || status=$?
  check_equal "--send-buffer $value: refused with usage status 2" 2 "$status"
  check "--send-buffer $value: the error names the flag" grep -q -- "bad value '$value' for --send-buffer" "$TEST_DIR/refusal"
done

finish
