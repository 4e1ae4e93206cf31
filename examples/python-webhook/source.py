#!/usr/bin/env python3
"""A Baton HTTP source: hands out the lines of a file (or numbered jobs), a batch per tick.

The generator of a Baton cluster GETs this once per tick with the tick's key in webhook-id and
publishes what it answers: {"messages": [...]}, or 204 when there is nothing (yet). When Baton
could not publish a tick it asks again with the same key: the same key gets the same batch, so no
line is published twice. (A batch handed to a generator that then died is not handed out again;
a source that must never lose one keeps its position in a database and resends what was not seen
published.)

    python3 source.py [PORT] [FILE]  # PORT also from $PORT (9001; 0 picks one); no FILE: job 1, 2, …

Environment: WEBHOOK_SECRET (verify signatures, as generator.http.secret), BATCH (lines per tick,
default 10), HOST (default 127.0.0.1). Standard library only.
"""

import itertools
import json
import os
import sys
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler

from handler import log, secret_key, serve, verify_signature

REMEMBERED_TICKS = 1000


class Batches:
    """The batch each tick key was given; new keys take the next lines."""

    def __init__(self, lines, size):
        self._lines = lines
        self._size = size
        self._given = OrderedDict()
        self._lock = threading.Lock()

    def for_tick(self, key):
        with self._lock:
            if key not in self._given:
                self._given[key] = list(itertools.islice(self._lines, self._size))
                while len(self._given) > REMEMBERED_TICKS:
                    self._given.popitem(last=False)
            return self._given[key]


class SourceHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    timeout = 60

    def do_GET(self):
        config = self.server.config
        key = self.headers.get("webhook-id")
        if config["key"] is not None:
            why = verify_signature(config["key"], self.headers, b"")
            if why:
                return self.reply(401, {"error": "signature rejected: " + why}, key)
        if not key:
            return self.reply(400, {"error": "no webhook-id (the tick key)"}, key)
        batch = config["batches"].for_tick(key)
        if not batch:
            return self.reply(204, None, key)
        self.reply(200, {"messages": batch}, key)

    def reply(self, status, answer, key):
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if answer is not None:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        count = len(answer.get("messages", [])) if answer else 0
        log("tick %s %d (%d messages)" % (key or "-", status, count))

    def log_request(self, code="-", size="-"):
        pass

    def log_message(self, fmt, *args):
        log(fmt % args)


def main():
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            lines = iter([line.rstrip("\n") for line in f if line.strip()])
    else:
        lines = ("job %d" % n for n in itertools.count(1))
    secret = os.environ.get("WEBHOOK_SECRET", "")
    serve(SourceHandler, {
        "key": secret_key(secret) if secret else None,
        "batches": Batches(lines, int(os.environ.get("BATCH", "10"))),
    }, "9001")


if __name__ == "__main__":
    main()
