# The integration tests' one library: every test, tools/demo/run and the
# benchmarks source this file (bash only), and it sources its companions, one
# per part, so a helper exists once under one name:
#   lib_acs.sh     the controller: start_acs, api, devices, campaigns, Informs
#   lib_master.sh  file servers and images: make_image, start_master, start_origin
#   lib_cpe.sh     agents: start_cpe, master devices (cascade-cpe + cascade-master)
#   lib_swarm.sh   simulated devices: start_swarm, start_fleet_swarm, reports
#   lib_meter.sh   eBPF meters in a two-namespace topology
#   lib_relay.sh   relay tests: a scripted ACS that sends each device its Download
#
# Results are TAP lines, counted by tests/run:
#   ok "what held"            not_ok "what failed" [details]
#   skip "what" "why"         check "what" command args...   (ok if it exits 0)
#   check_equal "what" EXPECTED ACTUAL                        finish (last line of a test)
# Processes and cleanup:
#   start_daemon NAME cmd...  runs cmd in the background, log in $TEST_DIR/NAME.log,
#                             pid in DAEMON_PID[NAME]
#   stop_daemon NAME          SIGTERM, wait (bounded), then report a sanitizer
#                             finding or a crash in its log as a failure
#   kill_hard NAME            SIGKILL (a crash at any moment), wait, then report
#                             a sanitizer finding in its log as a failure
#   stop_all_daemons          SIGTERM to every daemon still running (newest first),
#                             SIGKILL after 10 s; for scripts that are not tests
#   on_exit "shell command"   runs at exit even when the test fails
#   start_failed NAME         what the start_* helpers call when NAME does not come up
#                             (then they return 1): not_ok with its log and finish; the
#                             demo and the benchmarks redefine it
# Waiting:
#   free_port                 prints a free TCP port on 127.0.0.1
#   wait_for_port PORT [SECONDS] [HOST]
#   wait_until SECONDS cmd... polls cmd (output discarded) every 0.1 s until it
#                             succeeds; fails when SECONDS pass first
#   logged_port NAME [WHAT]   waits (30 s) for NAME's log line "WHAT listening on
#                             ADDR:PORT" and prints PORT; fails if NAME exits first
#   log_has NAME TEXT         NAME's log holds TEXT
#   diagnose                  the last lines of every daemon's log (a failure's details)
# Environment:
#   require_root              skips the whole file with a reason when not root
#   enter_private_netns [MTU] as root, runs the test again inside a private network
#                             namespace (unshare --net) with lo up; sets CASCADE_PRIVATE_NETNS
# $TEST_DIR is a fresh folder removed at exit (a script may set it before sourcing);
# $CASCADE_BIN holds the binaries, $INTEGRATION_DIR this folder (helper programs).
set -u
: "${CASCADE_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CASCADE_BUILD:=$CASCADE_ROOT/build}"
: "${CASCADE_BIN:=$CASCADE_BUILD/bin}"
export CASCADE_ROOT CASCADE_BUILD CASCADE_BIN
INTEGRATION_DIR=$CASCADE_ROOT/tests/integration

if [ -z "${TEST_DIR:-}" ]; then TEST_DIR=$(mktemp -d "/tmp/cascade-test.XXXXXX"); fi
mkdir -p "$TEST_DIR"
TEST_FAILURES=0
declare -A DAEMON_PID=()
declare -a DAEMON_ORDER=()
declare -a EXIT_COMMANDS=()

