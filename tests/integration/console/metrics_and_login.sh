#!/usr/bin/env bash
# cascade-acs's /metrics and the console's login, on a real daemon:
#   - promtool (Debian's prometheus package) accepts /metrics, every family
#     has # HELP and # TYPE, cascade_build_info and the process_* family are
#     there; the [acs] metrics listener serves it without the token and
#     nothing else; the API port wants the token for it;
#   - no "EXTERNAL_LOGGER is not the first option" warning at start;
#   - an idle keep-alive CWMP connection is closed by the connection
#     timeout, not cut and counted as a slow client at the request timeout;
#   - the console: its page and scripts with a CSP, /api/session, a login
#     (wrong token 401 and counted, another site's Origin 403) that sets an
#     HttpOnly, SameSite=Strict cookie; with the cookie reads work, changes
#     need the CSRF token and this server's Origin; the bearer token needs
#     neither; logout ends the session; an API without a token refuses
#     changes from another site's page.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null || { not_ok "promtool is installed (tools/deps/console.list)"; finish; }
token="metrics-t0ken-$$"
echo "$token" >"$TEST_DIR/token"
metrics_port=$(free_port)
ACS_EXTRA_ARGS="--api-token-file $TEST_DIR/token --metrics 127.0.0.1:$metrics_port" start_acs acs \
  "request-timeout = 1s" "connection-timeout = 3s" "[campaign]" "tick = 100ms"
wait_for_port "$metrics_port" 10 || not_ok "the metrics listener listens"
bearer=(-H "Authorization: Bearer $token")
start_origin
make_image "$TEST_DIR/origin" fw.bin 65536
start_swarm swarm --devices 6 --groups 2 --file-server-ratio 0.5 --concurrency 4 --exit-after-bootstrap
wait_until 30 bash -c "test \"\$(curl -s -H 'Authorization: Bearer $token' '$ACS_API_URL/api/devices' | jq .total)\" = 6" \
  && ok "6 devices registered" || not_ok "6 devices registered"
curl -s "${bearer[@]}" -H 'Content-Type: application/json' --data "{\"image\":\"fw.bin\",\"origin_url\":\"$ORIGIN_URL/fw.bin\",\"size\":65536,\"sha256\":\"$IMAGE_SHA256\"}" \
  "$ACS_API_URL/api/campaigns" >/dev/null

# ---- /metrics ---------------------------------------------------------------------------
curl -s "http://127.0.0.1:$metrics_port/metrics" >"$TEST_DIR/metrics.txt"
check "promtool check metrics accepts /metrics" promtool check metrics <"$TEST_DIR/metrics.txt"
families=$(grep -c '^# TYPE ' "$TEST_DIR/metrics.txt")
helps=$(grep -c '^# HELP ' "$TEST_DIR/metrics.txt")
check "every family has # HELP and # TYPE ($families families)" test "$families" -ge 30 -a "$families" = "$helps"
undeclared=$(grep -v '^#' "$TEST_DIR/metrics.txt" | sed 's/[{ ].*//' | sort -u | while read -r name; do
  grep -q "^# TYPE $name " "$TEST_DIR/metrics.txt" || echo "$name"; done)
check_equal "no sample without its family" "" "$undeclared"
check "cascade_build_info names the version" grep -q "^cascade_build_info{program=\"cascade-acs\",version=\"$(cat "$CASCADE_ROOT/VERSION")\"} 1$" "$TEST_DIR/metrics.txt"
for name in process_cpu_seconds_total process_resident_memory_bytes process_open_fds process_start_time_seconds; do
  check "$name is there" grep -qE "^$name [0-9.e+]+$" "$TEST_DIR/metrics.txt"
done
check_equal "the metrics listener serves nothing else" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/api/devices")"
check_equal "the API port wants the token for /metrics" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$ACS_API_URL/metrics")"
check "... and serves it with the token" bash -c "curl -s -H 'Authorization: Bearer $token' '$ACS_API_URL/metrics' | promtool check metrics"
check "no EXTERNAL_LOGGER warning at start" bash -c "! grep -q 'EXTERNAL_LOGGER is not the first option' '$TEST_DIR/acs.log'"

