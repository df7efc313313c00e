# Helpers for cascade-master's integration tests (sourced after ../lib.sh).
#   make_image DIR NAME BYTES     random file, listed in DIR/SHA256SUMS
#   list_images DIR               rewrites DIR/SHA256SUMS atomically from its files
#   start_master NAME ARGS...     cascade-master on 127.0.0.1:0; sets PORT[NAME]
#   fd_count PID                  open descriptors of a process
#   http_status URL [curl args]   prints the status code; status_is URL CODE
#   raw_request PORT FORMAT       raw bytes in, whole answer out; raw_status: its first line
#   slow_download PORT PATH OUT RATE   a reader slow enough to keep a transfer in flight
declare -A PORT=()

make_image() {
  local dir=$1 name=$2 bytes=$3
  mkdir -p "$dir"
  head -c "$bytes" /dev/urandom >"$dir/$name"
  list_images "$dir"
}

# Writes SHA256SUMS for the given names (default: every regular file but
# the manifest itself) through a temp file and a rename, as publishers do.
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
  local name=$1 waited=0 port=""
  shift
  start_daemon "$name" "$CASCADE_BIN/cascade-master" --listen 127.0.0.1:0 --meter false "$@"
  while [ $waited -lt 200 ]; do
    port=$(grep -m1 -oE 'listening on 127\.0\.0\.1:[0-9]+' "$TEST_DIR/$name.log" 2>/dev/null | cut -d: -f2)
    [ -n "$port" ] && break
    kill -0 "${DAEMON_PID[$name]}" 2>/dev/null || break
    sleep 0.05
    waited=$((waited + 1))
  done
  if [ -z "$port" ]; then
    not_ok "$name starts and prints its port" "$(tail -n 20 "$TEST_DIR/$name.log")"
    finish
  fi
  PORT[$name]=$port
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

http_status() {
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url"
}

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

# true when URL answers STATUS (for lib.sh's wait_until)
status_is() { test "$(http_status "$1")" = "$2"; }

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

