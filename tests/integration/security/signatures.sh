#!/usr/bin/env bash
# Image integrity end to end with the real parts: an operator Ed25519 key
# made here with openssl, `cascadectl sign`, cascade-acs carrying the
# signature (X_CASCADE_ImageSignature), an origin cascade-master, and
# cascade-cpe devices with --image-public-key. A good signature installs;
# a missing signature, a signature for another image, one made with
# another key, and a tampered one are refused with fault 9019 before
# anything is fetched; a server (a compromised master) serving other bytes
# for a signed image is caught by the signed SHA-256 (9018). Nothing
# refused is installed.
# timeout: 180
source "$(dirname "$0")/../lib.sh"

keys="$TEST_DIR/keys"
mkdir -p "$keys" "$TEST_DIR/origin" "$TEST_DIR/installed"
openssl genpkey -algorithm ed25519 -out "$keys/operator.pem" 2>/dev/null &&
  openssl pkey -in "$keys/operator.pem" -pubout -out "$keys/operator.pub" &&
  openssl genpkey -algorithm ed25519 -out "$keys/intruder.pem" 2>/dev/null
check "operator and intruder keys made with openssl" test -s "$keys/operator.pub" -a -s "$keys/intruder.pem"

make_image "$TEST_DIR/origin" fw-good.bin 200000
good_sha=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-other.bin 150000
other_sha=$IMAGE_SHA256
# The operator's real fw-evil.bin; the origin will serve other bytes under its name.
make_image "$TEST_DIR" real-evil.bin 120000
real_evil_sha=$IMAGE_SHA256
make_image "$TEST_DIR/origin" fw-evil.bin 120000
evil_served_sha=$IMAGE_SHA256
cat >"$TEST_DIR/install.sh" <<'EOF'
#!/bin/sh
cp "$2" "$1/$(basename "$2")" && echo "$CASCADE_IMAGE_SHA256 $2" >>"$1/installs.log"
EOF
chmod +x "$TEST_DIR/install.sh"

# ---- cascadectl sign ------------------------------------------------------------
good_signature=$("$CASCADE_BIN/cascadectl" sign --key "$keys/operator.pem" --file "$TEST_DIR/origin/fw-good.bin")
check_equal "cascadectl sign prints 88 base64 characters" 88 "${#good_signature}"
printf 'cascade-image-v1\nname=fw-good.bin\nsize=200000\nsha256=%s\n' "$good_sha" >"$TEST_DIR/statement"
echo "$good_signature" | base64 -d >"$TEST_DIR/signature.bin"
check "openssl verifies the signature over the documented statement" \
  openssl pkeyutl -verify -pubin -inkey "$keys/operator.pub" -rawin -in "$TEST_DIR/statement" \
  -sigfile "$TEST_DIR/signature.bin"
other_by_intruder=$("$CASCADE_BIN/cascadectl" sign --key "$keys/intruder.pem" --file "$TEST_DIR/origin/fw-other.bin")
evil_signature=$("$CASCADE_BIN/cascadectl" sign --key "$keys/operator.pem" --image fw-evil.bin --size 120000 \
  --sha256 "$real_evil_sha")
if "$CASCADE_BIN/cascadectl" sign --key "$keys/operator.pub" --file "$TEST_DIR/origin/fw-good.bin" \
   >/dev/null 2>"$TEST_DIR/sign-error"; then
  not_ok "signing with a public key fails"
else
  ok "signing with a public key fails: $(head -c 80 "$TEST_DIR/sign-error")"
fi
"$CASCADE_BIN/cascade-cpe" --acs http://127.0.0.1:1/ --data-dir "$TEST_DIR/never" --serial X \
  --image-public-key "$keys/operator.pem" >/dev/null 2>"$TEST_DIR/bad-key"
check_equal "cascade-cpe refuses a private key as --image-public-key (exit 2)" 2 "$?"
check "... and says why" grep -q "image-public-key: .*not a PEM public key" "$TEST_DIR/bad-key"

start_acs acs "${ACS_AGENT_SETTINGS[@]}" "[election]
max-occupancy = 10000
[campaign]
max-attempts = 1"
start_master origin --images "$TEST_DIR/origin" --threads 1 --origin
origin=${MASTER_URL[origin]}
# Each device is its own group (hardware version = serial), so a campaign can pick one.
start_cpe signed S1 --hardware-version S1 --image-public-key "$keys/operator.pub" \
  --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
start_cpe fresh S2 --hardware-version S2 --image-public-key "$keys/operator.pub" \
  --install-command "$TEST_DIR/install.sh $TEST_DIR/installed"
wait_until 15 device_json S1 && wait_until 15 device_json S2
check "both devices registered" device_json S2