ok() { echo "ok - $1"; }
not_ok() {
  TEST_FAILURES=$((TEST_FAILURES + 1))
  echo "not ok - $1"
  if [ $# -gt 1 ] && [ -n "$2" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
skip() { echo "ok - $1 # SKIP $2"; }

check() {
  local what=$1 output
  shift
  if output=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "$output"; fi
}

# Compares two values: check_equal "what" expected actual
check_equal() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2"$'\n'"actual:   $3"; fi
}

on_exit() { EXIT_COMMANDS+=("$1"); }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_port() {
  local port=$1 seconds=${2:-10} host=${3:-127.0.0.1} deadline
  deadline=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listening on $host:$port after ${seconds}s" >&2
  return 1
}

now_ms() { date +%s%3N; }

wait_until() {
  local seconds=$1 deadline
  shift
  deadline=$(( $(now_ms) + seconds * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

log_has() { grep -q -- "$2" "$TEST_DIR/$1.log" 2>/dev/null; }

# Prints the port of the first "WHAT listening on ADDR:PORT" line in NAME's
# log (WHAT "" matches any), waiting up to 30 s; fails, with the log's last
# lines on stderr, when NAME exits or the time passes first.
logged_port() {
  local name=$1 what=${2:-} log="$TEST_DIR/$1.log" port="" tries
  for ((tries = 0; tries < 300; tries++)); do
    port=$(grep -o "${what:+$what }listening on [0-9.]*:[0-9]*" "$log" 2>/dev/null | head -1 | sed 's/.*://')
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "${DAEMON_PID[$name]:-0}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not log its port; last lines of its log:" >&2
  tail -n 15 "$log" >&2
  return 1
}

start_daemon() {
  local name=$1
  shift
  "$@" >"$TEST_DIR/$name.log" 2>&1 &
  DAEMON_PID[$name]=$!
  DAEMON_ORDER+=("$name")
}

# The last lines of every daemon's log (for a failure's details).
diagnose() {
  local log
  for log in "$TEST_DIR"/*.log; do
    echo "== $(basename "$log")"
    tail -n 8 "$log"
  done
}

# The start_* helpers call this when NAME does not come up, then return 1. In
# a test it ends the test; a script that is not one redefines it.
start_failed() {
  not_ok "$1 starts" "$(tail -n 20 "$TEST_DIR/$1.log" 2>/dev/null)"
  finish
}

# Fails the test if a sanitizer or a crash shows in a daemon's log.
check_daemon_log() {
  local name=$1 log="$TEST_DIR/$1.log"
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" 2>/dev/null; then
    not_ok "$name: no sanitizer findings" "$(grep -A30 -E 'ERROR: |runtime error:' "$log" | head -40)"
    return 1
  fi
  return 0
}

stop_daemon() {
  local name=$1 pid=${DAEMON_PID[$1]:-} status waited=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    not_ok "$name stops within 15s of SIGTERM"
  fi
  wait "$pid" 2>/dev/null
  status=$?
  unset "DAEMON_PID[$name]"
  check_daemon_log "$name" || return 1
  if [ "$status" -ne 0 ]; then
    not_ok "$name exits cleanly on SIGTERM" "exit status $status; last log lines:"$'\n'"$(tail -n 20 "$TEST_DIR/$name.log")"
    return 1
  fi
  return 0
}

kill_hard() {
  local pid=${DAEMON_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  unset "DAEMON_PID[$1]"
  check_daemon_log "$1"
}

# SIGTERM to every daemon still running, newest first; each is then waited
# for up to 10 s and killed if it has not ended. No status is checked.
stop_all_daemons() {
  local index name pid waited
  for ((index = ${#DAEMON_ORDER[@]} - 1; index >= 0; index--)); do
    pid=${DAEMON_PID[${DAEMON_ORDER[$index]}]:-}
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for name in "${DAEMON_ORDER[@]}"; do
    pid=${DAEMON_PID[$name]:-}
    [ -n "$pid" ] || continue
    for ((waited = 0; waited < 100; waited++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "DAEMON_PID[$name]"
  done
  DAEMON_ORDER=()
}

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    skip "$(basename "$0")" "needs root (eBPF, netns or tc)"
    exit 0
  fi
}

# Call right after sourcing this file. As root (and where unshare works), the
# test starts again inside a private network namespace, its own lo gone when
# the test ends; inside it, lo is brought up with MTU when given.
enter_private_netns() {
  if [ -z "${CASCADE_PRIVATE_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    trap - EXIT
    rm -rf "$TEST_DIR"
    exec unshare --net env CASCADE_PRIVATE_NETNS=1 bash "$0"
  fi
  if [ -n "${CASCADE_PRIVATE_NETNS:-}" ]; then
    ip link set lo ${1:+mtu "$1"} up
  fi
}

cleanup_test() {
  local name pid index
  for name in "${!DAEMON_PID[@]}"; do
    pid=${DAEMON_PID[$name]}
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for ((index = ${#EXIT_COMMANDS[@]} - 1; index >= 0; index--)); do
    eval "${EXIT_COMMANDS[$index]}" >/dev/null 2>&1 || true
  done
  if [ "$TEST_FAILURES" -gt 0 ] && [ -n "${CASCADE_KEEP_FAILED:-}" ]; then
    echo "# kept $TEST_DIR for inspection"
  else
    rm -rf "$TEST_DIR"
  fi
}
trap cleanup_test EXIT
trap 'exit 130' INT TERM

# Ends the test: exit status 1 when any check failed.
finish() {
  [ "$TEST_FAILURES" -eq 0 ]
  exit $?
}

for companion in acs master cpe swarm meter relay; do
  source "$INTEGRATION_DIR/lib_$companion.sh"
done
unset companion
