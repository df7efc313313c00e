#!/usr/bin/env bash
# The election's rules seen from outside, over real CWMP sessions: in one
# group, a device without a file server never becomes master however idle it
# is; among file-server devices the lowest CPU occupancy wins; a device whose
# occupancy is over the election limit is passed over; and a device that
# turns its file server off loses the mastership at its next Inform.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

start_acs acs "[election]" "max-occupancy = 6000"

# inform SERIAL OCCUPANCY FILE_SERVER(0|1): one whole session for the device.
inform() {
  local serial=$1 occupancy=$2 file_server=$3 parameters
  parameters="<ParameterValueStruct><Name>Device.DeviceInfo.HardwareVersion</Name><Value xsi:type=\"xsd:string\">hw-e</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.DeviceInfo.SoftwareVersion</Name><Value xsi:type=\"xsd:string\">1.0</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_CPUOccupancy</Name><Value xsi:type=\"xsd:unsignedInt\">$occupancy</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_CacheSize</Name><Value xsi:type=\"xsd:unsignedLong\">1073741824</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.Enable</Name><Value xsi:type=\"xsd:boolean\">$file_server</Value></ParameterValueStruct>
<ParameterValueStruct><Name>Device.X_CASCADE_FileServer.URL</Name><Value xsi:type=\"xsd:string\">http://127.0.0.1:9/$serial</Value></ParameterValueStruct>"
  rm -f "$TEST_DIR/jar"
  curl -sS -b "$TEST_DIR/jar" -c "$TEST_DIR/jar" -H 'Content-Type: text/xml' -o /dev/null -w '%{http_code}' \
    --data-binary "$(inform_xml "$serial" "2 PERIODIC" urn:dslforum-org:cwmp-1-2 "$parameters")" "$ACS_CWMP_URL" \
    --next -b "$TEST_DIR/jar" -c "$TEST_DIR/jar" -o /dev/null -w ' %{http_code}' -X POST -H 'Content-Length: 0' "$ACS_CWMP_URL"
}

# The serial number of the group's elected master, or "none".
master_serial() {
  local key
  key=$(api GET /api/groups | jq -r '.groups[0].master // "none"')
  [ "$key" = none ] && { echo none; return; }
  api GET /api/devices | jq -r --arg key "$key" '.devices[] | select(.key == $key) | .serial_number'
}

check_equal "the idlest device, without a file server, informs" "200 204" "$(inform IDLE-NOFS 100 0)"
check_equal "no group master without a file-server device" none "$(master_serial)"
check_equal "a busier file-server device informs" "200 204" "$(inform BUSY-FS 4000 1)"
check_equal "the file-server device is master, not the idler one without" BUSY-FS "$(master_serial)"
check_equal "a quieter file-server device informs" "200 204" "$(inform QUIET-FS 1500 1)"
check_equal "the lowest occupancy among file servers wins" QUIET-FS "$(master_serial)"
check_equal "the quieter one reports occupancy over the limit" "200 204" "$(inform QUIET-FS 9000 1)"
check_equal "a master over the occupancy limit is replaced" BUSY-FS "$(master_serial)"
check_equal "the master turns its file server off" "200 204" "$(inform BUSY-FS 3000 0)"
check_equal "a device without a file server loses the mastership" none "$(master_serial)"
check_equal "one group holds all four Informs' devices" 1 "$(api GET /api/groups | jq '.groups | length')"
stop_daemon acs && ok "cascade-acs stops cleanly"
finish
