#!/usr/bin/env python3
"""An image server that never says how big the file is (loopback only).

Answers every GET with 200, no Content-Length and the connection closed at
the end, and streams --bytes bytes: a download whose Download RPC has no
FileSize can only find out it is too big while it writes it. Writes its port
to --port-file.

  unsized_server.py --bytes N --port-file P
"""
import argparse
import os
import signal
import socket
import sys
import threading


def serve(connection, size):
    with connection:
        connection.settimeout(10)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = connection.recv(4096)
            if not chunk:
                return
            request += chunk
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
        block = b"\x5a" * 65536
        sent = 0
        try:
            while sent < size:
                part = block[: min(len(block), size - sent)]
                connection.sendall(part)
                sent += len(part)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--port-file", required=True)
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(options.port_file + ".new", "w") as port_file:
        port_file.write(str(listener.getsockname()[1]))
    os.rename(options.port_file + ".new", options.port_file)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, options.bytes), daemon=True).start()


if __name__ == "__main__":
    main()
