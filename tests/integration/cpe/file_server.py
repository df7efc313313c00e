#!/usr/bin/env python3
"""A misbehaving image server for cascade-cpe's tests (loopback only).

Serves one file at any path, honours "Range: bytes=N-", and can be told to
misbehave: cut the connection after some bytes of the first full request,
stall, answer a fixed status, or throttle. Every request is appended to a
log as one JSON line {"path", "range", "status", "sent"}.

  file_server.py --file F --port-file P --log L [--cut-after N]
                 [--stall-after N] [--status CODE] [--rate BYTES_PER_S]
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

from http_helper import serve


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cut-after", type=int, default=-1)
    parser.add_argument("--stall-after", type=int, default=-1)
    parser.add_argument("--status", type=int, default=0)
    parser.add_argument("--rate", type=int, default=0)
    options = parser.parse_args()
    lock = threading.Lock()
    state = {"cuts_left": 1 if options.cut_after >= 0 else 0}

    def record(entry):
        with lock, open(options.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            data = open(options.file, "rb").read()
            wanted = self.headers.get("Range", "")
            entry = {"path": self.path, "range": wanted, "status": 0, "sent": 0}
            if options.status:
                entry["status"] = options.status
                record(entry)
                self.send_response(options.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[6:-1])
            if start > len(data):
                entry["status"] = 416
                record(entry)
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = data[start:]
            entry["status"] = 206 if start else 200
            self.send_response(entry["status"])
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            limit = len(body)
            cut = False
            with lock:
                if state["cuts_left"] and start == 0:
                    state["cuts_left"] -= 1
                    limit = min(limit, options.cut_after)
                    cut = True
            stall = options.stall_after >= 0
            if stall:
                limit = min(limit, options.stall_after)
            sent = 0
            try:
                while sent < limit:
                    chunk = body[sent:min(limit, sent + 16384)]
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    sent += len(chunk)
                    if options.rate:
                        time.sleep(len(chunk) / options.rate)
                entry["sent"] = sent
                record(entry)
                if stall:
                    time.sleep(3600)
                if cut:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                entry["sent"] = sent
                entry["status"] = -1
                record(entry)
                self.close_connection = True

    return serve(("127.0.0.1", options.port), Handler, options.port_file)


if __name__ == "__main__":
    sys.exit(main())
