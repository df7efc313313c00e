#!/usr/bin/env bash
# The Debian package: `make deb` builds it once; dpkg installs it (files,
# modes, the user cascade, conffiles readable by it, the units enabled,
# `systemd-analyze verify` clean, man pages found by man); the daemons start
# the way the units say; a small rollout runs with the installed binaries
# (the origin, cascade-acs, one master device of cascade-master@t1 and
# cascade-cpe, four cascade-swarm slaves) through the installed cascadectl;
# `dpkg --purge` leaves nothing: no file, user, group, state or enable link.
#
# systemd is not PID 1 on the machines this runs on, so the units cannot be
# started with systemctl (nor systemd-run). The test reads each installed
# unit and runs its ExecStart as systemd would: as its User and Group, with
# NoNewPrivileges, its CapabilityBoundingSet, UMask and WorkingDirectory, and
# its StateDirectory created and owned by the User. The sandboxing options
# (ProtectSystem=, SystemCallFilter=, ...) are checked by systemd-analyze only.
#
# It needs root and a machine without cascade installed (it skips
# otherwise), and purges the package even when a check fails.
# timeout: 240
source "$(dirname "$0")/../lib.sh"
require_root

for tool in dpkg dpkg-deb dpkg-shlibdeps setpriv useradd man; do
  command -v $tool >/dev/null || { skip "the Debian package" "$tool is missing (tools/deps/package.list)"; finish; }
done
if [ "$(dpkg-query -W -f='${Status}' cascade 2>/dev/null)" != "" ] && \
   [ "$(dpkg-query -W -f='${Status}' cascade 2>/dev/null)" != "unknown ok not-installed" ]; then
  skip "the Debian package" "a cascade package is already on this machine; it is left alone"
  finish
fi
if [ -e /etc/cascade ] || [ -e /var/lib/cascade ] || getent passwd cascade >/dev/null || getent group cascade >/dev/null; then
  skip "the Debian package" "/etc/cascade, /var/lib/cascade or the user cascade exist already; they are left alone"
  finish
fi

# Whatever happens, the package and what it made go (daemons are killed first).
on_exit "dpkg --purge cascade; rm -rf /etc/cascade /var/lib/cascade; userdel cascade; groupdel cascade"

sanitize=
if ldd "$CASCADE_BIN/cascade-acs" 2>/dev/null | grep -q libasan; then sanitize=SANITIZE=1; fi
if output=$(make -s -C "$CASCADE_ROOT" --no-print-directory BUILD="$CASCADE_BUILD" $sanitize deb 2>&1); then
  ok "make deb"
else
  not_ok "make deb" "$output"
  finish
fi
deb=$(ls -t "$CASCADE_BUILD"/cascade_*.deb | head -1)
check_equal "the package's version is the VERSION file's" "$(cat "$CASCADE_ROOT/VERSION")-1" \
  "$(dpkg-deb -f "$deb" Version)"
check "it depends on the libraries the binaries link" bash -c "dpkg-deb -f '$deb' Depends | grep -q 'liburing2.*libxml2'"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort >"$TEST_DIR/files"
check "no test tool, BPF object or docs folder in the package" \
  bash -c "! grep -E 'cascade-(swarm|load|meter-traffic)|\\.bpf\\.o|share/cascade' '$TEST_DIR/files'"

# dpkg may be busy with another run's apt-get for a moment: wait for its lock.
dpkg_with_lock() {
  local tries
  for ((tries = 0; tries < 60; tries++)); do
    if output=$(dpkg "$@" 2>&1); then return 0; fi
    grep -q 'lock' <<<"$output" || { echo "$output"; return 1; }
    sleep 1
  done
  echo "$output"
  return 1
}

if output=$(dpkg_with_lock -i "$deb"); then ok "dpkg -i installs it"; else not_ok "dpkg -i" "$output"; finish; fi
check_equal "dpkg says it is installed" "install ok installed" "$(dpkg-query -W -f='${Status}' cascade)"
missing=$(while read -r file; do [ -e "$file" ] || echo "$file"; done <"$TEST_DIR/files")
check_equal "every file of the package is on disk" "" "$missing"
for binary in /usr/sbin/cascade-acs /usr/sbin/cascade-master /usr/sbin/cascade-cpe /usr/sbin/cascade-meter \
  /usr/bin/cascadectl; do
  check_equal "$binary: root 0755" "root 755" "$(stat -c '%U %a' "$binary")"
done
check_equal "the user cascade: a system account without a login, home /var/lib/cascade" \
  "yes /var/lib/cascade /usr/sbin/nologin" \
  "$(getent passwd cascade | awk -F: '{print ($3 < 1000 ? "yes" : "no"), $6, $7}')"
for config in acs origin master cpe; do
  check_equal "/etc/cascade/$config.ini: a conffile, root:cascade 0640" "root cascade 640 yes" \
    "$(stat -c '%U %G %a' /etc/cascade/$config.ini) $(dpkg-query -W -f='${Conffiles}' cascade |
      grep -q "/etc/cascade/$config.ini " && echo yes || echo no)"
