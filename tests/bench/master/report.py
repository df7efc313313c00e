#!/usr/bin/env python3
"""Table of tests/bench/master.sh's runs: per cell (configuration, image,
clients, loader) the median of each server over its rounds, the ratios
cascade/nginx (medians, and the min-max of the per-round ratios, each round
comparing runs made next to each other) and the issue's targets:
throughput >= 1.1x the better nginx, server CPU-s/GB <= 0.9x nginx with
sendfile, peak RSS <= nginx's (the smaller of the two), no errors; and,
when the run has it, cascade against nginx given the same send buffer.

usage: report.py FILE.jsonl   (prints markdown tables)
"""
import collections
import json
import statistics
import sys

NGINX = ("nginx-sendfile", "nginx-nosendfile")
SIZE_ORDER = {"64K": 0, "4M": 1, "64M": 2}
CONFIG_ORDER = {"2x2": 0, "1x1": 1}
LOADER_ORDER = {"wrk": 0, "load-copy": 1, "load-discard": 2}


def congestion_note(run):
    """The host's default congestion control of a run, where recorded."""
    name = run.get("host_congestion", "")
    return ", host congestion control %s" % name if name else ""


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return "%.2f-%.2f" % (min(values), max(values))


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(value, pattern="%.2f"):
    return pattern % value if value is not None else "-"


def total(row):
    if row["server_cpu_per_gb"] is None or row["client_cpu_per_gb"] is None:
        return None
    return row["server_cpu_per_gb"] + row["client_cpu_per_gb"]


def cell_summary(runs, cascade):
    """runs: list of rows of one cell; cascade: the cascade server to compare
    (cascade, or cascade-MODE). Returns a dict of figures."""
    by_server = collections.defaultdict(list)
    by_round = collections.defaultdict(dict)
    for r in runs:
        by_server[r["server"]].append(r)
        by_round[r["round"]][r["server"]] = r
    med = {}
    for name, rs in by_server.items():
        med[name] = {
            "gbps": median([r["gbps"] for r in rs]),
            "server": median([r["server_cpu_per_gb"] for r in rs]),
            "client": median([r["client_cpu_per_gb"] for r in rs]),
            "total": median([total(r) for r in rs]),
            "rss": max(r["peak_rss_mib"] for r in rs),
            "errors": sum(r["errors"] for r in rs),
        }
    out = {"med": med}
    if cascade not in med:
        return out
    nginx = [n for n in NGINX if n in med]
    if not nginx:
        return out
    best = max(nginx, key=lambda n: med[n]["gbps"] or 0)
    c = med[cascade]
    out["best"] = best
    out["throughput"] = ratio(c["gbps"], med[best]["gbps"])
    per_round_tp, per_round_cpu, per_round_total = [], [], []
    for rnd in by_round.values():
        if cascade not in rnd:
            continue
        peers = [rnd[n]["gbps"] for n in nginx if n in rnd]
        if peers:
            per_round_tp.append(ratio(rnd[cascade]["gbps"], max(peers)))
        if "nginx-sendfile" in rnd:
            per_round_cpu.append(ratio(rnd[cascade]["server_cpu_per_gb"],
                                       rnd["nginx-sendfile"]["server_cpu_per_gb"]))
            per_round_total.append(ratio(total(rnd[cascade]), total(rnd["nginx-sendfile"])))
    out["throughput_spread"] = spread(per_round_tp)
    if "nginx-sendfile" in med:
        out["cpu"] = ratio(c["server"], med["nginx-sendfile"]["server"])
        out["cpu_spread"] = spread(per_round_cpu)
        out["total"] = ratio(c["total"], med["nginx-sendfile"]["total"])
        out["total_spread"] = spread(per_round_total)
    smallest_rss = min(med[n]["rss"] for n in nginx)
    out["rss"] = (c["rss"], smallest_rss)
    out["targets"] = {
        "throughput": out["throughput"] is not None and out["throughput"] >= 1.1,
        "cpu": out.get("cpu") is not None and out["cpu"] <= 0.9,
        "rss": c["rss"] <= smallest_rss,
        "errors": c["errors"] == 0,
    }
    return out