# run_campaign SERIAL IMAGE SHA SIZE [SIGNATURE]: starts a campaign for one
# device and waits for it to end; prints the campaign id.
run_campaign() {
  local serial=$1 image=$2 sha=$3 size=$4 signature=${5:-} body id
  body=$(jq -nc --arg image "$image" --arg url "$origin/images/$image" --arg sha "$sha" --argjson size "$size" \
    --arg selector "hardware_version=$serial" --arg signature "$signature" \
    '{image: $image, origin_url: $url, sha256: $sha, size: $size, mode: "url", selector: $selector}
     + (if $signature == "" then {} else {signature: $signature} end)')
  id=$(start_campaign "$body")
  [ -n "$id" ] && wait_until 40 campaign_is "$id" done
  echo "${id:-0}"
}
member_fault() { api GET "/api/campaigns/$1?devices=1" | jq -r '.device_states[0].fault_code'; }
member_final() { api GET "/api/campaigns/$1?devices=1" | jq -r '.device_states[0].state'; }

# ---- a good signature installs ---------------------------------------------------
id=$(run_campaign S1 fw-good.bin "$good_sha" 200000 "$good_signature")
check_equal "signed campaign: the device is done" "done" "$(member_final "$id")"
check_equal "the ACS shows the campaign's signature" "$good_signature" "$(api GET "/api/campaigns/$id" | jq -r .signature)"
check "the device verified the signature" grep -q "image signature verified (fw-good.bin, 200000 bytes" \
  "$TEST_DIR/signed.log"
check "the signed image is installed byte-exact" cmp "$TEST_DIR/origin/fw-good.bin" "$TEST_DIR/installed/fw-good.bin"

# refused ID SERIAL IMAGE WHY: the campaign failed the device with 9019, the
# reason is in the device's log, and nothing was fetched or installed.
refused() {
  local id=$1 serial=$2 image=$3 why=$4 log
  log=$([ "$serial" = S1 ] && echo signed || echo fresh)
  check_equal "$why: the device answers fault 9019" "9019" "$(member_fault "$id")"
  check_equal "$why: the device failed in the campaign" "failed" "$(member_final "$id")"
  check "$why: the device logs why" grep -q "image signature refused" "$TEST_DIR/$log.log"
  check "$why: nothing fetched" bash -c "! grep -q 'fetching $origin/images/$image' '$TEST_DIR/$log.log'"
  check "$why: nothing installed" test ! -e "$TEST_DIR/installed/$image"
}

# ---- missing, another image's, another key's, tampered ---------------------------
id=$(run_campaign S2 fw-other.bin "$other_sha" 150000)
refused "$id" S2 fw-other.bin "missing signature"
check "missing signature: the log says one is required" grep -q "but one is required" "$TEST_DIR/fresh.log"

id=$(run_campaign S1 fw-other.bin "$other_sha" 150000 "$good_signature")
refused "$id" S1 fw-other.bin "signature of another image"
check "another image: the log says it does not match" grep -q "does not match name fw-other.bin" "$TEST_DIR/signed.log"

id=$(run_campaign S2 fw-other.bin "$other_sha" 150000 "$other_by_intruder")
refused "$id" S2 fw-other.bin "signature made with another key"

if [ "${good_signature:0:1}" = A ]; then tampered="B${good_signature:1}"; else tampered="A${good_signature:1}"; fi
id=$(run_campaign S1 fw-good.bin "$good_sha" 200000 "$tampered")
check_equal "tampered signature: fault 9019" "9019" "$(member_fault "$id")"

bad=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ACS_API_URL/api/campaigns" \
  -d "{\"image\":\"fw-other.bin\",\"origin_url\":\"$origin/images/fw-other.bin\",\"sha256\":\"$other_sha\",\"size\":150000,\"signature\":\"not base64!\"}")
check_equal "the ACS refuses a malformed signature (400)" 400 "$bad"

# ---- a compromised server: signed hash, other bytes --------------------------------
id=$(run_campaign S2 fw-evil.bin "$real_evil_sha" 120000 "$evil_signature")
check "compromised server: the signature itself holds" grep -q "image signature verified (fw-evil.bin" "$TEST_DIR/fresh.log"
check_equal "compromised server: other bytes are caught by the signed SHA-256 (9018)" "9018" "$(member_fault "$id")"
check "compromised server: nothing installed" test ! -e "$TEST_DIR/installed/fw-evil.bin"
check "compromised server: the served bytes were what the origin listed" \
  grep -q "^$evil_served_sha  fw-evil.bin" "$TEST_DIR/origin/SHA256SUMS"
check_equal "only the good image was ever installed" "1" "$(wc -l <"$TEST_DIR/installed/installs.log")"

for name in signed fresh origin acs; do stop_daemon "$name"; done
finish
