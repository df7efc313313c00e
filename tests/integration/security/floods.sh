#!/usr/bin/env bash
# Slowloris and connection floods on loopback against cascade-master and
# cascade-acs (flood.py: one process, non-blocking sockets, bound to
# attacker addresses 127.0.0.2, 127.0.0.3 and 127.0.1-2.0/24) while
# legitimate clients on 127.0.0.1 keep working:
#   master: slowloris heads are cut by --header-timeout; one address
#     opening 300 connections gets --max-connections-per-address and 503s
#     for the rest; many addresses filling --max-connections get 503 +
#     Retry-After until their idle connections time out; 20 downloads
#     during the attack are byte-exact, and one more through the full cap.
#   acs: slowloris requests are cut by [acs] request_timeout; one address
#     is held to max_connections_per_address; many addresses over
#     max_connections wait in the backlog and are cut in turn; 30 swarm
#     devices complete their sessions meanwhile; a 20 KB header gets 431
#     and a 2 MB body 413; libmicrohttpd's per-connection error lines stay
#     rate-limited.
# Each daemon's resident memory is sampled from /proc during the attacks
# and must stay within a fixed bound above its idle size.
# timeout: 300
source "$(dirname "$0")/../lib.sh"

FLOOD="$(dirname "$0")/flood.py"
# A small quarantine keeps ASan's own memory from hiding what the daemon holds.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=16"
case "$CASCADE_BUILD" in
  *asan*) rss_growth_limit_kb=$((192 * 1024)) ;;
  *) rss_growth_limit_kb=$((48 * 1024)) ;;
esac

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# Samples NAME's RSS every 0.1 s (at most 3000 times) until $TEST_DIR/NAME.stop
# exists; the highest value goes to $TEST_DIR/NAME.rss.
sample_rss() {
  local name=$1 pid=$2 highest=0 value i
  for ((i = 0; i < 3000; i++)); do
    [ -e "$TEST_DIR/$name.stop" ] && break
    value=$(rss_kb "$pid")
    [ "${value:-0}" -gt "$highest" ] && highest=$value
    sleep 0.1
  done
  echo "$highest" >"$TEST_DIR/$name.rss"
}

check_memory() { # check_memory NAME IDLE_KB
  local name=$1 idle=$2 highest
  touch "$TEST_DIR/$name.stop"
  wait "$SAMPLER_PID" 2>/dev/null
  highest=$(cat "$TEST_DIR/$name.rss")
  if [ "$highest" -gt 0 ] && [ $((highest - idle)) -le "$rss_growth_limit_kb" ]; then
    ok "$name: memory bounded under attack (idle ${idle} kB, peak ${highest} kB, limit +${rss_growth_limit_kb} kB)"
  else
    not_ok "$name: memory bounded under attack" "idle ${idle} kB, peak ${highest} kB, limit +${rss_growth_limit_kb} kB"
  fi
}

json_field() { jq -r "$2" <"$TEST_DIR/$1.json"; }

# ================================ cascade-master ===================================
mkdir -p "$TEST_DIR/images"
head -c 1000000 /dev/urandom >"$TEST_DIR/images/fw.bin"
(cd "$TEST_DIR/images" && sha256sum fw.bin >SHA256SUMS)
sha=$(cut -c1-64 "$TEST_DIR/images/SHA256SUMS")
start_master master --images "$TEST_DIR/images" --threads 2 --max-connections 150 --max-connections-per-address 40 \
  --header-timeout 1s --idle-timeout 3s
port=${PORT[master]}
url="http://127.0.0.1:$port/images/fw.bin"
pid=${DAEMON_PID[master]}
idle=$(rss_kb "$pid")
sample_rss master "$pid" &
SAMPLER_PID=$!

# Phase 1: a slowloris and one address flooding, legitimate downloads meanwhile.
"$FLOOD" slowloris --port "$port" --source 127.0.0.2 --connections 30 --interval 0.3 --duration 8 \
  >"$TEST_DIR/master-slowloris.json" &