def print_same_buffer_table(cells, keys, rounds):
    """cascade against nginx given cascade's send buffer (nginx-sendfile-sndbuf),
    when the run has it: not a target, the fair check of where CPU goes."""
    peer = "nginx-sendfile-sndbuf"
    loader = None
    for key in keys:
        by_server = collections.defaultdict(list)
        for r in cells[key]:
            by_server[r["server"]].append(r)
        if peer not in by_server or "cascade" not in by_server:
            continue
        med = {name: {field: median([r[field] for r in rs])
                      for field in ("gbps", "server_cpu_per_gb", "client_cpu_per_gb")}
               for name, rs in by_server.items()}
        if key[0] != loader:
            loader = key[0]
            print("\ncascade against nginx with the same send buffer (%s), %s (medians of %d rounds)" % (
                peer, loader, rounds))
            print("| config | image | N | cascade GB/s | nginx same buffer GB/s | throughput ratio "
                  "| server CPU-s/GB cascade / nginx same buffer | server CPU ratio "
                  "| client CPU-s/GB cascade / nginx same buffer |")
            print("| --- " * 9 + "|")
        c, n = med["cascade"], med[peer]
        print("| %s | %s | %d | %s | %s | %s | %s / %s | %s | %s / %s |" % (
            key[1], key[2], key[3], fmt(c["gbps"]), fmt(n["gbps"]), fmt(ratio(c["gbps"], n["gbps"])),
            fmt(c["server_cpu_per_gb"], "%.3f"), fmt(n["server_cpu_per_gb"], "%.3f"),
            fmt(ratio(c["server_cpu_per_gb"], n["server_cpu_per_gb"])),
            fmt(c["client_cpu_per_gb"], "%.3f"), fmt(n["client_cpu_per_gb"], "%.3f")))


