# File servers (cascade-master) and the images they serve; sourced by lib.sh.
#
#   make_image DIR NAME BYTES       random bytes in DIR/NAME, its line (re)written in
#                                   DIR/SHA256SUMS; sets IMAGE_NAME, IMAGE_SIZE, IMAGE_SHA256,
#                                   IMAGE_PATH; a running origin serving DIR reloads first
#   list_images DIR [NAME...]       rewrites DIR/SHA256SUMS atomically for the names (default:
#                                   every regular file), as publishers do
#   sha_of FILE                     its SHA-256
#   start_master NAME [FLAGS...]    cascade-master on 127.0.0.1:0 with $MASTER_FLAGS (by default
#                                   the meter off); sets PORT[NAME] and MASTER_URL[NAME]
#   start_origin [FLAGS...]         the origin: cascade-master --origin serving $TEST_DIR/origin;
#                                   sets ORIGIN_BASE and ORIGIN_URL ($ORIGIN_BASE/images)
#   server_stats NAME               GET /-/stats of master NAME
#   image_requests NAME [IMAGE]     requests NAME answered for IMAGE (default $IMAGE_NAME)
#   image_bytes NAME [IMAGE]        image bytes NAME sent for IMAGE
#   fd_count PID                    open descriptors of a process
#   server_send_buffer PORT         `ss -m`'s send buffer (tb, the kernel's doubled count) of the
#                                   first established connection served on PORT
#   server_congestion_control PORT  that connection's congestion control, from `ss -i`
#   http_status URL [curl args]     prints the status code; status_is URL CODE for wait_until
#   raw_request PORT FORMAT         raw bytes in, whole answer out; raw_status: its first line
#   slow_download PORT PATH OUT RATE   a reader slow enough to keep a transfer in flight
declare -A PORT=()
declare -A MASTER_URL=()
# Flags every cascade-master gets; tests keep the group meter off the host's lo.
MASTER_FLAGS=(--meter false)
ORIGIN_BASE=""

make_image() {
  local dir=$1
  IMAGE_NAME=$2
  IMAGE_SIZE=$3
  IMAGE_PATH=$dir/$IMAGE_NAME
  mkdir -p "$dir"
  head -c "$IMAGE_SIZE" /dev/urandom >"$IMAGE_PATH"
  IMAGE_SHA256=$(sha_of "$IMAGE_PATH")
  { grep -v "  $IMAGE_NAME\$" "$dir/SHA256SUMS" 2>/dev/null; echo "$IMAGE_SHA256  $IMAGE_NAME"; } >"$dir/.SHA256SUMS.new"
  mv "$dir/.SHA256SUMS.new" "$dir/SHA256SUMS"
  # the origin answers the reload once the new image is served
  if [ -n "$ORIGIN_BASE" ] && [ "$dir" = "$TEST_DIR/origin" ]; then
    curl -s -X POST --max-time 20 "$ORIGIN_BASE/-/reload" >/dev/null
  fi
}

list_images() {
  local dir=$1
  shift
  (
    cd "$dir" || exit 1
    if [ $# -eq 0 ]; then
      find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' ! -name '.*' -printf '%f\n' | sort |
        xargs -r -d '\n' sha256sum >.SHA256SUMS.new
    else
      sha256sum "$@" >.SHA256SUMS.new
    fi
    mv .SHA256SUMS.new SHA256SUMS
  )
}

sha_of() { sha256sum "$1" | cut -c1-64; }

start_master() {
  local name=$1 port
  shift
  start_daemon "$name" "$CASCADE_BIN/cascade-master" --listen 127.0.0.1:0 "${MASTER_FLAGS[@]}" "$@"
  port=$(logged_port "$name") || { start_failed "$name"; return 1; }
  PORT[$name]=$port
  MASTER_URL[$name]="http://127.0.0.1:$port"
}

start_origin() {
  mkdir -p "$TEST_DIR/origin"
  [ -f "$TEST_DIR/origin/SHA256SUMS" ] || : >"$TEST_DIR/origin/SHA256SUMS"
  start_master origin --origin --images "$TEST_DIR/origin" --threads 1 "$@" || return 1
  ORIGIN_BASE=${MASTER_URL[origin]}
  ORIGIN_URL="$ORIGIN_BASE/images"
}

server_stats() { curl -s --max-time 10 "${MASTER_URL[$1]}/-/stats"; }
image_requests() {
  server_stats "$1" | jq --arg name "${2:-$IMAGE_NAME}" '[.images[] | select(.name == $name) | .requests] | add // 0'
}
image_bytes() { server_stats "$1" | jq --arg name "${2:-$IMAGE_NAME}" '.image_bytes_sent[$name] // 0'; }

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

server_send_buffer() {
  ss -tnmH state established "( sport = :$1 )" | grep -o 'tb[0-9]*' | head -n 1 | cut -c3-
}
server_congestion_control() {
  ss -tinH state established "( sport = :$1 )" | grep -owE 'cubic|bbr[0-9]*|reno|htcp|dctcp|vegas|westwood' |
    head -n 1
}

http_status() {
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url"
}

# true when URL answers STATUS (for wait_until)
status_is() { test "$(http_status "$1")" = "$2"; }

# A client that reads its download at BYTES_PER_SECOND with a small receive
# buffer, so the transfer really stays in flight; writes the body to OUT.
#   slow_download PORT PATH OUT BYTES_PER_SECOND   (exits 0 when the body is whole)
slow_download() {
  exec python3 -c '
import socket, sys, time
port, path, out, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
s.settimeout(30)
s.connect(("127.0.0.1", port))
s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path).encode())
data = b""
start = time.monotonic()
while True:
    chunk = s.recv(8192)
    if not chunk:
        break
    data += chunk
    ahead = len(data) / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
head, _, body = data.partition(b"\r\n\r\n")
length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
open(out, "wb").write(body)
sys.exit(0 if length and len(body) == length[0] else 1)
' "$@"
}

# Sends raw bytes (printf format) and prints the whole answer, up to the
# server closing or 5 s of silence; raw_status prints its status line.
raw_request() {
  local port=$1 format=$2
  # shellcheck disable=SC2059
  printf "$format" | python3 -c '
import socket, sys
data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(data)
answer = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
        if b"Connection: keep-alive" in answer and b"\r\n\r\n" in answer:
            break
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.buffer.write(answer)
' "$port" 2>/dev/null | tr -d '\r'
}

raw_status() { raw_request "$@" | head -n 1; }
