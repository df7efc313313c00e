#!/usr/bin/env bash
# cascade-master's admin operation (POST /-/reload): without
# --admin-token-file only loopback peers may use it (a peer in a network
# namespace the test makes is refused 403 while it can still download);
# with it, the request needs "Authorization: Bearer TOKEN" (none or a wrong
# one: 403, logged), and a token file that is too short stops the start.
# Then a master device end to end: cascade-cpe with
# --master-admin-token-file publishes into a token-protected cascade-master
# and the campaign completes; without the token its reload is refused and
# it reports 9010 (a misconfigured master is replaced by the controller).
# timeout: 150
source "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/images" "$TEST_DIR/origin" "$TEST_DIR/m1-images" "$TEST_DIR/m2-images"
head -c 50000 /dev/urandom >"$TEST_DIR/images/a.bin"
(cd "$TEST_DIR/images" && sha256sum a.bin >SHA256SUMS)
echo "admin-9c1e4f7a2b6d8e03" >"$TEST_DIR/admin-token"
echo "short" >"$TEST_DIR/short-token"

reload() { # reload BASE [curl args...]: status of POST /-/reload
  local base=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$@" "$base/-/reload"
}

# ---- no token configured: loopback only ---------------------------------------------
start_master open --images "$TEST_DIR/images" --threads 1
open_url=${MASTER_URL[open]}
check_equal "no token file: reload from loopback works" 200 "$(reload "$open_url")"
if [ "$(id -u)" -eq 0 ]; then
  ns="cascade-t-$$-admin" host_if="csa$$h" ns_if="csa$$n"
  subnet="10.213.$(( $$ % 250 ))"
  on_exit "ip netns delete $ns"
  on_exit "ip link delete $host_if"
  if ip netns add "$ns" && ip link add "$host_if" type veth peer name "$ns_if" &&
     ip link set "$ns_if" netns "$ns" && ip addr add "$subnet.1/30" dev "$host_if" && ip link set "$host_if" up &&
     ip -n "$ns" addr add "$subnet.2/30" dev "$ns_if" && ip -n "$ns" link set "$ns_if" up &&
     ip -n "$ns" link set lo up; then
    port=$(free_port)
    start_daemon outside "$CASCADE_BIN/cascade-master" --meter false --listen "$subnet.1:$port" --images "$TEST_DIR/images" \
      --threads 1
    wait_for_port "$port" 15 "$subnet.1" >/dev/null
    remote() { ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
    check_equal "no token file: a peer outside loopback can download" 200 \
      "$(remote "http://$subnet.1:$port/images/a.bin")"
    check_equal "no token file: a peer outside loopback cannot reload (403)" 403 \
      "$(remote -X POST "http://$subnet.1:$port/-/reload")"
    check "the refusal is logged with the peer" \
      grep -q "$subnet.2:[0-9]*: 403 Forbidden: admin operation from outside loopback" "$TEST_DIR/outside.log"
    stop_daemon outside
  else
    not_ok "network namespace with a veth pair for the outside peer"
  fi
else
  skip "reload from outside loopback" "needs root to make a network namespace"
fi
stop_daemon open

# ---- a token configured ----------------------------------------------------------------
start_master guarded --images "$TEST_DIR/images" --threads 1 --admin-token-file "$TEST_DIR/admin-token"
guarded_url=${MASTER_URL[guarded]}
check_equal "token: no Authorization header: 403" 403 "$(reload "$guarded_url")"
check_equal "token: a wrong token: 403" 403 "$(reload "$guarded_url" -H "Authorization: Bearer admin-9c1e4f7a2b6d8e04")"
check_equal "token: the token as Basic credentials: 403" 403 "$(reload "$guarded_url" -u "x:$(cat "$TEST_DIR/admin-token")")"
check_equal "token: the right token: 200" 200 \
  "$(reload "$guarded_url" -H "Authorization: Bearer $(cat "$TEST_DIR/admin-token")")"
check "token: refusals are logged" grep -q "403 Forbidden: admin operation without the admin token" \
  "$TEST_DIR/guarded.log"
check_equal "token: downloads need no token" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$guarded_url/images/a.bin")"
stop_daemon guarded
"$CASCADE_BIN/cascade-master" --meter false --listen 127.0.0.1:0 --images "$TEST_DIR/images" \
  --admin-token-file "$TEST_DIR/short-token" >/dev/null 2>"$TEST_DIR/short.err"
check_equal "a token shorter than 16 characters stops the start (exit 2)" 2 "$?"
check "... saying why" grep -q "shorter than 16 characters" "$TEST_DIR/short.err"

# ---- master devices publishing into a guarded cascade-master ----------------------------------
make_image "$TEST_DIR/origin" fw.bin 300000
sha=$IMAGE_SHA256
(cd "$TEST_DIR/origin" && sha256sum fw.bin >SHA256SUMS)
start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[election]
max-occupancy = 10000
[campaign]
max-attempts = 1
max-failed-masters = 1"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
start_master m1-server --images "$TEST_DIR/m1-images" --threads 1 --admin-token-file "$TEST_DIR/admin-token"
m1_server=${MASTER_URL[m1-server]}
start_master m2-server --images "$TEST_DIR/m2-images" --threads 1 --admin-token-file "$TEST_DIR/admin-token"
m2_server=${MASTER_URL[m2-server]}
# One group each (hardware version), so each is its group's master.
start_cpe m1 M1 --hardware-version hw-m1 --file-server-url "$m1_server" --image-dir "$TEST_DIR/m1-images" \
  --master-admin-token-file "$TEST_DIR/admin-token"
start_cpe m2 M2 --hardware-version hw-m2 --file-server-url "$m2_server" --image-dir "$TEST_DIR/m2-images"
wait_until 15 device_json M1 && wait_until 15 device_json M2
id=$(start_campaign "{\"image\":\"fw.bin\",\"origin_url\":\"$origin/images/fw.bin\",\"sha256\":\"$sha\",\"size\":300000}")
[ -n "$id" ] && wait_until 60 campaign_is "$id" done
state_of() { api GET "/api/campaigns/$id?devices=1" | jq -r --arg serial "$1" \
  '.device_states[] | select(.key | endswith("-" + $serial)) | "\(.state) \(.fault_code)"'; }
check_equal "with the token the master device publishes and is done" "done 0" "$(state_of M1)"
check "its cascade-master serves the image after the reload" \
  bash -c "curl -s '$m1_server/images/fw.bin' | cmp - '$TEST_DIR/origin/fw.bin'"
check_equal "without the token the reload is refused and the device reports 9010" "failed 9010" "$(state_of M2)"
check "it says why" grep -q "cascade-master did not reload: POST $m2_server/-/reload answered HTTP 403" "$TEST_DIR/m2.log"

for name in m1 m2 m1-server m2-server origin acs; do stop_daemon "$name"; done
finish
