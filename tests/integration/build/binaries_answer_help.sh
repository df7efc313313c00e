#!/usr/bin/env bash
# Every binary in build/bin answers --help with usage and exit 0, and
# rejects an unknown option with a message and a non-zero exit.
# timeout: 60
source "$(dirname "$0")/../lib.sh"

shopt -s nullglob
binaries=("$CASCADE_BIN"/*)
if [ ${#binaries[@]} -eq 0 ]; then
  skip "binaries answer --help" "no binaries built yet in $CASCADE_BIN"
  finish
fi
for binary in "${binaries[@]}"; do
  name=$(basename "$binary")
  output=$("$binary" --help 2>&1)
  status=$?
  if [ $status -eq 0 ] && grep -qi 'usage' <<<"$output"; then
    ok "$name --help prints usage"
  else
    not_ok "$name --help prints usage" "status $status: $output"
  fi
  output=$("$binary" --no-such-option 2>&1)
  status=$?
  if [ $status -ne 0 ] && [ -n "$output" ]; then
    ok "$name rejects an unknown option"
  else
    not_ok "$name rejects an unknown option" "status $status: $output"
  fi
done
finish
