#!/usr/bin/env python3
"""One benchmark run of tests/bench/master.sh as a JSON line: reads the
client's output (wrk's report.lua line or cascade-load's summary, and the
"TIME user system" line of /usr/bin/time) and the server's CPU ticks and
peak RSS given on the command line.

usage: run_row.py CONFIG SIZE CLIENTS ROUND LOADER SERVER TICKS HZ PEAK_KIB CLIENT_OUTPUT [OUT]
The environment adds BENCH_NETWORK (loopback or loopback-rfs, master.sh's
BENCH_STEER) and, in 1x1, BENCH_CORE_TICKS: the busy ticks of the server's
CPU during the run (server_core_cpu_per_gb).
With OUT, the line is appended to OUT and a readable summary printed;
without, the JSON line is printed.
"""
import json
import os
import sys


def main():
    config, size, clients, round_, loader, server, ticks, hz, peak, path = sys.argv[1:11]
    out = sys.argv[11] if len(sys.argv) > 11 else None
    text = open(path, errors="replace").read()
    client_cpu = None
    measured = None
    for line in text.splitlines():
        if line.startswith("TIME "):
            client_cpu = sum(float(x) for x in line.split()[1:3])
        elif line.startswith("WRK "):
            w = json.loads(line[4:])
            measured = {"bytes": w["bytes"], "seconds": w["duration_us"] / 1e6,
                        "requests": w["requests"], "errors": w["errors"],
                        "error_kinds": {k: w[k] for k in ("connect", "read", "write", "status", "timeout")}}
        elif line.startswith("{") and '"clients"' in line:
            s = json.loads(line)
            measured = {"bytes": s["bytes"], "seconds": s["seconds"], "requests": s["completed"],
                        "errors": s["error_total"], "error_kinds": s["errors"]}
    row = {"config": config, "size": size, "clients": int(clients), "round": int(round_),
           "loader": loader, "server": server, "peak_rss_mib": int(peak) / 1024,
           "network": os.environ.get("BENCH_NETWORK", "loopback"),
           "host_congestion": os.environ.get("BENCH_CONGESTION", "")}
    core_ticks = os.environ.get("BENCH_CORE_TICKS")
    if measured is None:
        # The client failed to report: counted as a failed run, never as a figure.
        row.update({"bytes": 0, "seconds": 0, "requests": 0, "errors": 1, "gbps": 0.0,
                    "server_cpu_per_gb": None, "client_cpu_per_gb": None,
                    "failure": text[-400:]})
    else:
        gb = measured["bytes"] / 1e9
        server_cpu = int(ticks) / int(hz)
        row.update(measured)
        row["gbps"] = gb / measured["seconds"] if measured["seconds"] else 0.0
        row["server_cpu_seconds"] = server_cpu
        row["client_cpu_seconds"] = client_cpu
        row["server_cpu_per_gb"] = server_cpu / gb if gb else None
        row["client_cpu_per_gb"] = client_cpu / gb if gb and client_cpu is not None else None
        if core_ticks is not None:
            row["server_core_cpu_per_gb"] = int(core_ticks) / int(hz) / gb if gb else None
    if out is None:
        print(json.dumps(row))
        return
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")
    print("%-4s %-4s %6d r%d %-12s %-17s %6.2f GB/s  server %.3f (core %.3f)  client %.3f CPU-s/GB  %6.1f MiB  %s errors" % (
        config, size, row["clients"], row["round"], loader, server, row["gbps"],
        row["server_cpu_per_gb"] or 0, row.get("server_core_cpu_per_gb") or 0,
        row["client_cpu_per_gb"] or 0, row["peak_rss_mib"], row["errors"]),
        flush=True)


if __name__ == "__main__":
    main()
