#!/usr/bin/env python3
"""Can one server meet both targets of a cell? For every cell of
tests/bench/master.sh's runs (loader, configuration, image, clients) where
cascade misses the server-CPU target (<= 0.9x nginx sendfile's median
server CPU-s/GB), this looks at every single run of every server in the
file (nginx with sendfile, without, with cascade's send buffer; cascade in
any mode) that reached the throughput target (>= 1.1x the better nginx's
median) and prints the least server CPU-s/GB any of them needed. When even
that is above the CPU limit, no server measured here met both targets in
that cell: on loopback, throughput past that point needs the server to run
its own transmissions, and those cost more than the limit allows (the
limit is low because nginx's client runs nginx's transmissions).

usage: feasibility.py FILE.jsonl   (prints a markdown table)
"""
import collections
import json
import statistics
import sys

SIZE_ORDER = {"64K": 0, "4M": 1, "64M": 2}
CONFIG_ORDER = {"2x2": 0, "1x1": 1}


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    cells = collections.defaultdict(list)
    for row in rows:
        cells[(row["loader"], row["config"], row["size"], row["clients"])].append(row)
    print("| loader | config | image | N | throughput target GB/s | server CPU limit | cascade | "
          "least server CPU of a run at the target (server) | runs at the target | both met by any run |")
    print("| --- " * 10 + "|")
    for key in sorted(cells, key=lambda k: (k[0], CONFIG_ORDER.get(k[1], 9), SIZE_ORDER.get(k[2], 9), k[3])):
        runs = cells[key]
        by_server = collections.defaultdict(list)
        for run in runs:
            by_server[run["server"]].append(run)
        if "nginx-sendfile" not in by_server or "cascade" not in by_server:
            continue
        median = lambda name, field: statistics.median(r[field] for r in by_server[name])
        better = max(median(name, "gbps") for name in ("nginx-sendfile", "nginx-nosendfile") if name in by_server)
        target = 1.1 * better
        limit = 0.9 * median("nginx-sendfile", "server_cpu_per_gb")
        cascade_cpu = median("cascade", "server_cpu_per_gb")
        if cascade_cpu <= limit:
            continue
        fast = [r for r in runs if r["gbps"] >= target and r["server_cpu_per_gb"] is not None]
        least = min(fast, key=lambda r: r["server_cpu_per_gb"]) if fast else None
        print("| %s | %s | %s | %d | %.2f | %.3f | %.2f GB/s, %.3f | %s | %d | %s |" % (
            key[0], key[1], key[2], key[3], target, limit, median("cascade", "gbps"), cascade_cpu,
            "%.3f (%s)" % (least["server_cpu_per_gb"], least["server"]) if least else "none reached it",
            len(fast), "yes" if least and least["server_cpu_per_gb"] <= limit else "no"))


if __name__ == "__main__":
    main()
