#!/usr/bin/env bash
# The BPF pipeline's output is real: every object in build/bpf passes the
# kernel verifier (loaded with bpftool into a private pin folder, then removed).
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_root

pin_root=/sys/fs/bpf/cascade-test-$$
on_exit "rm -rf $pin_root"
shopt -s nullglob
objects=("$CASCADE_BUILD"/bpf/*.bpf.o)
[ ${#objects[@]} -gt 0 ] || not_ok "BPF objects were built" "none in $CASCADE_BUILD/bpf"
for object in "${objects[@]}"; do
  name=$(basename "$object" .bpf.o)
  mkdir -p "$pin_root/$name"
  if output=$(bpftool prog loadall "$object" "$pin_root/$name" 2>&1); then
    count=$(ls "$pin_root/$name" | wc -l)
    if [ "$count" -gt 0 ]; then ok "$name loads into the kernel ($count programs)"
    else not_ok "$name loads into the kernel" "no programs pinned"; fi
  else
    not_ok "$name loads into the kernel" "$(tail -n 30 <<<"$output")"
  fi
  rm -rf "${pin_root:?}/$name"
done
finish
