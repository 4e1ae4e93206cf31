#!/usr/bin/env python3
"""A hostile command handler for the chaos suite (handler.type: command), standard library only.

Every invocation is appended to CHAOS_LOG as one JSON line (node, pid, id, attempt, and what this
process answered or did), so the test can check that Baton committed exactly what the plug-in
asked for and that every invocation beyond the first carries its own attempt number.

What it does with a message, decided per (id, attempt) from a hash, so reruns agree:
    text containing "storm"            -> error, reason "storm in <id>", details {attempt}
    1 in CHAOS_HANG_EVERY first attempts  -> never answers (the deadline passes: the node kills us)
    1 in CHAOS_GARBAGE_EVERY first attempts -> writes a line that is no answer (we get killed)
    1 in CHAOS_FAIL_EVERY attempts        -> fail
    otherwise                          -> ok, after CHAOS_SLOW_MS ms of pretend work
"""

import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

LOG = os.environ["CHAOS_LOG"]
HANG = int(os.environ.get("CHAOS_HANG_EVERY", "0"))
GARBAGE = int(os.environ.get("CHAOS_GARBAGE_EVERY", "0"))
FAIL = int(os.environ.get("CHAOS_FAIL_EVERY", "0"))
SLOW_MS = int(os.environ.get("CHAOS_SLOW_MS", "0"))
NODE = os.environ.get("BATON_NODE_ID", "?")
PID = os.getpid()
out_lock = threading.Lock()


def bucket(key, every):
    if every <= 0:
        return False
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % every == 0


def record(request, did, answer=None):
    line = {"node": NODE, "pid": PID, "id": request["id"], "attempt": request["attempt"], "did": did}
    if answer is not None:
        line["answer"] = answer
    with open(LOG, "a", encoding="utf-8") as f:  # O_APPEND: one short line per write
        f.write(json.dumps(line) + "\n")


def answer(answer_line):
    with out_lock:
        sys.stdout.write(json.dumps(answer_line) + "\n")
        sys.stdout.flush()


def handle(request):
    rid, attempt = request["id"], request["attempt"]
    key = f"{rid}#{attempt}"
    if attempt == 1 and bucket("hang" + rid, HANG):
        record(request, "hang")
        return
    if attempt == 1 and bucket("garbage" + rid, GARBAGE):
        record(request, "garbage")
        with out_lock:
            sys.stdout.write("this is not an answer\n")
            sys.stdout.flush()
        return
    if bucket("fail" + key, FAIL):
        a = {"outcome": "fail", "reason": f"transient {key}"}
    elif "storm" in request["text"].split():
        a = {"outcome": "error", "reason": f"storm in {rid}", "details": {"attempt": attempt}}
    else:
        if SLOW_MS:
            time.sleep(SLOW_MS / 1000)
        a = {"outcome": "ok"}
    record(request, "answered", a)
    answer(dict(a, id=rid))


def main():
    pool = ThreadPoolExecutor(max_workers=64)
    for line in sys.stdin:
        pool.submit(handle, json.loads(line))


if __name__ == "__main__":
    main()
