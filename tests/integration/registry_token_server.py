#!/usr/bin/env python3
"""A tiny Bearer token server for docker-registry's `auth: token`, for mini's tests (not a test).

Usage: registry_token_server.py PORT KEY.pem CERT.pem ISSUER SERVICE USER:PASSWORD
Grants what the scopes ask to USER (Basic auth); anonymous callers get nothing (so the
registry refuses them); a wrong password gets 401. Tokens are RS256 JWTs signed with KEY (by the
openssl command line; the standard library has no RSA) carrying CERT in x5c. Every request is
logged to stderr as "token SCOPES ACCOUNT".
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, SERVICE, CRED = sys.argv[1:7]
der = subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"], capture_output=True, check=True).stdout


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    data = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data, capture_output=True, check=True).stdout
    return data.decode() + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scopes = q.get("scope", [])
        auth = self.headers.get("Authorization", "")
        user = ""
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != CRED:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                sys.stderr.write(f"token {' '.join(scopes)} REFUSED\n")
                sys.stderr.flush()
                return
            user = CRED.split(":")[0]
        sys.stderr.write(f"token {' '.join(scopes)} {user or '-'}\n")
        sys.stderr.flush()
        access = []
        if user:
            for s in scopes:
                parts = s.split(":")
                if len(parts) == 3:
                    access.append({"type": parts[0], "name": parts[1], "actions": parts[2].split(",")})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": b64url(os.urandom(12)), "access": access}
        body = json.dumps({"token": sign(claims), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
