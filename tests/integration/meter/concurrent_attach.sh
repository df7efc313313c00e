#!/usr/bin/env bash
# Concurrent attaches on one pin directory end in one consistent set of
# kernel objects. Ten trials; in each, eight processes start at the same
# moment on one pin directory: cascade-masters (group meter on the
# namespace's lo with their own port, and the CPU meter), cascade-cpe
# agents (CPU meter) and `cascade-meter attach` (both meters, a port each).
# Odd trials start from nothing with 2 masters, 2 agents and 4 attaches;
# even trials start over the previous trial's pins and filter, its
# processes killed with -9 (a crash), with 3 masters, 3 agents and 2
# attaches. After each trial:
#   - exactly one cascade filter is on lo egress, and the program it runs
#     uses every pinned map of the group meter;
#   - the pinned CPU link's program uses the pinned cascade_cpu map, and
#     that map is counting (its busy time grows);
#   - the registered ports are exactly those given since the last start
#     from nothing (a crash keeps a registration), and each master
#     says in /-/stats that its port is counted;
#   - a download from one master is counted in the pinned cascade_stats.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root

namespace=cascade-t-$$-m
pins=$PIN_DIR
in_ns() { nsenter --net="/run/netns/$namespace" "$@"; }
on_exit "rm -rf $pins"
on_exit "ip netns del $namespace"
on_exit "nsenter --net=/run/netns/$namespace $METER --bpf-pin-dir $pins detach --unpin"
ip netns add "$namespace" && ip -n "$namespace" link set lo up || { not_ok "network namespace"; finish; }

images=$TEST_DIR/images
mkdir -p "$images"
head -c 200000 /dev/urandom >"$images/fw.bin"
(cd "$images" && sha256sum fw.bin >SHA256SUMS)
# The namespace is this test's own, so fixed ports cannot collide.
master_ports=(18081 18082 18083)
meter_ports=(18091 18092 18093 18094)
declare -A registered=()

# start_all TRIAL MASTERS AGENTS ATTACHES: all at once, in the background.
start_all() {
  local trial=$1 index
  masters=$2 agents=$3 attaches=$4
  for ((index = 0; index < masters; index++)); do
    rm -f "$TEST_DIR/master$index.log"
    start_daemon "master$index" nsenter --net="/run/netns/$namespace" "$CASCADE_BIN/cascade-master" \
      --listen "127.0.0.1:${master_ports[$index]}" --images "$images" --threads 1 \
      --meter-interface lo --bpf-pin-dir "$pins"
    registered[${master_ports[$index]}]=1
  done
  for ((index = 0; index < agents; index++)); do
    rm -f "$TEST_DIR/agent$index.log"
    start_daemon "agent$index" nsenter --net="/run/netns/$namespace" "$CASCADE_BIN/cascade-cpe" \
      --acs http://127.0.0.1:1/ --data-dir "$TEST_DIR/agent$index" --serial "T$trial-$index" \
      --cpu-meter ebpf --bpf-pin-dir "$pins" --retry-min-wait 2s --retry-max-wait 5s
  done
  for ((index = 0; index < attaches; index++)); do
    start_daemon "attach$index" nsenter --net="/run/netns/$namespace" "$METER" --bpf-pin-dir "$pins" \
      attach --interface lo --port "${meter_ports[$index]}"
    registered[${meter_ports[$index]}]=1
  done
}

# True once every process has got past its meters (or died).
all_settled() {
  local index
  for ((index = 0; index < masters; index++)); do
    grep -qE 'group meter attached|without the group meter' "$TEST_DIR/master$index.log" 2>/dev/null || return 1
    grep -qE 'CPU occupancy (from|falls back|unavailable)' "$TEST_DIR/master$index.log" || return 1
  done
  for ((index = 0; index < agents; index++)); do
    grep -qE 'CPU occupancy (from|falls back|unavailable)' "$TEST_DIR/agent$index.log" 2>/dev/null || return 1
  done
  for ((index = 0; index < attaches; index++)); do
    ! kill -0 "${DAEMON_PID[attach$index]}" 2>/dev/null || return 1
  done
}

expected_ports() { printf '%s\n' "${!registered[@]}" | jq -s -c 'sort'; }
pinned_id() { bpftool -j map show pinned "$pins/$1" 2>/dev/null | jq -r '.id // empty'; }
program_maps() { bpftool -j prog show id "$1" 2>/dev/null | jq -c '.map_ids // []'; }
cpu_busy_sum() { bpftool -j map dump pinned "$pins/cascade_cpu" | jq '[.[0].formatted.values[].value.busy_ns] | add'; }

