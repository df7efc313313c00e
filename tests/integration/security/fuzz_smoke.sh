#!/usr/bin/env bash
# Fuzz smoke: builds every libFuzzer harness (tests/fuzz/run: clang,
# ASan + UBSan) and runs each for a few seconds (FUZZ_SMOKE_SECONDS,
# default 5), replaying its whole seed corpus first, crash reproducers of
# fixed bugs included. One TAP line per harness. Runs in the plain build
# only: the harnesses are ASan builds already, and the ASan suite's time is
# better spent on the daemons.
# timeout: 420
. "$(dirname "$0")/../lib.sh"

case "$CASCADE_BUILD" in
  *build-asan)
    skip "fuzz smoke" "runs in the plain build only (the harnesses are ASan+UBSan builds already)"
    finish ;;
esac
runtime="$(clang -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a"
if ! command -v clang >/dev/null || [ ! -f "$runtime" ]; then
  skip "fuzz smoke" "clang's libFuzzer runtime is missing (tools/install-deps installs libclang-rt-14-dev)"
  finish
fi

fuzz_build="$CASCADE_BUILD/../build-fuzz"
export FUZZ_BUILD="$fuzz_build" FUZZ_SECONDS="${FUZZ_SMOKE_SECONDS:-5}"
mapfile -t harnesses < <("$CASCADE_ROOT/tests/fuzz/run" --list)
check "tests/fuzz/run lists harnesses" test "${#harnesses[@]}" -ge 10

if "$CASCADE_ROOT/tests/fuzz/run" --build-only >"$TEST_DIR/build.log" 2>&1; then
  ok "all ${#harnesses[@]} harnesses build with -fsanitize=fuzzer,address,undefined"
else
  not_ok "all harnesses build" "$(tail -n 30 "$TEST_DIR/build.log")"
  finish
fi

"$CASCADE_ROOT/tests/fuzz/run" >"$TEST_DIR/run.log" 2>&1
status=$?
for name in "${harnesses[@]}"; do
  line=$(grep -E "^(pass|FAIL) $name " "$TEST_DIR/run.log")
  case "$line" in
    pass*) ok "$name: seeds replayed and ${FUZZ_SECONDS}s of fuzzing clean ($(echo "$line" | awk '{print $3}') runs)" ;;
    *) not_ok "$name: no crash, leak or sanitizer report" \
         "$(sed -n "/^FAIL $name /,/^\(pass\|FAIL\|fuzz:\) /p" "$TEST_DIR/run.log" | head -n 40)" ;;
  esac
done
check_equal "tests/fuzz/run exits 0" 0 "$status"
finish