slowloris=$!
"$FLOOD" hold --port "$port" --source 127.0.0.3 --connections 300 --duration 8 \
  --request 'GET /images/fw.bin HTTP/1.1\r\nHost: victim\r\n\r\n' >"$TEST_DIR/master-flood.json" &
flood=$!
sleep 1
"$CASCADE_BIN/cascade-load" "$url" --clients 20 --threads 1 --verify-sha256 "$sha" --expect-size 1000000 \
  --deadline 60s >"$TEST_DIR/load.json" 2>"$TEST_DIR/load.err"
check_equal "master: 20 legitimate downloads during the attack, all byte-exact" 20 "$(jq -r .completed "$TEST_DIR/load.json")"
wait "$slowloris" "$flood"
check_equal "master: every slowloris connection was cut by the server" \
  "$(json_field master-slowloris .opened)" "$(json_field master-slowloris .closed_by_server)"
check "master: the slow heads were logged with the attacker's address" \
  grep -q "127.0.0.2:[0-9]*: request head incomplete" "$TEST_DIR/master.log"
served=$(json_field master-flood '.statuses["200"] // 0')
refused=$(json_field master-flood '.statuses["503"] // 0')
check "master: one address got at most 40 connections served ($served)" test "$served" -le 40
check "master: the rest of its flood got 503 ($refused) or was closed" test "$refused" -gt 0 -a \
  $((served + refused)) -le 300
check "master: the per-address cap is logged" \
  grep -q "127.0.0.3:[0-9]*: over --max-connections-per-address (40)" "$TEST_DIR/master.log"

# Phase 2: 400 idle connections from 254 addresses, more than --max-connections.
"$FLOOD" hold --port "$port" --sources 127.0.1.0/24 --connections 400 --duration 10 \
  >"$TEST_DIR/master-distributed.json" &
flood=$!
sleep 1
status=$(curl -s -o "$TEST_DIR/through.bin" -w '%{http_code}' --max-time 60 --retry 30 --retry-delay 1 \
  --retry-max-time 60 "$url")
check_equal "master: a legitimate download gets through a full server (after 503 + Retry-After)" 200 "$status"
check "master: ... byte-exact" cmp "$TEST_DIR/images/fw.bin" "$TEST_DIR/through.bin"
wait "$flood"
check_equal "master: every idle flood connection was closed by the server" \
  "$(json_field master-distributed .opened)" "$(json_field master-distributed .closed_by_server)"
rejected=$(curl -s "http://127.0.0.1:$port/-/stats" | jq -r .connections.rejected)
check "master: /-/stats counts the rejections ($rejected)" test "${rejected:-0}" -gt 0
check_memory master "$idle"
stop_daemon master

# ================================== cascade-acs ===================================
acs_started=$(date +%s)
start_acs acs "[acs]" "max-connections = 200" "max-connections-per-address = 40" "request-timeout = 2s" \
  "connection-timeout = 4s" "max-header-size = 8K" "max-request-size = 1M" "retry-after = 1"
cwmp_port=$ACS_CWMP_PORT
api_port=$ACS_API_PORT
pid=${DAEMON_PID[acs]}
idle=$(rss_kb "$pid")
sample_rss acs "$pid" &
SAMPLER_PID=$!

python3 -c "print('X-Big: ' + 'a' * 20000)" >"$TEST_DIR/big-header"
check_equal "acs: a 20 KB request head gets 431" 431 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H @"$TEST_DIR/big-header" -X POST "http://127.0.0.1:$cwmp_port/")"
check_equal "acs: a 2 MB body gets 413" 413 "$(head -c 2000000 /dev/zero |
  curl -s -o /dev/null -w '%{http_code}' --data-binary @- "http://127.0.0.1:$cwmp_port/")"

# Phase 1: a slowloris and one address flooding, a swarm of devices meanwhile.
"$FLOOD" slowloris --port "$cwmp_port" --source 127.0.0.2 --connections 30 --interval 0.3 --duration 10 \
  >"$TEST_DIR/acs-slowloris.json" &
