#!/usr/bin/env python3
"""A source that lies (loopback only): it serves the right piece list of an
image at /pieces/NAME and other bytes at /images/NAME, as a compromised or
broken relay would; cascade-master never does (it checks what it relays).

  lying_source.py --list LIST --file BAD_IMAGE --name NAME --port-file P --log L [--rate BYTES_PER_S]

GET /images/NAME honours "Range: bytes=N-" (206). Every request is appended
to the log as one JSON line {"path", "range", "status", "sent"}.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cpe"))
from http_helper import serve  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--rate", type=int, default=0)
    options = parser.parse_args()
    lock = threading.Lock()
    with open(options.list, "rb") as source:
        piece_list = source.read()

    def record(entry):
        with lock, open(options.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.split("?")[0] == "/pieces/" + options.name:
                self.send_response(200)
                self.send_header("Content-Length", str(len(piece_list)))
                self.end_headers()
                self.wfile.write(piece_list)
                record({"path": self.path, "range": None, "status": 200, "sent": len(piece_list)})
                return
            if self.path.split("?")[0] != "/images/" + options.name:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = os.path.getsize(options.file)
            wanted = self.headers.get("Range")
            start = int(wanted[len("bytes="):].split("-")[0]) if wanted else 0
            self.send_response(206 if wanted else 200)
            if wanted:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            sent = 0
            began = time.monotonic()
            try:
                with open(options.file, "rb") as image:
                    image.seek(start)
                    while True:
                        chunk = image.read(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        if options.rate:
                            pause = began + sent / options.rate - time.monotonic()
                            if pause > 0:
                                time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):
                pass
            record({"path": self.path, "range": wanted, "status": 206 if wanted else 200, "sent": sent})

    return serve(("127.0.0.1", 0), Handler, options.port_file)


if __name__ == "__main__":
    sys.exit(main())
