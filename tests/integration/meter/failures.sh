#!/usr/bin/env bash
# Failures give one line naming the cause and the fix, and change nothing:
# not root, bpffs not mounted, interface missing, map full, bad prefixes and
# groups, attaching to a second interface. The meter leaves alone what it did
# not create: a clsact qdisc that was there before, a root qdisc of someone
# else (a cap is then refused, not forced).
# Maps of another layout under our names are refused and kept until
# detach --unpin.
# (No BTF cannot be staged on a kernel that has it: the unit test
# test_errors covers that message.)
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root

make_topology || { not_ok "test namespaces are set up"; finish; }

# expect_failure WHAT STATUS PATTERN command...
expect_failure() {
  local what=$1 status=$2 pattern=$3 output actual
  shift 3
  output=$("$@" 2>&1); actual=$?
  if [ "$actual" -eq "$status" ] && grep -qE "$pattern" <<<"$output" && [ "$(wc -l <<<"$output")" -eq 1 ]; then
    ok "$what: $output"
  else
    not_ok "$what (exit $status, one line matching '$pattern')" "exit $actual: $output"
  fi
}

expect_failure "not root" 1 "^.*: not root: .*run as root" \
  in_server setpriv --bounding-set=-all --inh-caps=-all "$METER" --bpf-pin-dir "$PIN_DIR" attach --interface s0
check "not root leaves no pin" test ! -e "$PIN_DIR"
expect_failure "bpffs not mounted" 1 "bpffs not mounted: .*mount -t bpf bpf /sys/fs/bpf" \
  in_server "$METER" --bpf-pin-dir "$TEST_DIR/not-bpffs" attach --interface s0
expect_failure "interface missing" 1 "interface missing: no interface 'nosuch0'.*ip link" \
  meter attach --interface nosuch0
expect_failure "group set before attach" 1 "not attached: .*attach --interface" meter group set 198.18.0.2 1
check_equal "the failed attaches left no filter" "" "$(in_server tc filter show dev s0 egress)"

# A clsact qdisc that was already there stays after detach.
in_server tc qdisc add dev s0 clsact
check "attach with at most 2 prefixes per family" meter attach --interface s0 --max-prefixes 2 --no-cpu
check "first prefix" meter group set 198.18.0.2 1
check "second prefix" meter group set 198.18.0.3 2
expect_failure "map full" 1 "map full: cascade_prefix4 holds its maximum of 2 prefixes; remove" meter group set 198.18.0.4 3
check "an IPv6 prefix still fits" meter group set 2001:2::2 1
check_equal "the full table kept its two IPv4 prefixes" 3 "$(meter --json group list | jq '.prefixes | length')"

expect_failure "host bits set" 2 "bad prefix '10.1.2.3/8'" meter group set 10.1.2.3/8 1
expect_failure "prefix too long" 2 "bad prefix" meter group set 198.18.0.0/33 1
expect_failure "not an address" 2 "bad prefix" meter group set example.com 1
expect_failure "group 0 is the unattributed bucket" 2 "bad group '0'" meter group set 198.18.0.0/24 0
expect_failure "group too large" 2 "bad group" meter group set 198.18.0.0/24 16777216
expect_failure "remove a prefix that is not there" 1 "no prefix 198.18.9.0/24" meter group remove 198.18.9.0/24
check_equal "bad arguments changed nothing" 3 "$(meter --json group list | jq '.prefixes | length')"
expect_failure "unknown command" 2 "unknown command 'frobnicate'" meter frobnicate
expect_failure "unknown option" 2 "unknown option '--frobnicate'" meter --frobnicate show

# Someone else's root qdisc: a cap is refused and their qdisc untouched.
in_server tc qdisc add dev s0 root handle 7: tbf rate 100mbit burst 64kb latency 50ms
expect_failure "cap with a foreign root qdisc" 1 "cap unavailable: s0 has root qdisc tbf \(handle 7:\)" meter cap set 1 10mbit
check_equal "their tbf root stays" 1 "$(in_server tc qdisc show dev s0 | grep -c 'tbf 7: root')"
check_equal "no cap recorded" "[]" "$(bpftool -j map dump pinned "$PIN_DIR/cascade_caps" | jq -c .)"
in_server tc qdisc del dev s0 root

# Pins of another layout under our names: refused, and left alone.
other_layout=$PIN_DIR-layout
on_exit "rm -rf $other_layout"
mkdir -p "$other_layout"
bpftool map create "$other_layout/cascade_config" type array key 4 value 8 entries 1 name cascade_config
expect_failure "maps of another layout" 1 "do not match this build; run 'cascade-meter --bpf-pin-dir $other_layout detach --unpin'" \
  in_server "$METER" --bpf-pin-dir "$other_layout" attach --interface s0 --no-cpu
check "the other layout's pin is kept" test -e "$other_layout/cascade_config"
check_equal "and no filter of it is on s0" 1 "$(in_server tc filter show dev s0 egress | grep -c cascade_egress)"
check "detach --unpin removes it" in_server "$METER" --bpf-pin-dir "$other_layout" detach --unpin
check "its pin directory is gone" test ! -e "$other_layout"

# A second interface while attached to s0.
in_server ip link add s1 type veth peer name s2
expect_failure "attach to another interface" 1 "already attached to s0 .*detach" meter attach --interface s1

check "detach --unpin" meter detach --unpin
check_equal "our filter is gone" "" "$(in_server tc filter show dev s0 egress)"
check_equal "the clsact qdisc that was there before stays" 1 "$(in_server tc qdisc show dev s0 | grep -c clsact)"
check "no pin left" test ! -e "$PIN_DIR"
finish