def print_core_table(cells, keys, cascades):
    """1x1 only: the busy time of the server's own CPU (CPU 0: the process,
    the softirqs run there, the IPIs), per GB. With BENCH_STEER=rfs each
    side's receiving runs on its own CPU, so this is what the one-core
    gateway pays, as over a NIC."""
    counted = collections.Counter()
    met = collections.Counter()
    for cascade in cascades:
        loader = None
        for key in keys:
            by_server = collections.defaultdict(list)
            for r in cells[key]:
                if r.get("server_core_cpu_per_gb") is not None:
                    by_server[r["server"]].append(r)
            if cascade not in by_server or "nginx-sendfile" not in by_server:
                continue
            med = {name: {field: median([r[field] for r in rs]) for field in ("gbps", "server_core_cpu_per_gb")}
                   for name, rs in by_server.items()}
            if key[0] != loader:
                loader = key[0]
                print("\n%s, %s: the server core's busy time (1x1, CPU 0; network %s%s)" % (
                    cascade, loader, cells[key][0].get("network", "loopback"), congestion_note(cells[key][0])))
                print("| image | N | %s GB/s | nginx sendfile GB/s | nginx no-sendfile GB/s "
                      "| core CPU-s/GB %s / nginx sendfile / nginx no-sendfile | core CPU ratio vs nginx sendfile |" % (
                          cascade, cascade))
                print("| --- " * 7 + "|")
            c, n = med[cascade], med["nginx-sendfile"]
            other = med.get("nginx-nosendfile", {"gbps": None, "server_core_cpu_per_gb": None})
            core_ratio = ratio(c["server_core_cpu_per_gb"], n["server_core_cpu_per_gb"])
            counted[(cascade, loader)] += 1
            if core_ratio is not None and core_ratio <= 0.9:
                met[(cascade, loader)] += 1
            print("| %s | %d | %s | %s | %s | %s / %s / %s | %s |" % (
                key[2], key[3], fmt(c["gbps"]), fmt(n["gbps"]), fmt(other["gbps"]),
                fmt(c["server_core_cpu_per_gb"], "%.3f"), fmt(n["server_core_cpu_per_gb"], "%.3f"),
                fmt(other["server_core_cpu_per_gb"], "%.3f"),
                fmt(core_ratio) if core_ratio is not None and core_ratio <= 0.9 else "**%s**" % fmt(core_ratio)))
    for (cascade, loader), count in sorted(counted.items()):
        print("  %-15s %-12s server core CPU-s/GB <= 0.9x nginx sendfile (1x1): %d/%d" % (
            cascade, loader, met[(cascade, loader)], count))


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    cells = collections.defaultdict(list)
    for r in rows:
        cells[(r["loader"], r["config"], r["size"], r["clients"])].append(r)
    keys = sorted(cells, key=lambda k: (LOADER_ORDER.get(k[0], 9), CONFIG_ORDER.get(k[1], 9),
                                        SIZE_ORDER.get(k[2], 9), k[3]))
    cascades = sorted({r["server"] for r in rows if r["server"].startswith("cascade")},
                      key=lambda name: (name != "cascade", name))
    rounds = max(r["round"] for r in rows)
    missed = collections.defaultdict(list)
    counted = collections.Counter()
    for cascade in cascades:
        loader = None
        for key in keys:
            s = cell_summary(cells[key], cascade)
            med = s["med"]
            if cascade not in med:
                continue
            if key[0] != loader:
                loader = key[0]
                print("\n%s, %s (medians of %d rounds; ratios %s/nginx, per-round min-max in brackets; "
                      "network %s%s)" % (cascade, loader, rounds, cascade, cells[key][0].get("network", "loopback"),
                                        congestion_note(cells[key][0])))
                print("| config | image | N | %s GB/s | nginx sendfile GB/s | nginx no-sendfile GB/s "
                      "| throughput vs better nginx | server CPU-s/GB cascade / nginx sendfile "
                      "| server CPU ratio | server+client CPU ratio | client CPU-s/GB cascade / nginx sendfile "
                      "| peak RSS MiB cascade / nginx | errors cascade / nginx |" % cascade)
                print("| --- " * 13 + "|")
            get = lambda name, field, pattern="%.2f": fmt(med[name][field], pattern) if name in med else "-"
            if "targets" in s:
                for target, ok in s["targets"].items():
                    counted[(cascade, loader, target)] += 1
                    if not ok:
                        missed[(cascade, loader, target)].append("%s %s N=%d" % key[1:])
            mark = lambda target, text: text if "targets" not in s or s["targets"][target] else "**%s**" % text
            print("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                key[1], key[2], key[3], get(cascade, "gbps"), get("nginx-sendfile", "gbps"),
                get("nginx-nosendfile", "gbps"),
                mark("throughput", "%s (%s)" % (fmt(s.get("throughput")), s.get("throughput_spread", "-"))),
                "%s / %s" % (get(cascade, "server", "%.3f"), get("nginx-sendfile", "server", "%.3f")),
                mark("cpu", "%s (%s)" % (fmt(s.get("cpu")), s.get("cpu_spread", "-"))),
                "%s (%s)" % (fmt(s.get("total")), s.get("total_spread", "-")),
                "%s / %s" % (get(cascade, "client", "%.3f"), get("nginx-sendfile", "client", "%.3f")),
                mark("rss", "%s / %s" % (get(cascade, "rss", "%.1f"),
                                         fmt(s["rss"][1], "%.1f") if "rss" in s else "-")),
                mark("errors", "%s / %s" % (
                    med[cascade]["errors"],
                    "+".join(str(med[n]["errors"]) for n in NGINX if n in med)))))
    print_same_buffer_table(cells, keys, rounds)
    print_core_table(cells, keys, cascades)
    print("\ntargets (cells met / cells):")
    names = {"throughput": "throughput >= 1.1x the better nginx",
             "cpu": "server CPU-s/GB <= 0.9x nginx sendfile",
             "rss": "peak RSS <= nginx's", "errors": "no errors"}
    for (cascade, loader_name, target), count in sorted(
            counted.items(), key=lambda x: (x[0][0] != "cascade", x[0][0], LOADER_ORDER.get(x[0][1], 9), x[0][2])):
        not_met = missed.get((cascade, loader_name, target), [])
        print("  %-15s %-12s %-40s %d/%d%s" % (cascade, loader_name, names[target], count - len(not_met), count,
                                               ("  not met: " + ", ".join(not_met)) if not_met else ""))


if __name__ == "__main__":
    main()
