#!/usr/bin/env python3
"""An OTLP/HTTP sink for the `live` bench phase: takes every POST /v1/metrics, answers 200,
counts the pushes and their bytes (printed when stopped), decodes nothing.

usage: sink.py PORT
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

pushes, received = 0, 0


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global pushes, received
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        pushes += 1
        received += len(body)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def report(*_):
    print(f"otlp sink: {pushes} pushes, {received} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
