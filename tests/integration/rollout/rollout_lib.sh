# Helpers for the rollout scenario tests (source after ../lib.sh): the
# building blocks of tools/demo/rollout-lib.bash on $TEST_DIR, plus
#   kill_hard NAME                     kill -9 a daemon (a device or server that dies)
#   report_lines SWARM [JQ-ARGS] FILTER   jq over the swarm's per-download report (slurped)
#   campaign_json ID                   the campaign with device_states, saved and printed
#   campaign_finishes ID DEVICES [WHAT]   waits (60 s) for it, saves it, checks all DEVICES done
#   group_detail FILE GROUP FILTER     jq over one group of a saved campaign
#   diagnose                           the last log lines of every daemon (for failures)
ROLLOUT_DIR=$TEST_DIR
ROLLOUT_METER=off
source "$CASCADE_ROOT/tools/demo/rollout-lib.bash"
if [ -n "${ROLLOUT_NETNS:-}" ]; then
  ip link set lo ${ROLLOUT_NETNS_MTU:+mtu "$ROLLOUT_NETNS_MTU"} up
fi

report_lines() {
  local name=$1
  shift
  jq -s -r "$@" "$TEST_DIR/$name-report.jsonl"
}

campaign_json() {
  rollout_api "/api/campaigns/$1?devices=1" >"$TEST_DIR/campaign-$1.json"
  cat "$TEST_DIR/campaign-$1.json"
}

campaign_finishes() {
  if rollout_wait_until 60 rollout_campaign_is "$1" done; then ok "the campaign finishes"; else
    not_ok "the campaign finishes" "$(rollout_api "/api/campaigns/$1")"$'\n'"$(diagnose)"; fi
  campaign_json "$1" >/dev/null
  check_equal "every device done${3:+ $3}, none failed" "$2 0" \
    "$(jq -r '"\(.counts.done) \(.counts.failed)"' "$TEST_DIR/campaign-$1.json")"
}

group_detail() { jq -r --argjson g "$2" ".group_details[] | select(.group == \$g) | $3" "$1"; }

diagnose() {
  local log
  for log in "$TEST_DIR"/*.log; do
    echo "== $(basename "$log")"
    tail -n 8 "$log"
  done
}

# A master-device key as the ACS spells it.
device_key() { echo "$FLEET_OUI-$FLEET_PRODUCT_CLASS-$1"; }
