#!/usr/bin/env bash
# Malformed and hostile requests get the documented status, are logged
# with the peer address, and reach nothing outside the manifest: 431 for a
# head over 8 KiB, 405/501 for methods, 505 for HTTP/2+, 400 for a missing
# Host, garbage and NUL bytes; traversal (../, %2e%2e/, %2F, absolute
# paths), a symlink in the folder and names not in the manifest are 404.
# The server keeps serving everyone else throughout.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

images=$TEST_DIR/images
make_image "$images" good.bin 20000
echo "TOP-SECRET-OUTSIDE" >"$TEST_DIR/secret.txt"
echo "UNLISTED-SECRET" >"$images/unlisted.txt"
ln -s "$TEST_DIR/secret.txt" "$images/link.txt"
# The symlink is even listed, with the hash of its target: still refused.
(cd "$images" && sha256sum good.bin >SHA256SUMS && echo "$(sha_of "$TEST_DIR/secret.txt")  link.txt" >>SHA256SUMS)
good_sha=$(sha_of "$images/good.bin")

start_master m --images "$images" --threads 2 --idle-timeout 5s
port=${PORT[m]}
base="http://127.0.0.1:$port"
check "the listed symlink is refused at load" grep -q 'image link.txt not served: is a symlink' "$TEST_DIR/m.log"

big_header=$(head -c 9000 /dev/zero | tr '\0' 'a')
check_equal "header block over 8 KiB: 431" "HTTP/1.1 431 Request Header Fields Too Large" \
  "$(raw_status "$port" "GET /images/good.bin HTTP/1.1\r\nHost: t\r\nX-Big: $big_header\r\n\r\n")"
check_equal "many headers over 8 KiB: 431" "HTTP/1.1 431 Request Header Fields Too Large" \
  "$(raw_status "$port" "GET / HTTP/1.1\r\nHost: t\r\n$(for i in $(seq 700); do printf 'X-H%03d: value\\r\\n' "$i"; done)\r\n")"
check_equal "DELETE: 405" "HTTP/1.1 405 Method Not Allowed" "$(raw_status "$port" "DELETE /images/good.bin HTTP/1.1\r\nHost: t\r\n\r\n")"
check "405 says Allow: GET, HEAD" grep -qx 'Allow: GET, HEAD' \
  <<<"$(raw_request "$port" "PUT /images/good.bin HTTP/1.1\r\nHost: t\r\n\r\n")"
check_equal "GET /-/reload: 405" "HTTP/1.1 405 Method Not Allowed" "$(raw_status "$port" "GET /-/reload HTTP/1.1\r\nHost: t\r\n\r\n")"
check_equal "unknown method: 501" "HTTP/1.1 501 Not Implemented" "$(raw_status "$port" "BREW /images/good.bin HTTP/1.1\r\nHost: t\r\n\r\n")"
check_equal "HTTP/2.0: 505" "HTTP/1.1 505 HTTP Version Not Supported" "$(raw_status "$port" "GET /images/good.bin HTTP/2.0\r\nHost: t\r\n\r\n")"
check_equal "HTTP/3.0: 505" "HTTP/1.1 505 HTTP Version Not Supported" "$(raw_status "$port" "GET /images/good.bin HTTP/3.0\r\n\r\n")"
check_equal "HTTP/1.1 without Host: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" "GET /images/good.bin HTTP/1.1\r\n\r\n")"
check_equal "HTTP/1.0 without Host: fine" "HTTP/1.1 200 OK" "$(raw_status "$port" "GET /images/good.bin HTTP/1.0\r\n\r\n")"
check_equal "garbage bytes: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03')"
check_equal "garbage line: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" 'hello there\r\n\r\n')"
check_equal "NUL byte in the target: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" 'GET /images/good.bin\x00.txt HTTP/1.1\r\nHost: t\r\n\r\n')"
check_equal "bad percent-encoding: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" 'GET /images/%%zz HTTP/1.1\r\nHost: t\r\n\r\n')"
check_equal "encoded NUL: 400" "HTTP/1.1 400 Bad Request" "$(raw_status "$port" 'GET /images/good.bin%%00 HTTP/1.1\r\nHost: t\r\n\r\n')"

# Traversal: raw (nc) so no client normalizes the path first.
for target in "/images/../secret.txt" "/images/%2e%2e/secret.txt" "/images/%2E%2E%2Fsecret.txt" \
              "/images/..%2Fsecret.txt" "/images/..%2f..%2f..%2fetc%2fpasswd" "/images/%2Fetc%2Fpasswd" \
              "/images//etc/passwd" "/images/./good.bin" "/images/link.txt" "/images/unlisted.txt" \
              "/images/SHA256SUMS" "/images/.." "/images/%2e%2e" "/../../etc/passwd" \
              "http://evil/images/../secret.txt"; do
  response=$(raw_request "$port" "GET $target HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
  check_equal "traversal $target: 404" "HTTP/1.1 404 Not Found" "$(head -n1 <<<"$response")"
  if grep -qE 'SECRET|root:' <<<"$response"; then not_ok "traversal $target leaks nothing" "$response"; fi
done

check_equal "unknown path: 404" 404 "$(http_status "$base/")"
check_equal "name not in the manifest: 404" 404 "$(http_status "$base/images/nothing.bin")"
check "errors are logged with the peer address" grep -qE 'warn: 127\.0\.0\.1:[0-9]+: 431 ' "$TEST_DIR/m.log"
check "traversal attempts are logged with the peer address" grep -qE 'warn: 127\.0\.0\.1:[0-9]+: 404 .*traversal' "$TEST_DIR/m.log"

# A flood of bad requests is rate-limited in the log and breaks nothing.
lines_before=$(wc -l <"$TEST_DIR/m.log")
python3 -c '
import socket, sys
for i in range(400):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"NOPE\r\n\r\n")
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
' "$port"
lines_after=$(wc -l <"$TEST_DIR/m.log")
check "a flood of 400 bad requests is rate-limited in the log ($((lines_after - lines_before)) lines)" \
  test $((lines_after - lines_before)) -lt 200
curl -s --max-time 10 -o "$TEST_DIR/after" "$base/images/good.bin"
check_equal "the server still serves correctly after all that" "$good_sha" "$(sha_of "$TEST_DIR/after")"
stats=$(curl -s --max-time 10 "$base/-/stats")
check "/-/stats counts 400, 404, 405, 431, 501, 505" \
  jq -e '.requests.by_status | (.["400"] > 0 and .["404"] > 0 and .["405"] > 0 and .["431"] > 0 and .["501"] > 0 and .["505"] > 0)' <<<"$stats"

stop_daemon m && ok "server exits cleanly on SIGTERM"
finish
