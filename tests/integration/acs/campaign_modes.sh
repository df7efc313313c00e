#!/usr/bin/env bash
# Both campaign modes end to end with simulated devices (cascade-swarm)
# downloading real bytes: the origin serves one copy per group (to the
# masters), slaves fetch from their master's file server (campaign 1,
# sources master) or from file servers of their group (2 and 3, trees; url
# mode: in the Download URL; spv mode: X_CASCADE_MasterURL then an empty
# Download URL),
# every image is hash-checked, stock and TR-098 devices take part, and
# cascadectl drives it (groups, campaign start --file, watch, status).
# timeout: 120
source "$(dirname "$0")/../lib.sh"

devices=30
start_origin
make_image "$TEST_DIR/origin" fw-1.bin 1048576
sha_one=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-2.bin 786432
sha_two=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-3.bin 524288
sha_three=$IMAGE_SHA256
start_acs acs "[campaign]" "fanout = 3" "stall-timeout = 30s" "tick = 100ms" "[connection_request]" "retry-interval = 1s"
start_swarm swarm --devices $devices --groups 3 --file-server-ratio 0.2 --stock-ratio 0.2 --tr098-ratio 0.3 \
  --concurrency 16 --ack-log "$TEST_DIR/acks" --report "$TEST_DIR/swarm-report.jsonl"
total() { api GET /api/devices | jq -r .total; }
wait_until 30 bash -c "test \"\$(curl -s $ACS_API_URL/api/devices | jq -r .total)\" = $devices" && ok "all $devices simulated devices registered" || not_ok "devices registered" "$(total)"
ctl() { "$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" "$@"; }
groups=$(ctl groups --json | jq '.groups | length')
check_equal "three groups formed by hardware version" 3 "$groups"
masters=$(ctl groups --json | jq '[.groups[] | select(.master != null)] | length')
check_equal "every group has an elected master" 3 "$masters"
check "cascadectl groups prints a table" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' groups | grep -q 'hardware_version=hw-0'"
check "cascadectl devices prints a table" bash -c "'$CASCADE_BIN/cascadectl' --api '$ACS_API_URL' devices | grep -q '^$devices devices'"

run_campaign() {
  local id=$1 mode=$2 image=$3 sha=$4 output
  shift 4
  output=$(ctl campaign start --file "$TEST_DIR/origin/$image" --origin "$ORIGIN_URL/$image" --mode "$mode" "$@" 2>&1)
  if grep -q "^campaign $id started: $devices devices in 3 groups" <<<"$output"; then ok "$mode: campaign $id started"
  else not_ok "$mode: campaign $id started" "$output"; fi
  if ctl campaign watch "$id" --interval 0.3 --timeout 90 >"$TEST_DIR/watch-$id" 2>&1; then ok "$mode: watch ends with the campaign done"
  else not_ok "$mode: watch ends with the campaign done" "$(tail -5 "$TEST_DIR/watch-$id")"; fi
  check "$mode: watch printed plain progress lines (not a terminal)" grep -qE "^[0-9T:-]+Z campaign $id done image $image" "$TEST_DIR/watch-$id"
  check_equal "$mode: every device done" $devices "$(campaign_count "$id" done)"
  check_equal "$mode: the origin served exactly one copy per group" 3 "$(image_requests origin "$image")"
  # The URL each device fetched its image from (the swarm's report of every
  # download, not what the controller recorded): per group, the elected
  # master from the origin; with campaign sources "master" every other device
  # from that master's file server, with "tree" (the default) from a file
  # server of its own group (the swarm serves device N's files under /d/N/).
  sources=$(api GET "/api/campaigns/$id" | jq -r .rollout.sources)
  fetched=$(report_lines swarm --arg image "$image" --arg origin "$ORIGIN_URL/$image" --arg sources "$sources" '
    [.[] | select(.fault == 0) | .path = (.url | sub("[?].*$"; "")) | select(.path | endswith("/images/" + $image))] |
    group_by(.device) | map(last) | group_by(.group) |
    map(map(select(.path == $origin) | .device) as $from_origin | [.[].device] as $members |
      {origin: ($from_origin | length), serials: [.[] | select(.path == $origin) | .serial],
       from_source: (if ($from_origin | length) != 1 then 0
         elif $sources == "master" then [.[] | select(.path | endswith("/d/\($from_origin[0])/images/" + $image))] | length
         else [.[] | select(.path != $origin) | .path | capture("/d/(?<n>[0-9]+)/images/").n | tonumber |
               select(. as $n | $members | index($n))] | length end)}) |
    "\(map(.origin) | add) \(map(.from_source) | add) \(map(.serials[]) | sort | join(","))"')
  elected=$(api GET /api/groups | jq -r '[.groups[].master | split("-") | last] | sort | join(",")')
  if [ "$sources" = master ]; then from="from it"; else from="from file servers of their group"; fi
  check_equal "$mode: per group, the elected master fetched from the origin and the $((devices - 3)) others $from" \
    "3 $((devices - 3)) $elected" "$fetched"
  check_equal "$mode: TransferComplete recorded for every device" $devices \
    "$(sqlite3 "$TEST_DIR/acs.db" "select count(distinct device_id) from transfers where command_key like 'cascade-c$id-%' and fault_code = 0")"
}
run_campaign 1 url fw-1.bin "$sha_one" --sources master
run_campaign 2 spv fw-2.bin "$sha_two"
check_equal "stock devices were never sent X_CASCADE parameters (no faults)" 0 "$(sqlite3 "$TEST_DIR/acs.db" 'select count(*) from faults')"
# A signed campaign: cascade devices also get X_CASCADE_ImageSignature.
openssl genpkey -algorithm ed25519 -out "$TEST_DIR/image.key" 2>/dev/null
signature=$(ctl sign --key "$TEST_DIR/image.key" --file "$TEST_DIR/origin/fw-3.bin")
run_campaign 3 spv fw-3.bin "$sha_three" --signature "$signature"
check_equal "signed campaign: the simulated devices took the signature parameter (no faults)" 0 \
  "$(sqlite3 "$TEST_DIR/acs.db" 'select count(*) from faults')"
master_url=$(api GET /api/devices | jq -r '[.devices[] | select(.file_server.enable)][0].file_server.url')
curl -s -r 100- -o "$TEST_DIR/tail" -w '%{http_code}' "$master_url/images/fw-3.bin" >"$TEST_DIR/range-status"
check_equal "a master serves its image with Range (206), as slaves resume with it" 206 "$(cat "$TEST_DIR/range-status")"
check "the ranged bytes are the image's tail" cmp -s "$TEST_DIR/tail" <(tail -c +101 "$TEST_DIR/origin/fw-3.bin")
status=$(ctl campaign status 2)
check "cascadectl campaign status shows the group masters" grep -q 'group 1: 10 devices, master' <<<"$status"
stop_daemon swarm
summary=$(tail -n 1 "$TEST_DIR/swarm.log")
check_equal "swarm: every download passed its size and SHA-256 checks" "$((3 * devices)) 0" \
  "$(jq -r '"\(.downloads_ok) \(.downloads_failed)"' <<<"$summary")"
check_equal "swarm: acknowledged TransferCompletes logged" $((3 * devices)) "$(grep -c ' transfer cascade-' "$TEST_DIR/acks")"
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
