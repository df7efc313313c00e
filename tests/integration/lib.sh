# Shared helpers for integration tests (source it; bash only).
#
# Results are TAP lines, counted by tests/run:
#   ok "what held"            not_ok "what failed" [details]
#   skip "what" "why"         check "what" command args...   (ok if it exits 0)
# Processes and cleanup:
#   start_daemon NAME cmd...  runs cmd in the background, log in $TEST_DIR/NAME.log,
#                             pid in DAEMON_PID[NAME]
#   stop_daemon NAME          SIGTERM, wait (bounded), then report a sanitizer
#                             finding or a crash in its log as a failure
#   kill_hard NAME            SIGKILL (a crash at any moment), wait, then report
#                             a sanitizer finding in its log as a failure
#   on_exit "shell command"   runs at exit even when the test fails
#   free_port                 prints a free TCP port on 127.0.0.1
#   wait_for_port PORT [SECONDS] [HOST]
#   wait_until SECONDS cmd... polls cmd (output discarded) until it succeeds;
#                             fails when SECONDS pass first
#   require_root              skips the whole file with a reason when not root
# $TEST_DIR is a fresh folder removed at exit; $CASCADE_BIN holds the binaries.
set -u
: "${CASCADE_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CASCADE_BUILD:=$CASCADE_ROOT/build}"
: "${CASCADE_BIN:=$CASCADE_BUILD/bin}"
export CASCADE_ROOT CASCADE_BUILD CASCADE_BIN

TEST_DIR=$(mktemp -d "/tmp/cascade-test.XXXXXX")
TEST_FAILURES=0
declare -A DAEMON_PID=()
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

wait_until() {
  local seconds=$1 deadline
  shift
  deadline=$(( $(date +%s%N) / 1000000 + seconds * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

start_daemon() {
  local name=$1
  shift
  "$@" >"$TEST_DIR/$name.log" 2>&1 &
  DAEMON_PID[$name]=$!
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

require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    skip "$(basename "$0")" "needs root (eBPF, netns or tc)"
    exit 0
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
