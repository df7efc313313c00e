# Helpers shared by the master benchmarks (sourced).
#   free_port, wait_port PORT
#   server_processes PID     the process and its children (nginx workers)
#   server_ticks PID         utime+stime (clock ticks) over those processes, all threads
#   reset_peak_rss PID       clears VmHWM (clear_refs 5) so a round measures its own peak
#   server_peak_kib PID      VmHWM summed over those processes
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
  local port=$1 tries=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || { echo "nothing on port $port"; exit 1; }
    sleep 0.05
  done
}

# Every process of a server: the main one and its children (nginx workers).
server_processes() {
  local pid=$1
  echo "$pid"
  pgrep -P "$pid" || true
}

# utime+stime in clock ticks, summed over the server's processes (all threads).
server_ticks() {
  local total=0 pid fields
  for pid in $(server_processes "$1"); do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + $(awk '{print $12 + $13}' <<<"$fields")))
  done
  echo "$total"
}

reset_peak_rss() {
  local pid
  for pid in $(server_processes "$1"); do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done
}

# Peak RSS in KiB: sum over the server's processes.
server_peak_kib() {
  local total=0 pid value
  for pid in $(server_processes "$1"); do
    value=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

