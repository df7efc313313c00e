#!/usr/bin/env bash
# An image the masters refuse for its hash (9018) halts the campaign: state
# halted with the reason and the masters that reported it, no failover to
# other masters and no fallback to the origin (no slave is ever sent a
# Download), cascadectl campaign watch ends; cancelled, its devices take a
# campaign with the right image.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

devices=20
start_origin
make_image "$TEST_DIR/origin" fw.bin 65536
good_sha=$IMAGE_SHA256
bad_sha=$(printf 'not the image' | sha256sum | cut -d' ' -f1)
start_acs acs "[campaign]" "tick = 100ms" "[connection_request]" "retry-interval = 1s"
start_swarm swarm --devices $devices --groups 2 --file-server-ratio 0.2 --report "$TEST_DIR/report.jsonl"
wait_until 30 bash -c "test \"\$(curl -s '$ACS_API_URL/api/devices' | jq .total)\" = $devices" && ok "devices registered" \
  || not_ok "devices registered"
ctl() { "$CASCADE_BIN/cascadectl" --api "$ACS_API_URL" "$@"; }
ctl campaign start --image fw.bin --size 65536 --sha256 "$bad_sha" --origin "$ORIGIN_URL/fw.bin" >/dev/null
if ctl campaign watch 1 --interval 0.2 --timeout 30 >"$TEST_DIR/watch" 2>&1; then status=0; else status=$?; fi
check_equal "cascadectl campaign watch ends on the halt with exit 1" 1 "$status"
api GET "/api/campaigns/1?devices=1" >"$TEST_DIR/campaign.json"
check_equal "the campaign is halted" halted "$(jq -r .state "$TEST_DIR/campaign.json")"
check "the reason names the integrity fault" jq -e '.halted.reason | test("9018")' "$TEST_DIR/campaign.json"
masters=$(jq -c '[.device_states[] | select(.role == "master") | .key] | sort' "$TEST_DIR/campaign.json")
reported=$(jq -c '.halted.devices | sort' "$TEST_DIR/campaign.json")
if [ "$(jq length <<<"$reported")" -ge 1 ] && [ "$(jq -c --argjson m "$masters" '. - $m' <<<"$reported")" = "[]" ]; then
  ok "the devices that reported it are masters ($reported)"
else
  not_ok "the reporting devices are masters" "reported $reported, masters $masters"
fi
sleep 2
api GET "/api/campaigns/1?devices=1" >"$TEST_DIR/campaign.json"
check_equal "no failover: no master was marked bad" 0 "$(jq '[.group_details[].failed_masters] | add' "$TEST_DIR/campaign.json")"
check_equal "no fallback to the origin" false "$(jq '[.group_details[].fallback_origin] | any' "$TEST_DIR/campaign.json")"
check_equal "no slave was sent a Download" 0 \
  "$(jq '[.device_states[] | select(.role == "slave" and .state != "pending")] | length' "$TEST_DIR/campaign.json")"
check "only masters downloaded (from the origin)" bash -c \
  "test \"\$(jq -s '[.[].serial] | unique | length' '$TEST_DIR/report.jsonl')\" -le 2"
check_equal "cancel moves it on" cancelled "$(api POST /api/campaigns/1/cancel | jq -r .state)"
ctl campaign start --file "$TEST_DIR/origin/fw.bin" --origin "$ORIGIN_URL/fw.bin" >/dev/null
if ctl campaign watch 2 --interval 0.3 --timeout 60 >"$TEST_DIR/watch2" 2>&1; then ok "a campaign with the right image finishes"
else not_ok "a campaign with the right image finishes" "$(tail -3 "$TEST_DIR/watch2")"; fi
check_equal "every device done" $devices "$(campaign_count 2 done)"
check_equal "(its hash was the right one)" "$good_sha" "$(api GET /api/campaigns/2 | jq -r .sha256)"
stop_daemon swarm
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
