#!/usr/bin/env bash
# The web console in headless Chromium (browser.py, python3-selenium and
# chromium-driver from Debian) against cascade-acs with an API token, the
# origin and a 12-device cascade-swarm in two groups (device 5's downloads
# fault): log in, the fleet, a device's timeline, the groups, a campaign
# started from the page and watched to the end without a reload, its
# report, faults cleared and retried, a second campaign cancelled. The
# browser only ever talks to 127.0.0.1. Screenshots of every page go to
# $CASCADE_BUILD/console-screenshots/ (docs/images/ keeps a copy of each).
# timeout: 180
source "$(dirname "$0")/../lib.sh"

for program in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$program" ] || { not_ok "$program is installed (tools/deps/console.list)"; finish; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { not_ok "python3-selenium is installed (tools/deps/console.list)"; finish; }

echo "console-t0ken-$$" >"$TEST_DIR/token"
start_origin
make_image "$TEST_DIR/origin" fw-2.0.bin 1048576
first_sha256=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-2.1.bin 1048576
ACS_EXTRA_ARGS="--api-token-file $TEST_DIR/token" start_acs acs "[campaign]" "tick = 100ms" "fanout = 4" \
  "max-attempts = 2" "[connection_request]" "retry-interval = 1s"
start_swarm swarm --devices 12 --groups 2 --file-server-ratio 0.34 --fault-devices 5 --periodic 30 --concurrency 8
ctl() { "$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" --token-file "$TEST_DIR/token" "$@"; }
wait_until 30 bash -c "test \"\$('$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' --token-file '$TEST_DIR/token' --json devices | jq .total)\" = 12" \
  && ok "12 devices registered" || not_ok "12 devices registered"

screenshots="$CASCADE_BUILD/console-screenshots"
rm -rf "$screenshots"
mkdir -p "$screenshots"
CONSOLE_URL="$ACS_API_URL" TOKEN="console-t0ken-$$" \
  IMAGE_NAME=fw-2.0.bin IMAGE_SIZE=1048576 IMAGE_SHA256=$first_sha256 ORIGIN_IMAGE_URL="$ORIGIN_URL/fw-2.0.bin" \
  SECOND_IMAGE_NAME=fw-2.1.bin SECOND_IMAGE_SIZE=1048576 SECOND_IMAGE_SHA256=$IMAGE_SHA256 \
  SECOND_ORIGIN_IMAGE_URL="$ORIGIN_URL/fw-2.1.bin" STOP_FLEET="kill -TERM ${DAEMON_PID[swarm]}" \
  SCREENSHOTS="$screenshots" PROFILE="$TEST_DIR/chromium-profile" DRIVER_PORT=$(free_port) \
  DRIVER_LOG="$TEST_DIR/chromedriver.log" \
  timeout 150 /usr/bin/python3 "$(dirname "$0")/browser.py" || TEST_FAILURES=$((TEST_FAILURES + 1))

check_equal "the API agrees: campaign 1 done" done "$(ctl --json campaign status 1 | jq -r .state)"
check_equal "the API agrees: campaign 2 cancelled" cancelled "$(ctl --json campaign status 2 | jq -r .state)"
for page in login fleet device groups campaigns campaign faults; do
  check_equal "screenshot console-$page.png is a PNG" 89504e470d0a1a0a \
    "$(head -c 8 "$screenshots/console-$page.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')"
done
wait "${DAEMON_PID[swarm]}" 2>/dev/null
unset "DAEMON_PID[swarm]"
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
