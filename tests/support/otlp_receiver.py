#!/usr/bin/env python3
"""An OTLP/HTTP metrics receiver for the live outputs' test: decodes every push with the
OpenTelemetry project's own generated protobuf code (the `opentelemetry-proto` package),
so loadspec's hand-declared messages are checked against the published schema.

usage: otlp_receiver.py PORT OUT_JSON
Writes the last request (as protobuf's JSON mapping) and the push count to OUT_JSON.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

PORT, OUT = int(sys.argv[1]), sys.argv[2]
pushes = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global pushes
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path != "/v1/metrics" or self.headers.get("content-type") != "application/x-protobuf":
            self.send_response(400)
            self.end_headers()
            return
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        pushes += 1
        with open(OUT + ".tmp", "w") as f:
            json.dump({"pushes": pushes, "last": MessageToDict(request)}, f)
        import os
        os.replace(OUT + ".tmp", OUT)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