# check_trial N: prints the first inconsistency, or nothing.
check_trial() {
  local filters program maps name id cpu_program cpu_map busy_before busy_after ports expected index stats bytes
  filters=$(in_ns tc filter show dev lo egress | grep -c 'cascade_egress')
  [ "$filters" = 1 ] || { echo "$filters cascade filters on lo egress: $(in_ns tc filter show dev lo egress)"; return; }
  program=$(in_ns tc filter show dev lo egress | grep -oE 'cascade_egress.* id [0-9]+' | grep -oE '[0-9]+$')
  maps=$(program_maps "$program")
  for name in cascade_stats cascade_prefix4 cascade_prefix6 cascade_caps cascade_pacing cascade_config cascade_events; do
    id=$(pinned_id "$name")
    jq -e --argjson id "${id:-0}" 'index($id) != null' <<<"$maps" >/dev/null ||
      { echo "the attached program $program uses maps $maps, not the pinned $name (id ${id:-none})"; return; }
  done
  cpu_program=$(bpftool -j link show pinned "$pins/cascade_cpulink" 2>/dev/null | jq -r '.prog_id // empty')
  cpu_map=$(pinned_id cascade_cpu)
  jq -e --argjson id "${cpu_map:-0}" 'index($id) != null' <<<"$(program_maps "${cpu_program:-0}")" >/dev/null ||
    { echo "the linked CPU program ${cpu_program:-none} does not use the pinned cascade_cpu (id ${cpu_map:-none})"; return; }
  busy_before=$(cpu_busy_sum)
  timeout 0.3 bash -c 'while :; do :; done'
  busy_after=$(cpu_busy_sum)
  [ "$busy_after" -gt "$busy_before" ] || { echo "the pinned cascade_cpu does not count: busy $busy_before -> $busy_after"; return; }
  ports=$(in_ns "$METER" --bpf-pin-dir "$pins" --json port list | jq -c '.ports | sort')
  expected=$(expected_ports)
  [ "$ports" = "$expected" ] || { echo "registered ports $ports, expected $expected"; return; }
  for ((index = 0; index < masters; index++)); do
    stats=$(in_ns curl -s --max-time 5 "http://127.0.0.1:${master_ports[$index]}/-/stats" | jq -c '.meter | [.attached, .port_counted]')
    [ "$stats" = '[true,true]' ] || { echo "master$index: /-/stats says attached, port_counted = $stats"; return; }
  done
  in_ns curl -s --max-time 5 -o /dev/null "http://127.0.0.1:${master_ports[1]}/images/fw.bin?group=$((100 + $1))"
  bytes=$(bpftool -j map dump pinned "$pins/cascade_stats" |
    jq --argjson g $((100 + $1)) '[.[] | select(.formatted.key == $g) | .formatted.values[].value.bytes] | add // 0')
  [ "$bytes" -ge 200000 ] || { echo "a 200000-byte download counted $bytes bytes"; return; }
}

for trial in $(seq 1 10); do
  if [ $((trial % 2)) = 1 ]; then
    in_ns "$METER" --bpf-pin-dir "$pins" detach --unpin >/dev/null 2>&1
    [ -e "$pins" ] && { not_ok "trial $trial starts from nothing" "$(ls -la "$pins")"; break; }
    registered=()
    start_all "$trial" 2 2 4
  else
    start_all "$trial" 3 3 2
  fi
  if ! wait_until 30 all_settled; then
    not_ok "trial $trial: all eight processes got past their meters" "$(tail -n 3 "$TEST_DIR"/master*.log "$TEST_DIR"/agent*.log)"
  fi
  for ((index = 0; index < attaches; index++)); do
    wait "${DAEMON_PID[attach$index]}"; status=$?
    unset "DAEMON_PID[attach$index]"
    [ $status = 0 ] || not_ok "trial $trial: cascade-meter attach $index succeeds" "$(cat "$TEST_DIR/attach$index.log")"
  done
  problem=$(check_trial "$trial")
  if [ -z "$problem" ]; then
    ok "trial $trial ($masters masters, $agents agents, $attaches attaches $([ $((trial % 2)) = 1 ] && echo "from nothing" || echo "over a crashed trial's pins")): one filter on the pinned maps, the CPU link on the pinned map and counting, ports $(expected_ports) registered and counted"
  else
    not_ok "trial $trial ends in one consistent set" "$problem"
  fi
  for ((index = 0; index < masters; index++)); do
    if [ $((trial % 2)) = 1 ]; then kill_hard "master$index"; else stop_daemon "master$index"; fi
  done
  for ((index = 0; index < agents; index++)); do
    kill_hard "agent$index"
  done
done

check "detach --unpin" in_ns "$METER" --bpf-pin-dir "$pins" detach --unpin
check_equal "no filter left on the namespace's lo" "" "$(in_ns tc filter show dev lo egress)"
check_equal "no qdisc of ours left" "noqueue" "$(in_ns tc qdisc show dev lo | awk '{print $2}' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "no pin left" test ! -e "$pins"
finish
