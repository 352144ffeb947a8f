#!/usr/bin/env python3
"""Helper for Benchmarks/vault.sh (not meant to be run on its own).

  vault-bench.py generate --apps N [--seed S] [--now EPOCH]
      Writes a `secrets export` JSON document (format secrets-export, version 1) with N apps of
      3 credentials each to stdout: created 1-300 days ago, the newest one `current` and the
      others `previous`, each expiring at a time uniform over the next 400 days (so ~7.5% fall
      within 30 days).
      The values are random stand-ins for Entra ID client secrets (40 characters).

  vault-bench.py time [--stdin FILE] [--stdout FILE] [--stderr FILE] [--ok CODES] -- COMMAND...
      Runs COMMAND once and prints its wall-clock time in nanoseconds, measured with
      time.perf_counter_ns (monotonic) around spawn and wait. COMMAND's stdout goes to FILE
      (default /dev/null). Exits 1 if COMMAND's exit code is not in CODES (default 0).

  vault-bench.py count-expiring FILE
      Prints how many credentials the `secrets expiring --json` report in FILE lists.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid

DAY = 86_400
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
TENANTS = [
    "contoso.onmicrosoft.com",
    "fabrikam.onmicrosoft.com",
    "northwind.onmicrosoft.com",
    "8c6f2a4e-3b1d-4e7a-9f05-2d6c8b1e4a73",
]


def iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def secret_value(rng: random.Random) -> str:
    # Entra ID secrets are 40 characters: a 3-character prefix, a digit, "Q~", then 34 more.
    body = "".join(rng.choices(ALPHABET, k=37))
    return body[:3] + "8Q~" + body[3:]


def generate(apps: int, seed: int, now: int, out) -> None:
    rng = random.Random(seed)
    horizon = 400 * DAY
    out.write('{"format":"secrets-export","version":1,"exportedAt":"%s","vaultID":"%s","apps":[' % (
        iso(now), rng.getrandbits(128).to_bytes(16, "big").hex()))
    for index in range(apps):
        # Created 1-300 days ago, oldest first; the newest is the app's current credential.
        created_dates = sorted(now - DAY - rng.randrange(299 * DAY) for _ in range(3))
        credentials = []
        for slot, created in enumerate(created_dates):
            value = secret_value(rng)
            expires = now + 1 + rng.randrange(horizon)          # uniform over (now, now + 400 days]
            credentials.append({
                "keyId": guid(rng),
                "hint": value[:3],
                "created": iso(created),
                "validFrom": iso(created),
                "expires": iso(expires),
                "state": "current" if slot == 2 else "previous",
                "displayName": None,
                "retireAfter": None,
                "value": value,
            })
        app = {
            "label": "bench-app-%06d" % (index + 1),
            "appId": guid(rng),
            "tenant": TENANTS[index % len(TENANTS)],
            "cloud": "global",
            "issuer": "entra-id",
            "consumers": [],
            "lifetimeSeconds": 180 * DAY,
            "rotateBeforeSeconds": 30 * DAY,
            "overlapSeconds": 7 * DAY,
            "tags": [],
            "notes": "",
            "credentials": credentials,
        }
        if index:
            out.write(",")
        out.write(json.dumps(app, separators=(",", ":")))
    out.write("]}\n")


def run_timed(args) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("vault-bench.py time: no command", file=sys.stderr)
        return 2
    ok = {int(code) for code in args.ok.split(",")}
    with open(args.stdin or os.devnull, "rb") as stdin, \
            open(args.stdout, "wb") as stdout, \
            open(args.stderr, "wb") if args.stderr else open(os.devnull, "wb") as stderr:
        start = time.perf_counter_ns()
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=stderr, close_fds=True)
        code = process.wait()
        end = time.perf_counter_ns()
    print(end - start)
    if code not in ok:
        print("vault-bench.py time: %s exited with %d (accepted: %s)" % (command[0], code, args.ok), file=sys.stderr)
        return 1
    return 0


def count_expiring(path: str) -> int:
    with open(path, "rb") as handle:
        report = json.load(handle)
    print(len(report["credentials"]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="action", required=True)

    gen = commands.add_parser("generate")
    gen.add_argument("--apps", type=int, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--now", type=int, default=None)

    timed = commands.add_parser("time")
    timed.add_argument("--stdin")
    timed.add_argument("--stdout", default=os.devnull)
    timed.add_argument("--stderr")
    timed.add_argument("--ok", default="0")
    timed.add_argument("command", nargs=argparse.REMAINDER)

    count = commands.add_parser("count-expiring")
    count.add_argument("file")

    args = parser.parse_args()
    if args.action == "generate":
        if args.apps < 1:
            parser.error("--apps must be positive")
        out = sys.stdout
        generate(args.apps, args.seed, args.now if args.now is not None else int(time.time()), out)
        out.flush()
        return 0
    if args.action == "time":
        return run_timed(args)
    return count_expiring(args.file)


if __name__ == "__main__":
    sys.exit(main())
