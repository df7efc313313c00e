#!/usr/bin/env python3
"""Hostile clients for the flood tests: one process, non-blocking sockets,
every loop bounded by --duration.

  flood.py slowloris --port P [--host H] [--source ADDR] --connections N
                     [--interval S] --duration S
      opens N connections, sends the start of a request head and then one
      more byte every --interval seconds, never finishing it.
  flood.py hold --port P [--host H] [--source ADDR|--sources A.B.C.0/24]
                --connections N --duration S [--request TEXT]
      opens N connections as fast as it can (spread over the addresses of
      --sources when given), sends TEXT once when given (\\r\\n escapes
      allowed), reads at most the first 4 KiB each answers and keeps every
      connection open without reading more.

Both print one JSON line: opened, connect_failed, closed_by_server (the
server ended the connection: EOF or reset) and how many of those in the
first second (refused at once), still_open at the end,
statuses (first status line of each answer, by code), and for slowloris
the seconds after which the last connection was closed by the server.
"""
import argparse
import ipaddress
import json
import selectors
import socket
import sys
import time


def connect(host, port, source):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        sock.bind((source, 0))
    sock.setblocking(False)
    try:
        sock.connect((host, port))
    except BlockingIOError:
        pass
    return sock


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["slowloris", "hold"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--source")
    parser.add_argument("--sources", help="spread connections over the hosts of this network")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--request", default="")
    options = parser.parse_args()

    sources = [options.source]
    if options.sources:
        sources = [str(host) for host in ipaddress.ip_network(options.sources).hosts()]
    started = time.monotonic()
    deadline = started + options.duration
    selector = selectors.DefaultSelector()
    state = {}
    result = {"opened": 0, "connect_failed": 0, "closed_by_server": 0, "closed_in_first_second": 0,
              "still_open": 0, "statuses": {}, "last_server_close_seconds": None}
    prefix = b"GET /images/slow HTTP/1.1\r\nHost: victim\r\nX-Slow: "
    request = options.request.replace("\\r", "\r").replace("\\n", "\n").encode()

    for index in range(options.connections):
        if time.monotonic() > deadline:
            break
        try:
            sock = connect(options.host, options.port, sources[index % len(sources)])
        except OSError:
            result["connect_failed"] += 1
            continue
        state[sock] = {"sent": False, "answer": b"", "closed": False}
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        result["opened"] += 1

    next_trickle = time.monotonic() + options.interval
    while time.monotonic() < deadline and any(not info["closed"] for info in state.values()):
        timeout = max(0.0, min(deadline, next_trickle) - time.monotonic())
        for key, events in selector.select(timeout=min(timeout, 0.2)):
            sock, info = key.fileobj, state[key.fileobj]
            if events & selectors.EVENT_WRITE and not info["sent"]:
                try:
                    sock.send(prefix if options.mode == "slowloris" else request)
                    info["sent"] = True
                    selector.modify(sock, selectors.EVENT_READ)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    info["closed"] = True
                    result["connect_failed"] += 1
                    selector.unregister(sock)
                    continue
            if events & selectors.EVENT_READ:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data and len(info["answer"]) < 4096:
                    info["answer"] += data
                    if len(info["answer"]) >= 4096:
                        selector.unregister(sock)  # hold it: read nothing more
                    continue
                if not data:
                    info["closed"] = True
                    result["closed_by_server"] += 1
                    result["last_server_close_seconds"] = round(time.monotonic() - started, 2)
                    if time.monotonic() - started < 1.0:
                        result["closed_in_first_second"] += 1
                    selector.unregister(sock)
        if options.mode == "slowloris" and time.monotonic() >= next_trickle:
            next_trickle = time.monotonic() + options.interval
            for sock, info in state.items():
                if info["sent"] and not info["closed"]:
                    try:
                        sock.send(b"x")
                    except OSError:
                        pass
    for sock, info in state.items():
        status = info["answer"].split(b"\r\n", 1)[0].split(b" ")
        if len(status) >= 2 and status[0].startswith(b"HTTP/"):
            code = status[1].decode(errors="replace")
            result["statuses"][code] = result["statuses"].get(code, 0) + 1
        if not info["closed"]:
            result["still_open"] += 1
        sock.close()
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
