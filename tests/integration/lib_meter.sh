# The eBPF meters' tests: a two-namespace topology; sourced by lib.sh.
#
# make_topology: two network namespaces joined by a veth pair, owned by this
# test and removed at exit even on failure:
#   $SERVER_NS  s0  198.18.0.1/24  2001:2::1/64
#   $CLIENT_NS  c0  198.18.0.2-4/24  2001:2::2-4/64
# (198.18.0.0/15 and 2001:2::/48 are the ranges set aside for benchmarking;
# the traffic never leaves these namespaces.)
# meter ARGS...        cascade-meter in the server namespace, with $PIN_DIR
# in_server CMD...     / in_client CMD...: run in a namespace; nsenter only
#                      switches the network namespace, so bpffs stays visible
# meter_group_field GROUP FIELD   from `show --json --interval 0` (0 when absent)
PIN_DIR=/sys/fs/bpf/cascade-test-$$
SERVER_NS=cascade-t-$$-s
CLIENT_NS=cascade-t-$$-c
METER="$CASCADE_BIN/cascade-meter"
TRAFFIC="$CASCADE_BIN/cascade-meter-traffic"

in_server() { nsenter --net="/run/netns/$SERVER_NS" "$@"; }
in_client() { nsenter --net="/run/netns/$CLIENT_NS" "$@"; }
meter() { in_server "$METER" --bpf-pin-dir "$PIN_DIR" "$@"; }

make_topology() {
  on_exit "rm -rf $PIN_DIR"
  on_exit "ip netns del $SERVER_NS"
  on_exit "ip netns del $CLIENT_NS"
  ip netns add "$SERVER_NS" && ip netns add "$CLIENT_NS" &&
    ip link add s0 netns "$SERVER_NS" type veth peer name c0 netns "$CLIENT_NS" &&
    ip -n "$SERVER_NS" addr add 198.18.0.1/24 dev s0 &&
    ip -n "$SERVER_NS" addr add 2001:2::1/64 dev s0 nodad || return 1
  local host
  for host in 2 3 4; do
    ip -n "$CLIENT_NS" addr add "198.18.0.$host/24" dev c0 &&
      ip -n "$CLIENT_NS" addr add "2001:2::$host/64" dev c0 nodad || return 1
  done
  ip -n "$SERVER_NS" link set lo up && ip -n "$SERVER_NS" link set s0 up &&
    ip -n "$CLIENT_NS" link set lo up && ip -n "$CLIENT_NS" link set c0 up
}

# Starts `cascade-meter-traffic serve` in the server namespace for N
# connections on PORT; its per-connection lines go to $TEST_DIR/NAME.log.
start_traffic_server() {
  local name=$1 port=$2 connections=$3 waited=0
  start_daemon "$name" nsenter --net="/run/netns/$SERVER_NS" "$TRAFFIC" serve --listen "[::]:$port" --connections "$connections" --timeout 60
  while ! grep -q listening "$TEST_DIR/$name.log" 2>/dev/null && [ $waited -lt 100 ]; do
    sleep 0.05; waited=$((waited + 1))
  done
}

# Field of one served connection's line (matched by a peer substring).
served_field() {
  local name=$1 peer=$2 field=$3
  grep "peer=[^ ]*$peer" "$TEST_DIR/$name.log" | grep -oE "(^| )$field=[^ ]+" | head -1 | cut -d= -f2
}

meter_json() { meter --json show --interval 0; }

meter_group_field() {
  local group=$1 field=$2
  meter_json | jq -r --argjson g "$group" --arg f "$field" '[.groups[] | select(.group == $g) | .[$f]][0] // 0'
}

# Sums a group's field over CPUs straight from bpftool's dump of the pin.
bpftool_group_field() {
  local group=$1 field=$2
  bpftool -j map dump pinned "$PIN_DIR/cascade_stats" |
    jq --argjson g "$group" --arg f "$field" '[.[] | select(.formatted.key == $g) | .formatted.values[].value[$f]] | add // 0'
}

fq_available() {
  local probe=cascade-t-$$-fq
  ip netns add "$probe" 2>/dev/null || return 1
  ip -n "$probe" link add d0 type veth peer name d1 2>/dev/null
  local status=1
  if ip netns exec "$probe" tc qdisc add dev d0 root fq 2>/dev/null; then status=0; fi
  ip netns del "$probe"
  return $status
}

# Waits (up to 30 s) for a traffic server to finish its connections and
# print their lines, then reaps it (a non-zero exit fails the test).
wait_traffic_server() {
  local name=$1 pid=${DAEMON_PID[$1]:-} waited=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $waited -lt 300 ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  stop_daemon "$name"
}