slowloris=$!
"$FLOOD" hold --port "$cwmp_port" --source 127.0.0.3 --connections 150 --duration 10 >"$TEST_DIR/acs-flood.json" &
flood=$!
held=0
for ((i = 0; i < 30; i++)); do
  # connections the ACS holds (a socket of its process): ones still in the
  # kernel's accept queue belong to no process yet and are not held
  count=$(ss -Htnp state established "( sport = :$cwmp_port )" dst 127.0.0.3 | grep -c "pid=$pid,")
  [ "$count" -gt "$held" ] && held=$count
  sleep 0.1
done
timeout 120 "$CASCADE_BIN/cascade-swarm" --acs "http://127.0.0.1:$cwmp_port/" --devices 30 --concurrency 4 \
  --exit-after-bootstrap --store "$TEST_DIR/store" --duration 100 >"$TEST_DIR/swarm.json" 2>"$TEST_DIR/swarm.log"
check_equal "acs: 30 devices bootstrapped during the attack" 30 "$(jq -r .bootstrapped "$TEST_DIR/swarm.json")"
wait "$slowloris" "$flood"
# the flood of 150 reaches the cap (at least half of it held), never more
check "acs: one address never held more than 40 connections (at most $held seen)" test "$held" -ge 20 -a "$held" -le 42
check_equal "acs: every slowloris connection was cut by the server" \
  "$(json_field acs-slowloris .opened)" "$(json_field acs-slowloris .closed_by_server)"
check_equal "acs: every connection of the one-address flood was closed by the server" \
  "$(json_field acs-flood .opened)" "$(json_field acs-flood .closed_by_server)"
check "acs: slow clients are logged with their address" \
  grep -qE "cwmp: 127.0.0.[23]:[0-9]+: request not complete after 2000 ms; closing the connection \(slow client\)" \
  "$TEST_DIR/acs.log"

# Phase 2: 400 connections from 254 addresses, twice max_connections.
"$FLOOD" hold --port "$cwmp_port" --sources 127.0.2.0/24 --connections 400 --duration 15 \
  >"$TEST_DIR/acs-distributed.json" &
flood=$!
sleep 1
timeout 120 "$CASCADE_BIN/cascade-swarm" --acs "http://127.0.0.1:$cwmp_port/" --devices 10 --first-index 100 \
  --concurrency 2 --exit-after-bootstrap --store "$TEST_DIR/store" --duration 100 >"$TEST_DIR/swarm2.json" \
  2>"$TEST_DIR/swarm2.log"
check_equal "acs: 10 more devices bootstrapped through a full listener" 10 "$(jq -r .bootstrapped "$TEST_DIR/swarm2.json")"
wait "$flood"
check_equal "acs: every connection of the distributed flood was cut in turn" \
  "$(json_field acs-distributed .opened)" "$(json_field acs-distributed .closed_by_server)"
closed=$(curl -s "http://127.0.0.1:$api_port/metrics" | awk '/^cascade_acs_slow_clients_closed_total/ { print $2 }')
check "acs: /metrics counts the slow clients cut ($closed)" test "${closed:-0}" -ge 30
check_equal "acs: 40 devices in the registry" 40 "$(sqlite3 "$TEST_DIR/acs.db" 'SELECT count(*) FROM devices')"
check_memory acs "$idle"
stop_daemon acs
lines=$(grep -c "libmicrohttpd: " "$TEST_DIR/acs.log")
seconds=$(( $(date +%s) - acs_started + 1 ))
check "acs: libmicrohttpd's error lines are rate-limited ($lines in ${seconds}s, at most 20/s)" \
  test "$lines" -le $((20 * seconds + 20))
check "acs: ... and say how many were dropped" grep -qE "[0-9]+ more lines like \"libmicrohttpd\" suppressed" "$TEST_DIR/acs.log"
finish
