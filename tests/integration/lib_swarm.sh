# Simulated devices (cascade-swarm); sourced by lib.sh.
#
#   start_swarm NAME [FLAGS...]        cascade-swarm against $ACS_CWMP_URL, its store in
#                                      $TEST_DIR/NAME-store
#   start_fleet_swarm NAME [FLAGS...]  the fleet's slaves: start_swarm with the fleet identity
#                                      (lib_cpe.sh), $CR_USER / $CR_PASS, no file servers by default,
#                                      a report in $TEST_DIR/NAME-report.jsonl and the group
#                                      prefixes in $TEST_DIR/NAME-prefixes
#   swarm_stats NAME                   the swarm's live summary (GET /-/stats on its server)
#   report_lines NAME [JQ-ARGS] FILTER jq over the swarm's per-download report (slurped)

start_swarm() {
  local name=$1
  shift
  start_daemon "$name" "$CASCADE_BIN/cascade-swarm" --acs "$ACS_CWMP_URL" --store "$TEST_DIR/$name-store" "$@"
}

start_fleet_swarm() {
  local name=$1
  shift
  start_swarm "$name" --report "$TEST_DIR/$name-report.jsonl" --prefix-file "$TEST_DIR/$name-prefixes" \
    --manufacturer "$FLEET_MANUFACTURER" --oui "$FLEET_OUI" --product-class "$FLEET_PRODUCT_CLASS" \
    --hardware-prefix "$FLEET_HARDWARE_PREFIX" --software-version "$FLEET_SOFTWARE_VERSION" \
    --cr-username "$CR_USER" --cr-password "$CR_PASS" --file-server-ratio 0 "$@"
}

swarm_stats() {
  local url
  url=$(grep -o 'swarm server listening on http://[0-9.]*:[0-9]*' "$TEST_DIR/$1.log" | head -1 | sed 's/.* on //')
  [ -n "$url" ] && curl -s --max-time 10 "$url/-/stats"
}

report_lines() {
  local name=$1
  shift
  jq -s -r "$@" "$TEST_DIR/$name-report.jsonl"
}
