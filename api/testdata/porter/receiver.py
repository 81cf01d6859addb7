# A Porter webhook receiver built around the verification code of Porter's
# docs (seed 002, "Python — Verify Webhook Signature"), kept as written
# there, in a plain http.server. It answers 200 only when the signature
# verifies (401 {"error": "Invalid signature"} otherwise, as the docs do)
# and prints one line per request: "accepted <event> <visitor name>" or
# "rejected". The first line it prints is its port.
import hmac
import hashlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify_webhook_signature(body: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(
        secret.encode(),
        body,
        hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(signature, expected)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        is_valid = verify_webhook_signature(
            body,
            self.headers.get("X-Porter-Signature") or "",
            os.environ["PORTER_WEBHOOK_SECRET"],
        )
        if not is_valid:
            self.answer(401, {"error": "Invalid signature"})
            print("rejected", flush=True)
            return
        event = json.loads(body)
        self.answer(200, {"ok": True})
        print("accepted", event["event"], event["data"]["visitor"]["name"], flush=True)

    def answer(self, status, obj):
        raw = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
