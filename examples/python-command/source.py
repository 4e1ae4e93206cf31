#!/usr/bin/env python3
"""A Baton message source as a long-lived child process (generator.source: command), standard library only.

Only the node that holds the generator lease runs it, once per tick. Baton writes one line per tick:
    {"tick": "<epoch>:<seq>", "deadlineMs": 1700000005000}
and reads one answer line back:
    {"tick": "<epoch>:<seq>", "messages": ["...", "..."]}      (an empty list publishes nothing)
A tick whose publish failed is asked again with the same key: answer it the same way (this source
derives everything from the key, so it does). Log to stderr; stdout is for answers only.

What it makes: a cluster-wide scheduler. Each tick yields one job per line of SOURCE_JOBS_FILE
("<line> @<tick>"), so every line is run once per tick by one handler somewhere in the cluster;
without a file, SOURCE_BATCH numbered work items per tick (default: 3).
"""

import json
import os
import sys

JOBS_FILE = os.environ.get("SOURCE_JOBS_FILE", "")
BATCH = int(os.environ.get("SOURCE_BATCH", "3"))


def log(message):
    print(message, file=sys.stderr, flush=True)


def jobs():
    with open(JOBS_FILE, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def messages(tick):
    if JOBS_FILE:
        return [f"{job} @{tick}" for job in jobs()]
    return [f"work item {tick}/{i}" for i in range(1, BATCH + 1)]


def main():
    log(f"source.py started: {'jobs from ' + JOBS_FILE if JOBS_FILE else f'{BATCH} work items'} per tick")
    for line in sys.stdin:
        tick = json.loads(line)["tick"]
        try:
            answer = {"tick": tick, "messages": messages(tick)}
        except OSError as e:  # no answer: the tick times out and is skipped, the next one tries again
            log(f"tick {tick}: cannot read {JOBS_FILE}: {e}")
            continue
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
