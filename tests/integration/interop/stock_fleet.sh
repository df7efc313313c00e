#!/usr/bin/env bash
# A 1,000-device fleet mixing ideal devices with every stock-device profile
# of cascade-swarm (10 % each: partial-path, sloppy-fault,
# late-transfer-complete, stalling, spv-fault, nonce-reuse, legacy), behind
# an ACS that accepts Digest and Basic. A url campaign and an spv campaign
# both end with every device done and none failed; the spv-faulting devices
# end in url mode; late reporters (periodic Inform every 300 s) report
# within 10 s of their download (p99), because the ACS asks them to call in;
# stalling slaves never fail their healthy master; sloppy faults are read
# (no HTTP 500, no unreadable reply); nonce-reusing devices get stale
# nonces, never a 429.
# timeout: 240
source "$(dirname "$0")/../lib.sh"

devices=${CASCADE_INTEROP_DEVICES:-1000}
profiles=partial-path=0.1,sloppy-fault=0.1,late-transfer-complete=0.1,stalling=0.1,spv-fault=0.1,nonce-reuse=0.1,legacy=0.1
start_origin
make_image "$TEST_DIR/origin" fw-1.bin 131072
sha_one=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-2.bin 98304
sha_two=$IMAGE_SHA256
start_acs acs "[auth]" "mode = digest,basic" "username = cpe" "password = s3cret" \
  "[campaign]" "fanout = 16" "stall-timeout = 12s" "tick = 100ms" "[connection_request]" "retry-interval = 2s"
start_swarm swarm --devices "$devices" --groups 10 --file-server-ratio 0.02 --periodic 300 --concurrency 256 \
  --profile "$profiles" --drop-delay 2 --username cpe --password s3cret --report "$TEST_DIR/report.jsonl"
registered() { [ "$(api GET '/api/devices?limit=1' | jq -r .total)" = "$devices" ]; }
wait_until 60 registered && ok "all $devices devices registered" || not_ok "devices registered" "$(api GET '/api/devices?limit=1' | jq .total)"
swarm_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$TEST_DIR/swarm.log" | head -1)
stats() { curl -s --max-time 10 "$swarm_url/-/stats"; }
probed() { [ "$(api GET "/api/devices?limit=$devices" | jq '[.devices[] | select(.attributes_probed)] | length')" -ge $((devices / 10)) ]; }
wait_until 30 probed && ok "the partial-path (stock) devices were probed with leaf names" || not_ok "stock devices probed"

run_campaign() {
  local id=$1 mode=$2 image=$3 sha=$4 size=$5 body
  body=$(jq -nc --arg image "$image" --arg url "$ORIGIN_URL/$image" --arg sha "$sha" --arg mode "$mode" --argjson size "$size" \
    '{image: $image, origin_url: $url, size: $size, sha256: $sha, mode: $mode}')
  check_equal "$mode: campaign $id started" "$id" "$(api POST /api/campaigns "$body" | jq -r .id)"
  if wait_until 150 campaign_is "$id" done; then ok "$mode: campaign done"; else not_ok "$mode: campaign done" "$(api GET "/api/campaigns/$id" | jq -c '[.state, .counts]')"; fi
  api GET "/api/campaigns/$id?devices=1" >"$TEST_DIR/campaign-$id.json"
  check_equal "$mode: every device done, none failed" "$devices 0" \
    "$(jq -r '"\(.counts.done) \(.counts.failed)"' "$TEST_DIR/campaign-$id.json")"
  check_equal "$mode: no master was failed (stalling slaves are their own trouble)" 0 \
    "$(jq '[.group_details[] | .failed_masters] | add' "$TEST_DIR/campaign-$id.json")"
}

run_campaign 1 url fw-1.bin "$sha_one" 131072
run_campaign 2 spv fw-2.bin "$sha_two" 98304
stats >"$TEST_DIR/stats.json"
# serial -> profile, from the swarm's own report
jq -r 'select(.profile == "spv-fault") | .serial' "$TEST_DIR/report.jsonl" | sort -u >"$TEST_DIR/spv-fault-serials"
check_equal "the spv-fault profile took part" $((devices / 10)) "$(wc -l <"$TEST_DIR/spv-fault-serials")"
in_url_mode=$(jq -r '.device_states[] | select(.mode == "url") | .key | split("-") | last' "$TEST_DIR/campaign-2.json" | sort -u \
  | comm -12 - "$TEST_DIR/spv-fault-serials" | wc -l)
check_equal "spv: every spv-faulting device ended in url mode" $((devices / 10)) "$in_url_mode"
last_spv_flag=$(jq -s '[group_by(.serial)[] | map(select(.image == "fw-2.bin" and .fault == 0)) | select(length > 0)
  | select(.[0].profile == "spv-fault") | last | .spv] | unique' "$TEST_DIR/report.jsonl")
check_equal "spv: their successful download came by the Download URL, not X_CASCADE_MasterURL" '[false]' "$(jq -c . <<<"$last_spv_flag")"
late_p99=$(jq '.profiles["late-transfer-complete"].transfer_complete_p99_ms' "$TEST_DIR/stats.json")
late_count=$(jq '.profiles["late-transfer-complete"].transfer_completes' "$TEST_DIR/stats.json")
if [ "$late_count" -ge $((2 * devices / 10)) ] && [ "$late_p99" -le 10000 ]; then
  ok "late reporters (periodic 300 s) reported within 10 s of their download, p99 ${late_p99} ms ($late_count reports)"
else
  not_ok "late reporters reported within 10 s (p99)" "p99 ${late_p99} ms over $late_count reports"
fi
check_equal "every profile's downloads ended well (the spv-fault TransferComplete 9010s aside)" "0" \
  "$(jq '[.profiles | to_entries[] | select(.key != "spv-fault") | .value.downloads_failed] | add' "$TEST_DIR/stats.json")"
check "the nonce-reusing devices were answered stale=true" jq -e '.profiles["nonce-reuse"].stale_nonces >= 100' "$TEST_DIR/stats.json"
check_equal "no device got an HTTP error (no 429, no 500), none a reply in the wrong namespace" "0 0 0" \
  "$(jq -r '"\(.http_errors) \(.failed_sessions) \(.wrong_namespace)"' "$TEST_DIR/stats.json")"
metrics=$(curl -s "$ACS_API_URL/metrics")
check_equal "no address was blocked for failed logins" 0 "$(awk '/^cascade_acs_auth_blocked_addresses_total/ {print $2}' <<<"$metrics")"
check_equal "the ACS sent no CWMP fault (every sloppy fault was read)" 0 "$(awk '/^cascade_acs_faults_sent_total/ {print $2}' <<<"$metrics")"
check "sloppy faults of SetParameterValues were recorded as faults 9005" bash -c \
  "test \"\$(sqlite3 '$TEST_DIR/acs.db' \"select count(distinct device_id) from faults where code = 9005 and context = 'SetParameterValues'\")\" -ge $((devices / 10))"
check "no reply was unreadable" bash -c "! grep -q 'unusable reply' '$TEST_DIR/acs.log'"
stop_daemon swarm && ok "cascade-swarm stops cleanly"
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
