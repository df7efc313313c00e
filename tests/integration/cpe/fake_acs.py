#!/usr/bin/env python3
"""A scriptable, misbehaving ACS for cascade-cpe's tests (loopback only).

Each Inform opens a session and takes the oldest file from --queue (a JSON
object; none left: a plain session). The session object says how to answer
the Inform ("ok", "garbage", "fault", "503:SECONDS") and lists the requests
to send, one per CPE POST, as shorthands:
  {"rpc": "GetParameterValues", "names": [...]}
  {"rpc": "SetParameterValues", "values": [[name, value, type]], "key": "k"}
  {"rpc": "GetParameterNames", "path": "Device.", "next_level": true}
  {"rpc": "Download", "url": "...", "size": N, "key": "k", "target": "f", "delay": 0}
  {"rpc": "FactoryReset"}      (a method the CPE does not know)
  {"raw": "any text"}           (sent as is: bad SOAP)
TransferComplete is acknowledged unless the session says "tc": "fault".
Every POST the CPE makes is logged to --log as one JSON line describing it
(kind, id, events, parameters, fault codes, ...).
"""
import argparse
import json
import os
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler

from http_helper import serve

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
CWMP = "urn:dslforum-org:cwmp-1-0"


def envelope(message_id, body, namespace=CWMP):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="%s" xmlns:cwmp="%s" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">'
            '<soap:Header><cwmp:ID soap:mustUnderstand="1">%s</cwmp:ID></soap:Header>'
            '<soap:Body>%s</soap:Body></soap:Envelope>' % (SOAP, namespace, message_id, body))


def escape(text):
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def build_request(spec, message_id):
    if "raw" in spec:
        return spec["raw"]
    rpc = spec["rpc"]
    if rpc == "GetParameterValues":
        names = "".join("<string>%s</string>" % escape(n) for n in spec["names"])
        body = ('<cwmp:GetParameterValues><ParameterNames soapenc:arrayType="xsd:string[%d]">%s'
                '</ParameterNames></cwmp:GetParameterValues>' % (len(spec["names"]), names))
    elif rpc == "SetParameterValues":
        values = "".join('<ParameterValueStruct><Name>%s</Name><Value xsi:type="%s">%s</Value>'
                         '</ParameterValueStruct>' % (escape(n), t, escape(v)) for n, v, t in spec["values"])
        body = ('<cwmp:SetParameterValues><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[%d]">'
                '%s</ParameterList><ParameterKey>%s</ParameterKey></cwmp:SetParameterValues>'
                % (len(spec["values"]), values, escape(spec.get("key", ""))))
    elif rpc == "GetParameterNames":
        body = ('<cwmp:GetParameterNames><ParameterPath>%s</ParameterPath><NextLevel>%s</NextLevel>'
                '</cwmp:GetParameterNames>' % (escape(spec["path"]), "1" if spec.get("next_level") else "0"))
    elif rpc == "Download":
        body = ('<cwmp:Download><CommandKey>%s</CommandKey><FileType>1 Firmware Upgrade Image</FileType>'
                '<URL>%s</URL><Username></Username><Password></Password><FileSize>%d</FileSize>'
                '<TargetFileName>%s</TargetFileName><DelaySeconds>%d</DelaySeconds>'
                '<SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>'
                % (escape(spec.get("key", "")), escape(spec.get("url", "")), spec.get("size", 0),
                   escape(spec.get("target", "")), spec.get("delay", 0)))
    else:
        body = "<cwmp:%s/>" % rpc
    return envelope(message_id, body)


def local(tag):
    return tag.split("}", 1)[-1]


