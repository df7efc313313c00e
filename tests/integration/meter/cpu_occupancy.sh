#!/usr/bin/env bash
# The CPU occupancy meter (sched_switch busy time) agrees with /proc/stat
# over the same interval (within 3 points): on an idle machine it reads
# under 10%, with one CPU of two spinning it reads 50% +-3. Without root it
# falls back to /proc/stat and says so.
#
# The absolute figures hold only on a quiet machine (CI runs tests one at a
# time); when /proc/stat shows other load over the same interval, the
# absolute check is reported as skipped with the load it saw, and the
# agreement check still runs.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root
on_exit "rm -rf $PIN_DIR"

# measure SECONDS -> "ebpf_basis_points proc_stat_basis_points source"
measure() {
  "$METER" --bpf-pin-dir "$PIN_DIR" --json show --interval "$1" |
    jq -r '.cpu | "\(.occupancy_basis_points) \(.proc_stat_basis_points) \(.source)"'
}

# agree WHAT EBPF PROC: within 300 basis points (3 percentage points)
agree() {
  local difference=$(($2 - $3))
  [ $difference -lt 0 ] && difference=$((-difference))
  if [ $difference -le 300 ]; then ok "$1: eBPF $2 vs /proc/stat $3 (x0.01 %)"
  else not_ok "$1: eBPF and /proc/stat agree within 3 points" "eBPF $2, /proc/stat $3"; fi
}

cpus=$(nproc)
# Right after heavier tests the kernel still works in short bursts
# (writeback, memory scanning) that the exact sched_switch accounting sees
# and tick-sampled /proc/stat mostly misses; take the quietest of up to
# three intervals, and print every attempt.
for attempt in 1 2 3; do
  read -r idle_ebpf idle_proc idle_source < <(measure 3s)
  echo "# idle attempt $attempt: eBPF $idle_ebpf, /proc/stat $idle_proc (x0.01 %)"
  [ "$idle_ebpf" -lt 300 ] && break
done
check_equal "the meter's source is eBPF" ebpf "$idle_source"
agree "idle machine" "$idle_ebpf" "$idle_proc"
if [ "$idle_proc" -lt 1000 ]; then
  [ "$idle_ebpf" -lt 1000 ] && ok "idle reads under 10% ($idle_ebpf)" || not_ok "idle reads under 10%" "$idle_ebpf"
else
  skip "idle reads under 10%" "machine busy: /proc/stat saw $idle_proc x0.01 % over the interval"
fi

spin_cpu=$((cpus - 1))
timeout 20 taskset -c "$spin_cpu" bash -c 'while :; do :; done' &
spinner=$!
on_exit "kill $spinner"
sleep 0.3
read -r spin_ebpf spin_proc _ < <(measure 3s)
kill "$spinner" 2>/dev/null; wait "$spinner" 2>/dev/null
agree "one CPU spinning" "$spin_ebpf" "$spin_proc"
expected=$((10000 / cpus))
if [ "$spin_proc" -ge $((expected - 300)) ] && [ "$spin_proc" -le $((expected + 300)) ]; then
  if [ "$spin_ebpf" -ge $((expected - 300)) ] && [ "$spin_ebpf" -le $((expected + 300)) ]; then
    ok "one of $cpus CPUs spinning reads $expected +-300 ($spin_ebpf)"
  else
    not_ok "one of $cpus CPUs spinning reads $expected +-300" "eBPF $spin_ebpf"
  fi
else
  skip "one of $cpus CPUs spinning reads $expected +-300" "machine busy: /proc/stat saw $spin_proc"
fi

# Not root (root's uid without any capability): the /proc/stat fallback, flagged.
output=$(setpriv --bounding-set=-all --inh-caps=-all \
  "$METER" --bpf-pin-dir "$PIN_DIR" --json show --interval 200ms 2>&1)
check_equal "without root the CPU meter falls back to /proc/stat" "proc_stat true" \
  "$(jq -r '.cpu | "\(.source) \(.fallback)"' <<<"$output" 2>&1)"
reason=$(jq -r .cpu.fallback_reason <<<"$output" 2>/dev/null)
grep -q "^not root" <<<"$reason" && ok "and says why: $reason" || not_ok "fallback reason names the cause" "$output"
check "nothing pinned by the reports" test ! -e "$PIN_DIR"
finish
