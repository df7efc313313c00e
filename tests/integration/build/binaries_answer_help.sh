#!/usr/bin/env bash
# Every binary in build/bin, and every command it lists under "Commands:"
# in its --help (recursively: cascadectl meter cap set), answers --help
# with a Usage line and exit 0, --version with "NAME VERSION" (the VERSION
# file's), and refuses an unknown option with exit 2 and the one wording of
# the settings layer and the tools: "NAME: unknown option '--x' (see
# --help)". Each binary also words a missing value and a bad value the same
# way, and its --man renders with groff without a warning.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

version=$(cat "$CASCADE_ROOT/VERSION")
shopt -s nullglob
binaries=("$CASCADE_BIN"/*)
if [ ${#binaries[@]} -eq 0 ]; then
  skip "binaries answer --help" "no binaries built yet in $CASCADE_BIN"
  finish
fi

# The commands listed under "Commands:" in a --help text: the first words
# of each entry (up to two spaces), one per line.
listed_commands() {
  awk '/^Commands:/ { inside = 1; next }
       inside && /^$/ { exit }
       inside && /^  [a-z]/ { sub(/^  /, ""); sub(/  .*/, ""); print }'
}

# expect_usage_error "what" "exact message" command...: exit 2 and that one line.
expect_usage_error() {
  local what=$1 expected=$2 output status
  shift 2
  output=$("$@" 2>&1 </dev/null)
  status=$?
  if [ $status -eq 2 ] && [ "$output" = "$expected" ]; then
    ok "$what"
  else
    not_ok "$what" "status $status: $output"$'\n'"expected: $expected"
  fi
}

# check_command BINARY WORDS...: --help, --version and an unknown option.
check_command() {
  local binary=$1 name output status
  shift
  name=$(basename "$binary")${*:+ $*}
  output=$("$binary" "$@" --help 2>&1)
  status=$?
  if [ $status -eq 0 ] && grep -q "^Usage: $name" <<<"$output"; then
    ok "$name --help prints its usage"
  else
    not_ok "$name --help prints its usage" "status $status: $output"
  fi
  HELP_TEXT=$output
  output=$("$binary" "$@" --version 2>&1)
  status=$?
  if [ $status -eq 0 ] && [[ $output == "$(basename "$binary")"*" $version" ]]; then
    ok "$name --version prints $version"
  else
    not_ok "$name --version prints $version" "status $status: $output"
  fi
  expect_usage_error "$name refuses an unknown option with exit 2 and the one wording" \
    "$name: unknown option '--no-such-option' (see --help)" "$binary" "$@" --no-such-option
}

# walk BINARY WORDS...: the command, then every command its help lists.
walk() {
  local binary=$1 depth=$# words
  shift
  check_command "$binary" "$@"
  [ "$depth" -gt 3 ] && return
  while IFS= read -r words; do
    [ -n "$words" ] || continue
    # A listed "campaign start" of cascadectl is a path from the program.
    if [ $# -gt 0 ] && [[ $words != "$1 "* ]]; then read -ra path <<<"$* $words"; else read -ra path <<<"$words"; fi
    walk "$binary" "${path[@]}"
  done < <(listed_commands <<<"$HELP_TEXT")
}

for binary in "${binaries[@]}"; do
  walk "$binary"
  if "$binary" --man 2>/dev/null | groff -man -ww -z 2>"$TEST_DIR/groff.err" && [ ! -s "$TEST_DIR/groff.err" ]; then
    ok "$(basename "$binary") --man renders without a warning"
  else
    not_ok "$(basename "$binary") --man renders without a warning" "$(head -5 "$TEST_DIR/groff.err")"
  fi
done

# The subcommands the issue names, in case a list above forgot them.
for command in "cascadectl devices" "cascadectl groups" "cascadectl campaign" "cascadectl campaign start" \
  "cascadectl campaign watch" "cascadectl sign" "cascadectl meter cap set" "cascade-meter cap set" \
  "cascade-meter group list" "cascade-meter cap" "cascade-meter show" "cascade-meter-traffic fetch"; do
  read -ra words <<<"$command"
  output=$("$CASCADE_BIN/${words[0]}" "${words[@]:1}" --help 2>&1)
  status=$?
  if [ $status -eq 0 ] && grep -q "^Usage: $command" <<<"$output"; then
    ok "$command --help"
  else
    not_ok "$command --help" "status $status: $output"
  fi
done

bin=$CASCADE_BIN
expect_usage_error "cascade-master: a missing value" \
  "cascade-master: option '--threads' needs a value (see --help)" "$bin/cascade-master" --threads
expect_usage_error "cascade-master: a bad value" \
  "cascade-master: bad value '0' for --threads: expected a whole number from 1 to 256 (see --help)" \
  "$bin/cascade-master" --images /tmp --threads 0
expect_usage_error "cascade-acs: a bad value" \
  "cascade-acs: bad value 'x' for --threads: expected a whole number (see --help)" "$bin/cascade-acs" --threads x
expect_usage_error "cascade-cpe: a missing value" \
  "cascade-cpe: option '--serial' needs a value (see --help)" "$bin/cascade-cpe" --serial
expect_usage_error "cascadectl devices: a missing value" \
  "cascadectl devices: option '--limit' needs a value (see --help)" "$bin/cascadectl" devices --limit
expect_usage_error "cascadectl devices: a bad value" \
  "cascadectl devices: bad value 'x' for --limit: expected a whole number (see --help)" \
  "$bin/cascadectl" devices --limit x
expect_usage_error "cascadectl: a global option without its value" \
  "cascadectl: option '--api' needs a value (see --help)" "$bin/cascadectl" devices --api
expect_usage_error "cascade-meter show: a bad value" \
  "cascade-meter show: bad value 'x' for --interval: expected a duration up to 1h, e.g. 1s or 500ms (see --help)" \
  "$bin/cascade-meter" show --interval x
expect_usage_error "cascade-meter: a missing value" \
  "cascade-meter: option '--bpf-pin-dir' needs a value (see --help)" "$bin/cascade-meter" --bpf-pin-dir
expect_usage_error "cascade-swarm: a bad value" \
  "cascade-swarm: bad value 'x' for --devices: expected a whole number from 1 to 2000000 (see --help)" \
  "$bin/cascade-swarm" --devices x
expect_usage_error "cascade-load: a bad value" \
  "cascade-load: bad value 'x' for --clients: expected a whole number from 1 to 1000000 (see --help)" \
  "$bin/cascade-load" --clients x http://127.0.0.1/
expect_usage_error "cascade-meter-traffic fetch: a bad value" \
  "cascade-meter-traffic fetch: bad value 'x' for --bytes: expected a byte count up to 1T (see --help)" \
  "$bin/cascade-meter-traffic" fetch --bytes x
finish
