#!/usr/bin/env python3
"""A Baton webhook handler: copy it and put your own work in handle().

Baton POSTs each message as JSON {"id","text","ts","attempt","deadlineMs"} with the Standard
Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). Answer 200 with
{"outcome":"ok"}, or {"outcome":"error","reason":...,"details":{...}} for a bad message (Baton
records it once as an error), or any other status for "try again later" (Baton retries with
backoff, then dead-letters).

    python3 handler.py [PORT]        # PORT also from $PORT; 9000 by default, 0 picks a free one

Environment:
    WEBHOOK_SECRET   whsec_... : verify signatures (the same value as handler.http.secret)
    FORBIDDEN_WORD   a message containing it is an error (default: forbidden)
    FAIL_PERCENT     fail this share of attempts with 503, to watch retries (default: 0)
    HOST             address to listen on (default: 127.0.0.1)

Standard library only (Python 3.8+).
"""

import base64
import hashlib
import hmac
import json
import os
import random
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60  # accept timestamps this far from our clock (replay protection)
MAX_BODY_BYTES = 1024 * 1024


def secret_key(secret):
    """The key bytes of a Standard Webhooks secret: whsec_ followed by base64."""
    b64 = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(b64 + "=" * (-len(b64) % 4))


def verify_signature(key, headers, body):
    """None when the request is signed with key as Standard Webhooks defines it, else why not."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a number"
    if abs(time.time() - sent_at) > TOLERANCE_SECONDS:
        return "webhook-timestamp too far from now"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):  # constant time
            return None
    return "no valid signature"


class Outcomes:
    """Outcomes already given, by message id, so a retried message is not worked on twice.

    In memory and bounded, which is enough for a demo. A real handler records the id in its own
    database in the same transaction as its work (a unique key on the id), so it survives restarts
    and is shared by every copy of the handler.
    """

    def __init__(self, limit=100_000):
        self._done = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, msg_id):
        with self._lock:
            return self._done.get(msg_id)

    def put(self, msg_id, outcome):
        with self._lock:
            self._done[msg_id] = outcome
            while len(self._done) > self._limit:
                self._done.popitem(last=False)


class Retry(Exception):
    """The work cannot be done now (a database down, a rate limit): Baton should try again."""


def handle(message, forbidden_word, fail_percent):
    """Your work. Return an outcome; raise Retry for a transient failure."""
    if random.uniform(0, 100) < fail_percent:
        raise Retry("simulated transient failure (FAIL_PERCENT=%g)" % fail_percent)
    text = message["text"]
    position = text.lower().find(forbidden_word.lower()) if forbidden_word else -1
    if position >= 0:
        return {
            "outcome": "error",
            "reason": "forbidden word",
            "details": {"word": forbidden_word, "position": position},
        }
    return {"outcome": "ok"}


class WebhookHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Baton reuses its connections
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    timeout = 60  # close connections idle this long
    server_version = "baton-example"

    def do_POST(self):
        started = time.monotonic()
        status, answer, msg_id, attempt = self.answer()
        self.reply(status, answer)
        log("%s attempt=%s %d %s (%.1f ms)" % (
            msg_id or "-", attempt or "-", status, answer.get("outcome") or answer.get("error"),
            (time.monotonic() - started) * 1000))

    def answer(self):
        """(status, answer, id, attempt) for this request."""
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return 413, {"error": "body too large"}, None, None
        body = self.rfile.read(length)
        config = self.server.config
        if config["key"] is not None:
            why = verify_signature(config["key"], self.headers, body)
            if why:
                return 401, {"error": "signature rejected: " + why}, self.headers.get("webhook-id"), None
        try:
            message = json.loads(body)
            msg_id, attempt = message["id"], message["attempt"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "not an invocation"}, None, None
        done = config["outcomes"].get(msg_id)
        if done is not None:
            return 200, done, msg_id, attempt  # a retry of work already done: same answer
        try:
            outcome = handle(message, config["forbidden_word"], config["fail_percent"])
        except Retry as e:
            return 503, {"outcome": "fail", "reason": str(e)}, msg_id, attempt
        config["outcomes"].put(msg_id, outcome)
        return 200, outcome, msg_id, attempt

    def reply(self, status, answer):
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        pass  # do_POST logs one line per request, with what was decided

    def log_message(self, fmt, *args):
        log(fmt % args)


def log(line):
    print(time.strftime("%H:%M:%S ") + line, file=sys.stderr, flush=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when Baton opens its pool at once


def serve(handler_class, config, default_port):
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", default_port))
    host = os.environ.get("HOST", "127.0.0.1")
    server = Server((host, port), handler_class)
    server.config = config
    log("listening on http://%s:%d/" % (host, server.server_address[1]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main():
    secret = os.environ.get("WEBHOOK_SECRET", "")
    serve(WebhookHandler, {
        "key": secret_key(secret) if secret else None,
        "forbidden_word": os.environ.get("FORBIDDEN_WORD", "forbidden"),
        "fail_percent": float(os.environ.get("FAIL_PERCENT", "0")),
        "outcomes": Outcomes(),
    }, "9000")


if __name__ == "__main__":
    main()
