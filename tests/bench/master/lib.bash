# Helpers shared by the master benchmarks (sourced).
#   free_port, wait_port PORT
#   server_processes PID     the process and its children (nginx workers)
#   server_ticks PID         utime+stime (clock ticks) over those processes, all threads
#   reset_peak_rss PID       clears VmHWM (clear_refs 5) so a round measures its own peak
#   server_peak_kib PID      VmHWM summed over those processes
#   start_steering, stop_steering             receive flow steering on lo, and back
#   set_host_congestion NAME, restore_host_congestion   the host's default congestion control, and back
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


# Receive flow steering on lo (BENCH_STEER=rfs): each packet's receive work
# runs on the CPU of the socket that reads it, as over a NIC. start_steering
# saves the settings, stop_steering puts them back.
rps_sock_flow=/proc/sys/net/core/rps_sock_flow_entries
lo_queue=/sys/class/net/lo/queues/rx-0
saved_steering=""
start_steering() {
  [ -w "$rps_sock_flow" ] && [ -w "$lo_queue/rps_flow_cnt" ] ||
    { echo "steering needs root and a kernel with RPS/RFS"; exit 1; }
  saved_steering="$(cat "$rps_sock_flow") $(cat "$lo_queue/rps_flow_cnt") $(cat "$lo_queue/rps_cpus")"
  echo 32768 >"$rps_sock_flow"
  echo 32768 >"$lo_queue/rps_flow_cnt"
  printf '%x\n' $(((1 << $(nproc)) - 1)) >"$lo_queue/rps_cpus"
}
stop_steering() {
  [ -n "$saved_steering" ] || return 0
  set -- $saved_steering
  echo "$1" >"$rps_sock_flow"; echo "$2" >"$lo_queue/rps_flow_cnt"; echo "$3" >"$lo_queue/rps_cpus"
  saved_steering=""
}

# The host's default TCP congestion control for the run (BENCH_CC=NAME):
# every server's connections, nginx's too, get it; restored afterwards.
congestion_sysctl=/proc/sys/net/ipv4/tcp_congestion_control
saved_congestion=""
set_host_congestion() {
  grep -qw "$1" /proc/sys/net/ipv4/tcp_available_congestion_control ||
    { echo "congestion control $1 is not in this kernel: $(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"; exit 1; }
  [ -w "$congestion_sysctl" ] || { echo "setting the host's congestion control needs root"; exit 1; }
  saved_congestion=$(cat "$congestion_sysctl")
  echo "$1" >"$congestion_sysctl"
}
restore_host_congestion() {
  [ -n "$saved_congestion" ] || return 0
  echo "$saved_congestion" >"$congestion_sysctl"
  saved_congestion=""
}
