#!/usr/bin/env bash
# Only the sources that include a generated BPF skeleton wait for the BPF
# pipeline: a library without eBPF builds with no bpftool and no clang at all,
# while the meter's skeleton users still ask for their skeletons first.
# timeout: 240
source "$(dirname "$0")/../lib.sh"

scratch="$TEST_DIR/build"
cd "$CASCADE_ROOT" || { not_ok "project folder"; finish; }

if output=$(make -s BUILD="$scratch" BPFTOOL=false CLANG=false "$scratch/lib/libcommon.a" "$scratch/lib/libcwmp.a" 2>&1); then
  ok "libcommon and libcwmp build without the BPF tools"
else
  not_ok "libcommon and libcwmp build without the BPF tools" "$(tail -n 20 <<<"$output")"
fi
check_equal "no skeleton was generated for them" "" "$(ls "$scratch/include" 2>/dev/null | grep skel)"

users=$(grep -rl --include='*.c' '\.skel\.h' userspace | head -n 1)
if [ -z "$users" ]; then
  not_ok "some source includes a skeleton" "none found under userspace/"
else
  object="$scratch/obj/${users%.c}.o"
  if output=$(make -s BUILD="$scratch" BPFTOOL=false CLANG=false "$object" 2>&1); then
    not_ok "$users waits for the BPF pipeline" "it compiled without bpftool"
  else
    ok "$users waits for the BPF pipeline (no bpftool: no object)"
  fi
fi
finish
