#!/usr/bin/env python3
"""Compares `secrets expiring --days 30 --json` of several builds with `age -d`, on one vault.

Usage: Benchmarks/expiring-compare.py [--work DIR] [--rounds N] SECRETS_BINARY...

DIR is a vault that Benchmarks/sync.sh left (default Benchmarks/.work/sync: vault.sqlite,
identity.txt, export.age and export-key.txt). Each round runs every binary and `age -d` of the
export once, in a new random order, so that neither this machine's drift nor a fixed position
favours one; the report is captured through a pipe, `age -d` writes to /dev/null. Prints each
binary's median and its ratio to `age -d`'s. For before/after figures: build each commit's
release binary (`swift build -c release --product secrets --static-swift-stdlib`), copy it out,
and pass them all.
"""
import argparse
import os
import random
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work", "sync"))
parser.add_argument("--rounds", type=int, default=41)
parser.add_argument("binaries", nargs="+")
args = parser.parse_args()

work = args.work
env = {"PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8",
       "SECRETS_VAULT": os.path.join(work, "vault.sqlite"), "SECRETS_IDENTITY": os.path.join(work, "identity.txt")}
age = ["age", "-d", "-i", os.path.join(work, "export-key.txt"), "-o", "/dev/null", os.path.join(work, "export.age")]
times = {name: [] for name in args.binaries + ["age -d"]}
for _ in range(args.rounds):
    order = list(times)
    random.shuffle(order)
    for name in order:
        argv = age if name == "age -d" else [name, "expiring", "--days", "30", "--json"]
        start = time.perf_counter_ns()
        result = subprocess.run(argv, env=env, capture_output=True)
        times[name].append((time.perf_counter_ns() - start) / 1e9)
        if result.returncode not in (0, 1, 2):
            raise SystemExit("expiring-compare: %s exited %d: %s" % (name, result.returncode, result.stderr.decode(errors="replace")))
decrypt = statistics.median(times["age -d"])
print("age -d of the export: %.4f s (median of %d)" % (decrypt, args.rounds))
for name in args.binaries:
    median = statistics.median(times[name])
    print("%s: %.4f s, %.2fx" % (name, median, median / decrypt))
