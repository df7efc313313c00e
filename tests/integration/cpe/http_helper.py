"""Runs a test HTTP server for the cpe tests' Python helpers (fake_acs.py,
file_server.py): threads per request, the bound port written atomically to
a file the shell test waits for, a clean exit on SIGTERM."""
import os
import signal
import sys
from http.server import ThreadingHTTPServer


def serve(address, handler, port_file):
    server = ThreadingHTTPServer(address, handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *unused: sys.exit(0))
    with open(port_file + ".tmp", "w") as port_out:
        port_out.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
