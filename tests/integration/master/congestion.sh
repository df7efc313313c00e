#!/usr/bin/env bash
# --congestion-control: with bbr as the host's default (here the default of
# the test's own network namespace), a master's connections use cubic and
# large images go by sendfile (bbr without an fq qdisc paces every
# connection with a timer interrupt per few segments: docs/master.md) with
# the kernel's send buffer sizing; system keeps bbr and with it the copy
# path and the fixed 128 KiB send buffer, the origin keeps the host's,
# a name is used as given, and a name the kernel lacks is refused with the
# reason. Every connection shows its congestion control in `ss -ti`.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root
enter_private_netns

if ! grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
  modprobe tcp_bbr 2>/dev/null || true
fi
if ! grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
  skip "$(basename "$0")" "this kernel has no bbr ($(cat /proc/sys/net/ipv4/tcp_available_congestion_control))"
  exit 0
fi
sysctl -qw net.ipv4.tcp_congestion_control=bbr # this namespace only
check_equal "the namespace's default is bbr" bbr "$(cat /proc/sys/net/ipv4/tcp_congestion_control)"

images=$TEST_DIR/images
size=$((6 * 1048576 + 321))
make_image "$images" big.bin "$size"
list_images "$images"
big_sha=$(sha_of "$images/big.bin")

start_master default --images "$images" --threads 1
start_master system --images "$images" --threads 1 --congestion-control system
start_master reno --images "$images" --threads 1 --congestion-control reno
start_master origin --origin --images "$images" --threads 1

check_equal "default on a bbr host: /-/stats says cubic" cubic "$(server_stats default | jq -r .congestion_control)"
check_equal "system: bbr, as the host has it" bbr "$(server_stats system | jq -r .congestion_control)"
check_equal "reno: as given" reno "$(server_stats reno | jq -r .congestion_control)"
check_equal "the origin keeps the host's bbr" bbr "$(server_stats origin | jq -r .congestion_control)"
check "/metrics names it in cascade_master_info" \
  grep -q 'cascade_master_info{role="master",send_mode="auto",congestion_control="cubic"} 1' \
  <(curl -s --max-time 10 "${MASTER_URL[default]}/metrics")

for name in default system reno origin; do
  slow_download "${PORT[$name]}" /images/big.bin "$TEST_DIR/$name.out" 4000000 &
  eval "reader_$name=$!"
done
connected() { test -n "$(server_congestion_control "${PORT[$1]}")"; }
for name in default system reno origin; do
  check "$name: the reader's connection is established" wait_until 10 connected "$name"
done
check_equal "default: the connection runs cubic" cubic "$(server_congestion_control "${PORT[default]}")"
check_equal "system: the connection runs bbr" bbr "$(server_congestion_control "${PORT[system]}")"
check_equal "reno: the connection runs reno" reno "$(server_congestion_control "${PORT[reno]}")"
check_equal "origin: the connection runs bbr" bbr "$(server_congestion_control "${PORT[origin]}")"
# --send-buffer auto: 128 KiB (the kernel shows it doubled) only where the
# connections pace; cubic's connections get the kernel's sizing.
check_equal "system (bbr): a 128 KiB send buffer" $((2 * 131072)) "$(server_send_buffer "${PORT[system]}")"
buffer=$(server_send_buffer "${PORT[default]}")
check "default (cubic): the kernel sizes the send buffer, here $buffer" test "$buffer" != $((2 * 131072))
for name in default system reno origin; do
  eval "reader=\$reader_$name"
  status=0
  wait "$reader" || status=$?
  check_equal "$name: the reader got the whole body" 0 "$status"
  check_equal "$name: byte-exact" "$big_sha" "$(sha_of "$TEST_DIR/$name.out")"
done

# --copy-max-size auto: copy from a mapping only where the connections pace.
check "default (cubic): the 6 MiB image is sent from the file by sendfile, not mapped" \
  jq -e ".send.copy_bytes == 0 and .send.sendfile_bytes >= $size and
         (.images[] | select(.name == \"big.bin\") | .send) == \"file\"" <<<"$(server_stats default)"
check "system (bbr): the same image by copy from its mapping" \
  jq -e ".send.copy_bytes >= $size and
         (.images[] | select(.name == \"big.bin\") | .send) == \"copy\"" <<<"$(server_stats system)"

# A name the kernel does not have: refused at start, with the reason.
status=0
"$CASCADE_BIN/cascade-master" --images "$images" --listen 127.0.0.1:0 --meter false \
  --congestion-control no-such-cc >"$TEST_DIR/bad.out" 2>&1 || status=$?
check_equal "an unknown congestion control: exit status 2" 2 "$status"
check "and the reason names it" grep -q "congestion-control: TCP congestion control 'no-such-cc' is not in this kernel" "$TEST_DIR/bad.out"
finish
