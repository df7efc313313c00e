#!/usr/bin/env bash
# Device authentication on the CWMP port: Basic and Digest with a shared
# credential, per-device credentials bound to one device, and the failures
# (no credentials, wrong password, credentials of another device).
# timeout: 60
source "$(dirname "$0")/../lib.sh"

inform_xml AUTH1 >"$TEST_DIR/inform1.xml"
inform_xml AUTH2 >"$TEST_DIR/inform2.xml"
inform_xml AUTH3 >"$TEST_DIR/inform3.xml"
printf '# per-device credentials\ndev2user dev2pass 00AA11-GW-AUTH2\n' >"$TEST_DIR/credentials"
code() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' "$@" "$ACS_CWMP_URL"; }

start_acs basic "[auth]" "mode = basic" "username = cpe" "password = s3cret"
check_equal "Basic: no credentials gets 401" 401 "$(code --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Basic: wrong password gets 401" 401 "$(code -u cpe:wrong --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Basic: the password with more after it gets 401" 401 "$(code -u cpe:s3cret-and-more --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Basic: right password gets the InformResponse" 200 "$(code -u cpe:s3cret --data-binary @"$TEST_DIR/inform1.xml")"
check "Basic: challenge names the realm" bash -c "curl -s -D - -o /dev/null --data-binary @'$TEST_DIR/inform1.xml' '$ACS_CWMP_URL' | grep -qi 'WWW-Authenticate: Basic realm=\"cascade\"'"
check_equal "only the authenticated Inform registered a device" 1 "$(sqlite3 "$TEST_DIR/basic.db" 'select count(*) from devices')"
failures=$(curl -s "$ACS_API_URL/metrics" | awk '/^cascade_acs_auth_failures_total/ {print $2}')
if [ "${failures:-0}" -ge 3 ]; then ok "auth failures counted in /metrics ($failures)"; else not_ok "auth failures counted" "$failures"; fi
stop_daemon basic

start_acs digest "[auth]" "mode = digest" "username = cpe" "password = s3cret" "credentials-file = $TEST_DIR/credentials"
check_equal "Digest: no credentials gets 401" 401 "$(code --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Digest: wrong password gets 401" 401 "$(code --digest -u cpe:nope --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Digest: shared credential works" 200 "$(code --digest -u cpe:s3cret --data-binary @"$TEST_DIR/inform1.xml")"
check_equal "Digest: per-device credential works for its device" 200 "$(code --digest -u dev2user:dev2pass --data-binary @"$TEST_DIR/inform2.xml")"
check_equal "Digest: per-device credential refused for another device" 403 "$(code --digest -u dev2user:dev2pass --data-binary @"$TEST_DIR/inform1.xml")"
# the session opened with a bound credential keeps the binding: another
# device's Inform on its connection or with its cookie is refused too
codes=$(curl -s --digest -u dev2user:dev2pass -o /dev/null -w '%{http_code} ' -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform2.xml" "$ACS_CWMP_URL" \
  --next -s -o /dev/null -w '%{http_code} %{num_connects}' -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform3.xml" "$ACS_CWMP_URL")
check_equal "Digest: bound session refuses another device's Inform on its connection" "200 403 0" "$codes"
codes=$(curl -s -c "$TEST_DIR/bound-jar" --digest -u dev2user:dev2pass -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary @"$TEST_DIR/inform2.xml" "$ACS_CWMP_URL")
codes="$codes $(code -b "$TEST_DIR/bound-jar" --data-binary @"$TEST_DIR/inform3.xml")"
codes="$codes $(code -b "$TEST_DIR/bound-jar" --data-binary @"$TEST_DIR/inform2.xml")"
check_equal "Digest: bound session's cookie refuses another device's Inform, not its own" "200 403 200" "$codes"
check_equal "Digest: the other device was not registered" 0 "$(sqlite3 "$TEST_DIR/digest.db" "select count(*) from devices where key like '%AUTH3'")"
# a whole session with Digest and the cookie: the empty POST needs no new challenge
codes=$(curl -s -c "$TEST_DIR/jar" -b "$TEST_DIR/jar" --digest -u cpe:s3cret -o /dev/null -w '%{http_code} ' --data-binary @"$TEST_DIR/inform1.xml" "$ACS_CWMP_URL" \
  --next -s -c "$TEST_DIR/jar" -b "$TEST_DIR/jar" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Length: 0' "$ACS_CWMP_URL")
check_equal "Digest session: Inform then empty POST" "200 204" "$codes"
check_equal "Digest: two devices registered" 2 "$(sqlite3 "$TEST_DIR/digest.db" 'select count(*) from devices')"
stop_daemon digest

printf 'broken-line\n' >"$TEST_DIR/bad-credentials"
printf '[auth]\nmode = digest\ncredentials-file = %s\n' "$TEST_DIR/bad-credentials" >"$TEST_DIR/bad.ini"
output=$(timeout 10 "$CASCADE_BIN/cascade-acs" --cwmp 127.0.0.1:0 --api 127.0.0.1:0 --db "$TEST_DIR/bad.db" --config "$TEST_DIR/bad.ini" 2>&1); status=$?
if [ $status -ne 0 ] && [ $status -ne 124 ] && grep -q 'expected USERNAME PASSWORD' <<<"$output"; then
  ok "a malformed credentials file is refused with a clear error"
else
  not_ok "a malformed credentials file is refused" "status $status: $output"
fi
finish
