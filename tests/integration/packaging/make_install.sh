#!/usr/bin/env bash
# `make install` into a DESTDIR (PREFIX=/usr/local): exactly the daemons,
# cascade-meter and cascadectl with their modes, man pages that render with
# groff without a warning and equal each installed binary's --man, example
# configs with every key commented but the package's layout lines, that the
# daemons start with (as shipped, and with every default they show
# uncommented), systemd units naming the installed binaries, an edited
# config kept by a second install and by uninstall, install-tools, and an
# uninstall that leaves nothing else.
# timeout: 180
source "$(dirname "$0")/../lib.sh"

root=$TEST_DIR/root
prefix=/usr/local
sanitize=
if ldd "$CASCADE_BIN/cascade-acs" 2>/dev/null | grep -q libasan; then sanitize=SANITIZE=1; fi
build_make() { make -s -C "$CASCADE_ROOT" --no-print-directory BUILD="$CASCADE_BUILD" $sanitize "$@"; }

if output=$(build_make install DESTDIR="$root" PREFIX=$prefix 2>&1); then ok "make install DESTDIR=... PREFIX=$prefix"; else
  not_ok "make install" "$output"; finish; fi

expected_files() {
  local name
  for name in cascade-acs cascade-master cascade-cpe cascade-meter; do
    echo "$prefix/sbin/$name 755"
    echo "$prefix/share/man/man8/$name.8 644"
  done
  echo "$prefix/bin/cascadectl 755"
  echo "$prefix/share/man/man1/cascadectl.1 644"
  for name in acs origin master cpe; do echo "/etc/cascade/$name.ini 644"; done
  for name in cascade-acs.service cascade-origin.service cascade-master@.service cascade-cpe.service; do
    echo "$prefix/lib/systemd/system/$name 644"
  done
  echo "$prefix/lib/sysusers.d/cascade.conf 644"
}
installed_files() { (cd "$root" && find . -type f -printf '/%P %m\n' | sort); }
check_equal "exactly the daemons, cascade-meter, cascadectl, their man pages, configs, units and sysusers entry" \
  "$(expected_files | sort)" "$(installed_files)"

# Man pages: the installed binary's --man, rendered without a warning.
for page in "$root$prefix"/share/man/man*/*; do
  name=$(basename "$page")
  section=${name##*.}
  binary=$(ls "$root$prefix"/{s,}bin/"${name%.*}" 2>/dev/null | head -1)
  if cmp -s "$page" <("$binary" --man) && head -1 "$page" | grep -q "^\.TH [A-Z-]* $section "; then
    ok "$name is ${name%.*} --man, section $section"
  else
    not_ok "$name is ${name%.*} --man, section $section" "$(head -1 "$page")"
  fi
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  check_equal "man -l $name renders without a warning" "" "$warnings"
done

# Configs: every key commented but the layout lines of packaging/config/*.head.
etc=$root/etc/cascade
uncommented() { grep -E '^[a-z][a-z0-9-]* *=' "$1" | sed 's/ *=.*//' | tr '\n' ' '; }
check_equal "acs.ini: only the database's place is set" "db " "$(uncommented "$etc/acs.ini")"
check_equal "origin.ini: only the images folder and meter = false are set" "images meter " "$(uncommented "$etc/origin.ini")"
check_equal "master.ini: every key commented" "" "$(uncommented "$etc/master.ini")"
check_equal "cpe.ini: only the data folder is set" "data-dir " "$(uncommented "$etc/cpe.ini")"
# inih reads at most 199 characters a line and parses the rest as a line of
# its own: a long help comment would stop the daemon reading its config.
for config in acs origin master cpe; do
  check_equal "$config.ini: no line is longer than inih reads (199 characters)" "" \
    "$(awk 'length($0) > 199 {print FILENAME ":" FNR ": " length($0)}' "$etc/$config.ini")"
done
check "cpe.ini shows every key of cascade-cpe commented with its default" \
  grep -qx '#download-retries = 3' "$etc/cpe.ini"

# Every line the example shows with a value (not a placeholder such as DIR
# or ADDR:PORT) uncommented: the daemons read the result.
with_defaults() {
  sed -E '/^#[a-z][a-z0-9-]* = [A-Z][A-Z0-9:_|=\/-]*$/b; s/^#([a-z][a-z0-9-]* = )/\1/' "$1" >"$2"
}