# ---- an idle keep-alive connection is no slow client ---------------------------------------
idle_result=$(/usr/bin/python3 - "$ACS_CWMP_PORT" <<'PY'
import socket, sys, time
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
connection.sendall(b"POST / HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n")
reply = connection.recv(4096)
opened = time.monotonic()
connection.settimeout(10)
try:
    while connection.recv(4096):
        pass
except socket.timeout:
    print("never closed")
    sys.exit(0)
print(f"{reply.split(b' ')[1].decode()} closed after {time.monotonic() - opened:.1f}")
PY
)
status=${idle_result%% *}
seconds=${idle_result##* }
check_equal "the empty POST outside a session gets 204" 204 "$status"
check "the idle keep-alive is closed at the 3 s connection timeout, not the 1 s request timeout ($seconds s)" \
  python3 -c "import sys; sys.exit(0 if 2.5 <= float('$seconds') <= 6 else 1)"
slow=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^cascade_acs_slow_clients_closed_total/ { print $2 }')
check_equal "and it is not counted as a slow client" 0 "$slow"
check "nor logged as one" bash -c "! grep -q 'slow client' '$TEST_DIR/acs.log'"

# ---- the console's login, session cookie and CSRF checks ---------------------------------------
page_headers=$(curl -s -D - -o "$TEST_DIR/index.html" "$ACS_API_URL/")
check "GET / serves the console without credentials" grep -q '<title>cascade console</title>' "$TEST_DIR/index.html"
check "... with a Content-Security-Policy that allows this server only" \
  grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" <<<"$page_headers"
check_equal "the console's script is served" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$ACS_API_URL/console/console.js")"
check_equal "/api/session says a token is needed and nobody is logged in" "true false" \
  "$(curl -s "$ACS_API_URL/api/session" | jq -r '"\(.token_required) \(.authenticated)"')"
check_equal "a wrong token does not log in" 401 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"token":"nope"}' "$ACS_API_URL/api/login")"
check_equal "a login from another site's page is refused" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' --data "{\"token\":\"$token\"}" "$ACS_API_URL/api/login")"
login=$(curl -s -D "$TEST_DIR/login.headers" -H "Origin: $ACS_API_URL" --data "{\"token\":\"$token\"}" "$ACS_API_URL/api/login")
csrf=$(jq -r .csrf <<<"$login")
cookie_line=$(grep -i '^set-cookie: cascade_console=' "$TEST_DIR/login.headers" | tr -d '\r')
check "the login sets an HttpOnly, SameSite=Strict session cookie" \
  bash -c "grep -q 'HttpOnly' <<<'$cookie_line' && grep -q 'SameSite=Strict' <<<'$cookie_line'"
cookie=$(sed -E 's/^[^:]*: (cascade_console=[0-9a-f]+).*/\1/I' <<<"$cookie_line")
check "the login answers a CSRF token" test "${#csrf}" = 32
check_equal "with the cookie, reads work" 6 "$(curl -s -b "$cookie" "$ACS_API_URL/api/devices" | jq .total)"
check_equal "with the cookie, /api/session gives the same CSRF token" "$csrf" "$(curl -s -b "$cookie" "$ACS_API_URL/api/session" | jq -r .csrf)"
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"all": true}' "$@" "$ACS_API_URL/api/faults/clear"; }
check_equal "a change with the cookie but no CSRF token is refused" 403 "$(post -b "$cookie" -H "Origin: $ACS_API_URL")"
check_equal "... with a wrong CSRF token too" 403 "$(post -b "$cookie" -H "Origin: $ACS_API_URL" -H 'X-CSRF-Token: 0123456789abcdef0123456789abcdef')"
check_equal "... and with the token from another site's page" 403 "$(post -b "$cookie" -H 'Origin: http://evil.example' -H "X-CSRF-Token: $csrf")"
check_equal "the console's own change passes" 200 "$(post -b "$cookie" -H "Origin: $ACS_API_URL" -H "X-CSRF-Token: $csrf")"
check_equal "the bearer token needs no CSRF token (cascadectl, scripts)" 200 "$(post "${bearer[@]}")"
check_equal "logout" 200 "$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" -H "Origin: $ACS_API_URL" -H "X-CSRF-Token: $csrf" -X POST "$ACS_API_URL/api/logout")"
check_equal "the session is gone after logout" 401 "$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" "$ACS_API_URL/api/devices")"
failures=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^cascade_acs_auth_blocked_addresses_total/ { print $2 }')
check_equal "a wrong login alone blocks nobody" 0 "$failures"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"

# ---- an API without a token: changes from another site's page are refused -----------------------------
start_acs open
check_equal "/api/session: no token needed" "false true" "$(curl -s "$ACS_API_URL/api/session" | jq -r '"\(.token_required) \(.authenticated)"')"
check_equal "a change from another site's page is refused" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' -H 'Content-Type: text/plain' --data '{"all":true}' "$ACS_API_URL/api/faults/clear")"
check_equal "... so is one its browser marks cross-site" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Sec-Fetch-Site: cross-site' --data '{"all":true}' "$ACS_API_URL/api/faults/clear")"
check_equal "a script's change (no Origin) passes" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' --data '{"all":true}' "$ACS_API_URL/api/faults/clear")"
stop_daemon open && ok "the open cascade-acs stops cleanly"
finish
