#!/usr/bin/env bash
# cascade-swarm refuses bad fault-injection and occupancy lists with a
# message naming the option, before it simulates anything.
# timeout: 30
source "$(dirname "$0")/../lib.sh"

refused() {
  local what=$1 expected=$2 output status
  shift 2
  output=$(timeout 10 "$CASCADE_BIN/cascade-swarm" --acs http://127.0.0.1:9/ --devices 10 \
             --store "$TEST_DIR/store" "$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -qF -- "$expected" <<<"$output"; then ok "$what"
  else not_ok "$what" "exit $status: $output"; fi
}

refused "a device number past --devices is refused" '--fault-devices: "10" is not a device number below 10' \
  --fault-devices 1,10
refused "a word that is not a number is refused" '--slow-devices: "x" is not a device number' --slow-devices x
refused "an occupancy without '=' is refused" '--occupancy wants DEVICE=PERCENTx100 pairs, not "3"' --occupancy 3
refused "an occupancy over 100% is refused" '--occupancy wants DEVICE=PERCENTx100 pairs' --occupancy 3=10001
refused "a list too long to hold is refused, naming its option" '--stall-devices: the list is longer than 4095 characters' \
  --stall-devices "$(printf '1,%.0s' $(seq 3000))1"
finish