# starts_with_config NAME CONFIG ARGS...: the daemon runs for a second with
# --config CONFIG (and ARGS over it) and stops cleanly on SIGTERM.
starts_with_config() {
  local name=$1 config=$2
  shift 2
  start_daemon "$name" "$@" --config "$config"
  sleep 1
  if kill -0 "${DAEMON_PID[$name]}" 2>/dev/null && ! grep -qE 'bad value|unknown (key|section|option)' "$TEST_DIR/$name.log" &&
    stop_daemon "$name"; then
    ok "$name starts with $(basename "$config")"
  else
    not_ok "$name starts with $(basename "$config")" "$(tail -5 "$TEST_DIR/$name.log")"
    stop_daemon "$name"
  fi
}

mkdir -p "$TEST_DIR/images" "$TEST_DIR/cpe"
# No meter touches the host: flags turn them off (over "meter = true" of the
# uncommented defaults) and name a test pin folder.
pins=/sys/fs/bpf/cascade-test-$$
: >"$TEST_DIR/images/SHA256SUMS"
sbin=$root$prefix/sbin
for variant in shipped defaults; do
  for name in acs origin master cpe; do
    config=$etc/$name.ini
    if [ $variant = defaults ]; then config=$TEST_DIR/$name-defaults.ini; with_defaults "$etc/$name.ini" "$config"; fi
    case $name in
      acs) starts_with_config "acs-$variant" "$config" "$sbin/cascade-acs" --cwmp 127.0.0.1:0 --api 127.0.0.1:0 \
        --db "$TEST_DIR/acs-$variant.db" ;;
      origin) starts_with_config "origin-$variant" "$config" "$sbin/cascade-master" --origin --listen 127.0.0.1:0 \
        --images "$TEST_DIR/images" --no-meter --bpf-pin-dir "$pins" ;;
      master) starts_with_config "master-$variant" "$config" "$sbin/cascade-master" --listen 127.0.0.1:0 \
        --images "$TEST_DIR/images" --no-meter --bpf-pin-dir "$pins" ;;
      cpe) starts_with_config "cpe-$variant" "$config" "$sbin/cascade-cpe" --acs http://127.0.0.1:9/ --serial T1 \
        --data-dir "$TEST_DIR/cpe" --cpu-meter off --bpf-pin-dir "$pins" ;;
    esac
  done
done
check "the uncommented defaults really changed the files" grep -qx 'download-retries = 3' "$TEST_DIR/cpe-defaults.ini"

# Units: the installed binaries and configs, no placeholder left.
units=$root$prefix/lib/systemd/system
check_equal "the units run the binaries of this install" \
  "$prefix/sbin/cascade-acs --config /etc/cascade/acs.ini|$prefix/sbin/cascade-master --config /etc/cascade/master-%i.ini" \
  "$(sed -n 's/^ExecStart=//p' "$units/cascade-acs.service")|$(sed -n 's/^ExecStart=//p' "$units/cascade-master@.service")"
check "no @placeholder@ left in the units" bash -c "! grep -l '@[a-z]*@' '$units'/*"

# A second install keeps an edited config and brings back a missing one.
echo "threads = 3" >>"$etc/acs.ini"
edited=$(sha256sum <"$etc/acs.ini")
rm "$etc/cpe.ini"
build_make install DESTDIR="$root" PREFIX=$prefix >/dev/null 2>&1
check_equal "make install again: the edited acs.ini is kept" "$edited" "$(sha256sum <"$etc/acs.ini")"
check "make install again: the missing cpe.ini is back" test -s "$etc/cpe.ini"

if output=$(build_make install-tools DESTDIR="$root" PREFIX=$prefix 2>&1); then ok "make install-tools"; else
  not_ok "make install-tools" "$output"; fi
for name in cascade-swarm cascade-load cascade-meter-traffic; do
  check "install-tools: $name and its man page" test -x "$root$prefix/bin/$name" -a -f "$root$prefix/share/man/man1/$name.1"
done

if output=$(build_make uninstall DESTDIR="$root" PREFIX=$prefix 2>&1); then ok "make uninstall"; else
  not_ok "make uninstall" "$output"; fi
check_equal "make uninstall leaves only the config an operator changed" "/etc/cascade/acs.ini 644" "$(installed_files)"
finish