done
for unit in cascade-acs cascade-origin; do
  check "$unit.service is enabled" test -L /etc/systemd/system/multi-user.target.wants/$unit.service
done
check "cascade-cpe waits for its config (not enabled)" test ! -e /etc/systemd/system/multi-user.target.wants/cascade-cpe.service
for page in cascade-acs.8 cascade-master.8 cascade-cpe.8 cascade-meter.8 cascadectl.1; do
  check_equal "man finds $page and renders it without a warning" "/usr/share/man/man${page##*.}/$page.gz|" \
    "$(man -w "${page%.*}")|$(MANWIDTH=80 man --warnings "${page##*.}" "${page%.*}" 2>&1 >/dev/null)"
done
if command -v systemd-analyze >/dev/null; then
  for unit in cascade-acs.service cascade-origin.service cascade-master@t1.service cascade-cpe.service; do
    check_equal "systemd-analyze verify $unit" "" "$(systemd-analyze verify "/lib/systemd/system/$unit" 2>&1)"
  done
else
  skip "systemd-analyze verify" "systemd-analyze is not installed (package systemd)"
fi

# ---- the daemons, started the way their units say ------------------------
unit_key() { sed -n "s/^$2=//p" "$1" | tail -1; }

# run_unit NAME UNIT [INSTANCE]
run_unit() {
  local name=$1 file=/lib/systemd/system/$2 instance=${3:-} user group exec directory mode caps cap bounding=-all
  local -a privileges=()
  user=$(unit_key "$file" User)
  group=$(unit_key "$file" Group)
  exec=$(unit_key "$file" ExecStart)
  mode=$(unit_key "$file" StateDirectoryMode)
  for directory in $(unit_key "$file" StateDirectory); do
    directory=/var/lib/${directory//%i/$instance}
    install -d -m 0755 "$(dirname "$directory")"
    install -d -m "${mode:-0755}" -o "${user:-root}" -g "${group:-${user:-root}}" "$directory"
  done
  caps=$(unit_key "$file" CapabilityBoundingSet)
  for cap in $caps; do cap=${cap#CAP_}; bounding+=",+${cap,,}"; done
  [ -n "$user" ] && privileges+=(--reuid="$user" --regid="${group:-$user}" --init-groups)
  [ "$(unit_key "$file" NoNewPrivileges)" = yes ] && privileges+=(--no-new-privs)
  directory=$(unit_key "$file" WorkingDirectory)
  start_daemon "$name" setpriv "${privileges[@]}" --bounding-set="$bounding" -- \
    env -C "${directory//%i/$instance}" sh -c "umask $(unit_key "$file" UMask); exec ${exec//%i/$instance}"
}

# wait_listening NAME PORT: the daemon listens, or the test says why not.
wait_listening() {
  if wait_for_port "$2" 15; then ok "$1 runs as its unit says and listens on $2"; else
    not_ok "$1 listens on $2" "$(tail -5 "$TEST_DIR/$1.log")"; finish; fi
}

cwmp=$(free_port)
api=$(free_port)
origin=$(free_port)
master=$(free_port)
cr_user=cascade-acs
cr_password=package-test-secret
# The operator's part: ports, connection requests, fast ticks for a test.
cat >>/etc/cascade/acs.ini <<EOF

[acs]
cwmp = 127.0.0.1:$cwmp
api = 127.0.0.1:$api
retry-after = 1
[connection_request]
username = $cr_user
password = $cr_password
retry-interval = 1s
timeout = 2s
[campaign]
tick = 200ms
EOF
cat >>/etc/cascade/origin.ini <<EOF

[origin]
listen = 127.0.0.1:$origin
threads = 1
EOF
install -m 0640 -g cascade /dev/stdin /etc/cascade/master-t1.ini <<EOF
images = /var/lib/cascade/master-t1
listen = 127.0.0.1:$master
threads = 1
meter = false
EOF
cat >>/etc/cascade/cpe.ini <<EOF

[cpe]
acs = http://127.0.0.1:$cwmp/
serial = MASTER1
manufacturer = Cascade Swarm
oui = C4C4DE
product-class = SwarmGW
hardware-version = hw-0
software-version = 1.0
file-server-url = http://127.0.0.1:$master
image-dir = /var/lib/cascade/master-t1
cache-size = 1G
connection-request = 127.0.0.1:0
connection-request-username = $cr_user
connection-request-password = $cr_password
periodic-interval = 60s
retry-min-wait = 300ms
retry-max-wait = 3s
cpu-meter = off
EOF

image=/var/lib/cascade/origin/fw-2.0.bin
head -c 3145728 /dev/urandom >"$TEST_DIR/fw-2.0.bin"
run_unit acs cascade-acs.service
wait_listening cascade-acs "$api"
run_unit origin cascade-origin.service
wait_listening cascade-origin "$origin"
install -m 0644 -o cascade -g cascade "$TEST_DIR/fw-2.0.bin" "$image"
(cd /var/lib/cascade/origin && sha256sum fw-2.0.bin >SHA256SUMS.new && chown cascade: SHA256SUMS.new &&
  mv SHA256SUMS.new SHA256SUMS)
run_unit master cascade-master@.service t1
wait_listening cascade-master@t1 "$master"
run_unit cpe cascade-cpe.service
check_equal "cascade-acs runs as the user cascade" cascade "$(ps -o user= -p "${DAEMON_PID[acs]}")"
check_equal "the origin runs as the user cascade" cascade "$(ps -o user= -p "${DAEMON_PID[origin]}")"
check_equal "cascade-master@t1 keeps only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN" 000000c000001000 \
  "$(awk '/^CapBnd/ {print $2}' "/proc/${DAEMON_PID[master]}/status")"
check "the database is in the state folder, owned by cascade" \
  bash -c "wait_until() { for i in \$(seq 50); do [ -e \$1 ] && return 0; sleep 0.1; done; return 1; }; wait_until /var/lib/cascade/acs/cascade-acs.db && [ \$(stat -c %U /var/lib/cascade/acs/cascade-acs.db) = cascade ]"

start_daemon swarm "$CASCADE_BIN/cascade-swarm" --acs "http://127.0.0.1:$cwmp/" --devices 4 --groups 1 \
  --manufacturer "Cascade Swarm" --oui C4C4DE --product-class SwarmGW --hardware-prefix hw- --software-version 1.0 \
  --cr-username "$cr_user" --cr-password "$cr_password" --file-server-ratio 0 --store "$TEST_DIR/swarm-store" \
  --source-range none
ctl() { cascadectl --api "http://127.0.0.1:$api" "$@"; }
devices() { ctl --json devices | jq -r '.total // 0'; }
if wait_until 30 test "$(devices)" -ge 5 || [ "$(devices)" -ge 5 ]; then ok "the master device and 4 swarm devices registered"; else
  not_ok "devices registered" "$(devices)"$'\n'"$(tail -5 "$TEST_DIR/cpe.log")"; finish; fi
elected() { [ "$(ctl --json groups | jq -r '.groups[0].master // empty')" = C4C4DE-SwarmGW-MASTER1 ]; }
if wait_until 20 elected; then ok "cascade-cpe's device is its group's master"; else
  not_ok "the master device is elected" "$(ctl groups)"; fi

id=$(ctl --json campaign start --origin "http://127.0.0.1:$origin/images/fw-2.0.bin" --file "$image" | jq -r '.id // empty')
if [ -n "$id" ] && ctl campaign watch "$id" --interval 0.3 --timeout 90 >"$TEST_DIR/watch" 2>&1; then
  ok "the installed cascadectl starts campaign $id and watches it finish"
else
  not_ok "the campaign finishes" "$(tail -3 "$TEST_DIR/watch")"$'\n'"$(tail -5 "$TEST_DIR/cpe.log")"
fi
check_equal "all 5 devices done, none failed" "5 0" \
  "$(ctl --json campaign status "$id" | jq -r '"\(.counts.done) \(.counts.failed)"')"
check_equal "the origin served one request: the master's" 1 \
  "$(curl -s "http://127.0.0.1:$origin/-/stats" | jq '[.images[] | select(.name == "fw-2.0.bin") | .requests] | add // 0')"
check_equal "cascade-master@t1 served the 4 slaves" 4 \
  "$(curl -s "http://127.0.0.1:$master/-/stats" | jq '[.images[] | select(.name == "fw-2.0.bin") | .requests] | add // 0')"
check "the master holds the origin's image byte-exact" cmp "$TEST_DIR/fw-2.0.bin" /var/lib/cascade/master-t1/fw-2.0.bin
stop_daemon swarm
for name in cpe master origin acs; do stop_daemon "$name" || true; done

# ---- purge ----------------------------------------------------------------
if output=$(dpkg_with_lock --purge cascade); then ok "dpkg --purge"; else not_ok "dpkg --purge" "$output"; fi
check_equal "dpkg no longer knows the package" "" "$(dpkg-query -W -f='${Status}' cascade 2>/dev/null | grep -v not-installed)"
left=$(while read -r file; do [ -e "$file" ] && echo "$file"; done <"$TEST_DIR/files"
  ls -d /etc/cascade /var/lib/cascade /etc/systemd/system/*/cascade-* /var/lib/systemd/deb-systemd-helper-*/*cascade* \
    /var/lib/systemd/deb-systemd-helper-*/*/*cascade* 2>/dev/null)
check_equal "nothing of the package is left on disk" "" "$left"
check_equal "the user and the group cascade are gone" "" "$(getent passwd cascade; getent group cascade)"
finish
