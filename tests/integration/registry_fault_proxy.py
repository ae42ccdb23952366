#!/usr/bin/env python3
"""A misbehaving HTTP proxy in front of a registry, for mini's fault tests (not a test itself).

Usage: registry_fault_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT MODE
MODE: cut    - the first GET of each blob sends half the body, then closes the connection
      stall  - the first GET of each blob sends half the body, then goes silent for 60 s
      flaky  - the first request of each path answers 503 (then 429 once), then forwards
Every forwarded request is logged to stderr as "METHOD PATH RANGE".
"""
import http.client
import http.server
import sys
import threading
import time

PORT, UPSTREAM, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = set()
lock = threading.Lock()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def first_time(self, key):
        with lock:
            if key in seen:
                return False
            seen.add(key)
            return True

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        sys.stderr.write(f"{self.command} {self.path} {self.headers.get('Range', '')}\n")
        sys.stderr.flush()
        if MODE == "flaky" and self.first_time(self.path):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if MODE == "flaky" and self.first_time("429" + self.path):
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        conn = http.client.HTTPConnection(UPSTREAM, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        misbehave = (MODE in ("cut", "stall") and self.command == "GET" and "/blobs/sha256:" in self.path
                     and resp.status == 200 and len(data) > 1000 and self.first_time(self.path))
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if misbehave:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if MODE == "stall":
                time.sleep(60)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