def describe(data):
    """What the CPE sent, as a dict for the log."""
    if not data:
        return {"kind": "empty"}
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return {"kind": "unparsable"}
    entry = {"kind": "unknown", "id": ""}
    for element in root.iter():
        if local(element.tag) == "ID":
            entry["id"] = element.text or ""
    body = next((e for e in root if local(e.tag) == "Body"), None)
    if body is None or len(body) == 0:
        return entry
    rpc = body[0]
    entry["kind"] = local(rpc.tag)
    entry["namespace"] = rpc.tag[1:].split("}")[0] if rpc.tag.startswith("{") else ""
    if entry["kind"] == "Fault":
        for element in rpc.iter():
            name = local(element.tag)
            if name == "FaultCode" and "fault" not in entry:
                entry["fault"] = int(element.text)
            if name == "SetParameterValuesFault":
                fields = {local(c.tag): c.text for c in element}
                entry.setdefault("spv_faults", []).append([fields.get("ParameterName"),
                                                            int(fields.get("FaultCode", 0))])
        return entry
    params = {}
    for struct in rpc.iter():
        if local(struct.tag) == "ParameterValueStruct":
            fields = {local(c.tag): c for c in struct}
            params[fields["Name"].text] = fields["Value"].text or ""
        if local(struct.tag) == "ParameterInfoStruct":
            fields = {local(c.tag): c.text for c in struct}
            entry.setdefault("names", []).append([fields.get("Name"), fields.get("Writable")])
        if local(struct.tag) == "EventCode":
            entry.setdefault("events", []).append(struct.text)
    if params:
        entry["params"] = params
    for element in rpc.iter():
        name = local(element.tag)
        if name in ("Status", "CommandKey", "FaultCode", "FaultString", "RetryCount"):
            entry[name] = element.text or ""
    return entry


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--log", required=True)
    options = parser.parse_args()
    lock = threading.Lock()
    state = {"session": 0, "current": None, "sequence": 0}

    def next_session():
        files = sorted(f for f in os.listdir(options.queue) if f.endswith(".json"))
        if not files:
            return {"inform": "ok", "requests": []}
        path = os.path.join(options.queue, files[0])
        with open(path) as source:
            session = json.load(source)
        os.rename(path, path + ".used")
        return session

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body="", headers=()):
            data = body.encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", 'text/xml; charset="utf-8"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(length) if length else b""
            entry = describe(data)
            with lock:
                state["sequence"] += 1
                entry["n"] = state["sequence"]
                entry["t"] = time.time()
                if entry["kind"] == "Inform":
                    state["namespace"] = entry.get("namespace") or CWMP
                    state["session"] += 1
                    state["current"] = next_session()
                    state["current"]["next"] = 0
                entry["session"] = state["session"]
                session = state["current"] or {"inform": "ok", "requests": []}
                with open(options.log, "a") as log:
                    log.write(json.dumps(entry) + "\n")
                namespace = state.get("namespace", CWMP)
                if entry["kind"] == "Inform":
                    answer = session.get("inform", "ok")
                    if answer == "garbage":
                        return self.reply(200, "<this is not soap")
                    if answer == "fault":
                        return self.reply(500, envelope(entry["id"], "<soap:Fault><faultcode>Server</faultcode>"
                                                        "<faultstring>CWMP fault</faultstring><detail>"
                                                        "<cwmp:Fault><FaultCode>8005</FaultCode><FaultString>"
                                                        "Retry request</FaultString></cwmp:Fault></detail>"
                                                        "</soap:Fault>", namespace))
                    if answer.startswith("503"):
                        return self.reply(503, "", [("Retry-After", answer.split(":")[1])])
                    return self.reply(200, envelope(entry["id"], "<cwmp:InformResponse><MaxEnvelopes>1"
                                                    "</MaxEnvelopes></cwmp:InformResponse>", namespace))
                if entry["kind"] == "TransferComplete":
                    if session.get("tc") == "fault":
                        return self.reply(500, envelope(entry["id"], "<soap:Fault><faultcode>Server</faultcode>"
                                                        "<faultstring>CWMP fault</faultstring><detail>"
                                                        "<cwmp:Fault><FaultCode>8002</FaultCode><FaultString>"
                                                        "Internal error</FaultString></cwmp:Fault></detail>"
                                                        "</soap:Fault>", namespace))
                    return self.reply(200, envelope(entry["id"], "<cwmp:TransferCompleteResponse/>", namespace))
                requests = session.get("requests", [])
                if session["next"] < len(requests):
                    spec = requests[session["next"]]
                    session["next"] += 1
                    message_id = "fake-%d-%d" % (state["session"], session["next"])
                    return self.reply(200, build_request(spec, message_id).replace(CWMP, namespace))
                return self.reply(204)

    return serve(("127.0.0.1", 0), Handler, options.port_file)


if __name__ == "__main__":
    sys.exit(main())
