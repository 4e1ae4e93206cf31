#!/usr/bin/env python3
"""A Baton handler as a long-lived child process (handler.type: command), standard library only.

Baton writes one request per line on stdin:
    {"id": "...", "text": "...", "ts": 1700000000000, "attempt": 1, "deadlineMs": 1700000030000}
and reads one answer per request on stdout, in any order, matched by id:
    {"id": "...", "outcome": "ok"}
    {"id": "...", "outcome": "error", "reason": "...", "details": {...}}   the message is bad: recorded once
    {"id": "...", "outcome": "fail", "reason": "..."}                      try again later (retried, then dead-lettered)
Anything else on stdout gets this process killed and restarted, so log to stderr (it goes to the
node's log). Work runs in a thread pool: many messages are in flight at once.

The same message can be handed over more than once (a retry, a crash, a timeout): make side effects
idempotent by keying them on "id".

Settings (environment):
    HANDLER_FORBIDDEN_WORDS  comma-separated words that make a message an error (default: dragon,storm,
                             two words of Baton's random text: about 5 % of its messages)
    HANDLER_MAX_CHARS        longest text accepted (default: 200)
    HANDLER_FAIL_PERCENT     share of attempts that fail as a transient problem, 0-100 (default: 0)
    HANDLER_WORK_MS          each message takes a random 0..N ms of pretend work (default: 0)
    HANDLER_THREADS          how many messages are worked on at once (default: 16)
"""

import json
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

FORBIDDEN = [w.strip().lower() for w in os.environ.get("HANDLER_FORBIDDEN_WORDS", "dragon,storm").split(",") if w.strip()]
MAX_CHARS = int(os.environ.get("HANDLER_MAX_CHARS", "200"))
FAIL_PERCENT = float(os.environ.get("HANDLER_FAIL_PERCENT", "0"))
WORK_MS = int(os.environ.get("HANDLER_WORK_MS", "0"))
THREADS = int(os.environ.get("HANDLER_THREADS", "16"))
NODE = os.environ.get("BATON_NODE_ID", "?")

out_lock = threading.Lock()


def log(message):
    print(message, file=sys.stderr, flush=True)


def judge(request):
    """The user's work: an answer without the id."""
    text = request["text"]
    if WORK_MS > 0:
        time.sleep(random.uniform(0, WORK_MS) / 1000)
    if FAIL_PERCENT > 0 and random.uniform(0, 100) < FAIL_PERCENT:
        return {"outcome": "fail", "reason": f"downstream unavailable (simulated, attempt {request['attempt']})"}
    if len(text) > MAX_CHARS:
        return {"outcome": "error", "reason": "text too long", "details": {"length": len(text), "max": MAX_CHARS}}
    words = text.lower().split()
    for word in FORBIDDEN:
        if word in words:
            return {"outcome": "error", "reason": f"contains the forbidden word '{word}'",
                    "details": {"word": word, "position": words.index(word)}}
    return {"outcome": "ok"}


def handle(request):
    try:
        answer = judge(request)
    except Exception as e:  # a bug in judge(): let Baton retry the message
        log(f"error on {request['id']}: {e!r}")
        answer = {"outcome": "fail", "reason": f"handler raised {type(e).__name__}: {e}"}
    line = json.dumps({"id": request["id"], **answer}) + "\n"
    with out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def main():
    log(f"handler.py started on node {NODE}: {THREADS} threads, forbidden words {FORBIDDEN}, "
        f"max {MAX_CHARS} chars, failing {FAIL_PERCENT}% of attempts")
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for line in sys.stdin:
            try:
                request = json.loads(line)
            except ValueError:
                log(f"skipping a request line that is not JSON: {line[:100]!r}")
                continue
            pool.submit(handle, request)
    log("stdin closed: finishing the messages in hand, then exiting")


if __name__ == "__main__":
    main()
