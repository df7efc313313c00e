#!/usr/bin/env python3
"""A scripted ACS for the relay tests: several cascade-cpe devices at once,
each with its own queue of sessions (loopback only).

At each Inform of device SERIAL, the oldest file of QUEUE/SERIAL/*.json (a
session: {"requests": [...]}, the shorthands of ../cpe/fake_acs.py) is
taken; none left: a plain session. Sessions are told apart by a cookie, so
devices can talk to it at the same time. Every POST is logged to --log as
one JSON line (serial, kind, params, fault code and string, command key,
time), TransferCompletes are acknowledged.
"""
import argparse
import itertools
import json
import os
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cpe"))
from fake_acs import CWMP, build_request, describe, envelope, local  # noqa: E402
from http_helper import serve  # noqa: E402


def serial_of(data):
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return ""
    for element in root.iter():
        if local(element.tag) == "SerialNumber":
            return element.text or ""
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--log", required=True)
    options = parser.parse_args()
    lock = threading.Lock()
    sessions = {}
    numbers = itertools.count(1)

    def next_session(serial):
        folder = os.path.join(options.queue, serial)
        files = sorted(f for f in os.listdir(folder) if f.endswith(".json")) if os.path.isdir(folder) else []
        if not files:
            return {"requests": []}
        path = os.path.join(folder, files[0])
        with open(path) as source:
            session = json.load(source)
        os.rename(path, path + ".used")
        return session

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body="", cookie=None):
            data = body.encode()
            self.send_response(status)
            if cookie:
                self.send_header("Set-Cookie", "relay-session=%s; Path=/" % cookie)
            if data:
                self.send_header("Content-Type", 'text/xml; charset="utf-8"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(length) if length else b""
            entry = describe(data)
            cookie = None
            for part in (self.headers.get("Cookie") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "relay-session":
                    cookie = value
            with lock:
                if entry["kind"] == "Inform":
                    cookie = str(next(numbers))
                    session = next_session(serial_of(data))
                    session.update(serial=serial_of(data), next=0,
                                   namespace=entry.get("namespace") or CWMP)
                    sessions[cookie] = session
                session = sessions.get(cookie, {"requests": [], "next": 0, "serial": "?", "namespace": CWMP})
                entry["serial"] = session["serial"]
                entry["t"] = time.time()
                with open(options.log, "a") as log:
                    log.write(json.dumps(entry) + "\n")
                namespace = session["namespace"]
                if entry["kind"] == "Inform":
                    return self.reply(200, envelope(entry["id"], "<cwmp:InformResponse><MaxEnvelopes>1"
                                                    "</MaxEnvelopes></cwmp:InformResponse>", namespace), cookie)
                if entry["kind"] == "TransferComplete":
                    return self.reply(200, envelope(entry["id"], "<cwmp:TransferCompleteResponse/>", namespace))
                requests = session["requests"]
                if session["next"] < len(requests):
                    spec = requests[session["next"]]
                    session["next"] += 1
                    message_id = "relay-%s-%d" % (cookie, session["next"])
                    return self.reply(200, build_request(spec, message_id).replace(CWMP, namespace))
                sessions.pop(cookie, None)
                return self.reply(204)

    return serve(("127.0.0.1", 0), Handler, options.port_file)


if __name__ == "__main__":
    sys.exit(main())
