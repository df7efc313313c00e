#!/usr/bin/env bash
# Devices whose Informs carry no attributes (cascade-swarm --no-attributes,
# TR-181 and TR-098, stock and cascade) are read by the ACS's probe
# (GetParameterValues, GetParameterNames, GetParameterValues of X_CASCADE_)
# in the same session, answered by the simulated devices' data model.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

start_acs acs
start_swarm swarm --devices 8 --groups 2 --no-attributes --tr098-ratio 0.5 --stock-ratio 0.3 --file-server-ratio 0.5 \
  --software-version 7.1 --exit-after-bootstrap
wait_until 30 bash -c "test \"\$(curl -s '$ACS_API_URL/api/devices' | jq '[.devices[] | select(.attributes_probed)] | length')\" = 8" \
  && ok "all 8 devices probed" || not_ok "all devices probed" "$(api GET /api/devices)"
api GET /api/devices >"$TEST_DIR/devices.json"
check_equal "software versions read by GetParameterValues" "7.1" "$(jq -r '[.devices[].software_version] | unique | join(",")' "$TEST_DIR/devices.json")"
check_equal "every device has an occupancy" 0 "$(jq '[.devices[] | select(.cpu_occupancy == null)] | length' "$TEST_DIR/devices.json")"
check_equal "two groups from the probed hardware versions" 2 "$(api GET /api/groups | jq '.groups | length')"
cascade=$(jq '[.devices[] | select(.cascade)] | length' "$TEST_DIR/devices.json")
servers=$(jq '[.devices[] | select(.file_server.enable and (.file_server.url | startswith("http://")))] | length' "$TEST_DIR/devices.json")
if [ "$cascade" -ge 1 ] && [ "$cascade" -lt 8 ]; then ok "X_CASCADE_ names found by GetParameterNames on the $cascade cascade devices only"
else not_ok "X_CASCADE_ found on cascade devices only" "$cascade"; fi
if [ "$servers" -ge 1 ]; then ok "file-server URLs read ($servers)"; else not_ok "file-server URLs read"; fi
check "TR-098 devices answered under InternetGatewayDevice." bash -c "sqlite3 '$TEST_DIR/acs.db' \"select count(*) from devices where root = 'InternetGatewayDevice.'\" | grep -qv '^0$'"
check_equal "no device faulted the probe" 0 "$(sqlite3 "$TEST_DIR/acs.db" 'select count(*) from faults')"
wait "${DAEMON_PID[swarm]}" 2>/dev/null
unset "DAEMON_PID[swarm]"
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
