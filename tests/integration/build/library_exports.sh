#!/usr/bin/env bash
# Export prefixes: the codec every part links (libcwmp) exports only cwmp_
# symbols and cascade-swarm's library only swarm_ ones, and no function or
# variable is exported by two libraries (a name one part shadows in another).
# timeout: 60
source "$(dirname "$0")/../lib.sh"

lib="$CASCADE_BUILD/lib"
if ! command -v nm >/dev/null; then
  not_ok "nm is installed (binutils)"
  finish
fi

# Every global symbol a library defines (code and data), one per line.
exports() { nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 && $2 ~ /^[TDBRCGSV]$/ { print $3 }' | sort -u; }

for pair in cwmp:cwmp_ swarm:swarm_; do
  name=${pair%%:*} prefix=${pair#*:}
  if [ ! -f "$lib/lib$name.a" ]; then
    not_ok "lib$name.a is built" "not in $lib"
    continue
  fi
  count=$(exports "$lib/lib$name.a" | wc -l)
  unprefixed=$(exports "$lib/lib$name.a" | grep -v "^$prefix")
  if [ "$count" -gt 0 ] && [ -z "$unprefixed" ]; then ok "lib$name exports only $prefix symbols ($count)"
  else not_ok "lib$name exports only $prefix symbols" "without the prefix:"$'\n'"$unprefixed"; fi
done

shadowed=$(for archive in "$lib"/lib*.a; do exports "$archive" | sed "s|\$| $(basename "$archive")|"; done |
  awk '{ seen[$1] = seen[$1] " " $2; count[$1]++ } END { for (s in count) if (count[s] > 1) print s ":" seen[s] }' | sort)
if [ -z "$shadowed" ]; then ok "no symbol is exported by two libraries"
else not_ok "no symbol is exported by two libraries" "$shadowed"; fi
finish
