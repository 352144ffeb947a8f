#!/usr/bin/env python3
"""Times `vault copy` SQLite -> PostgreSQL once, then `expiring --days 30 --json` and
`secret add` on both backends, taking turns (see postgresql.sh)."""
import argparse
import json
import os
import statistics
import subprocess
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--sqlite", required=True)
    parser.add_argument("--postgresql", required=True)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--apps", type=int, default=10000)
    args = parser.parse_args()
    stores = {"SQLite": args.sqlite, "PostgreSQL": args.postgresql}

    def run(store, argv, stdin=None):
        env = dict(os.environ, SECRETS_VAULT=stores[store])
        start = time.perf_counter_ns()
        result = subprocess.run([args.secrets, *argv], env=env, capture_output=True, input=stdin)
        return (time.perf_counter_ns() - start) / 1e9, result

    copy_s, result = run("SQLite", ["vault", "copy", args.sqlite, args.postgresql])
    if result.returncode != 0:
        raise SystemExit("postgresql-bench: vault copy failed: %s" % result.stderr.decode())
    print("vault copy SQLite -> PostgreSQL: %.2f s (%s)" % (copy_s, result.stdout.decode().splitlines()[0]))
    listing = json.loads(run("SQLite", ["expiring", "--days", "3650", "--json"])[1].stdout)["credentials"]
    labels = sorted({item["label"] for item in listing})
    times = {(command, store): [] for command in ("expiring", "secret add") for store in stores}
    listed = {}
    for index in range(args.runs):
        for store in stores:
            elapsed, result = run(store, ["expiring", "--days", "30", "--json"])
            if result.returncode not in (0, 1, 2):
                raise SystemExit("postgresql-bench: expiring on %s exited %d" % (store, result.returncode))
            times[("expiring", store)].append(elapsed)
            listed.setdefault(store, [(item["appId"], item["keyId"]) for item in json.loads(result.stdout)["credentials"]])
        for store in stores:
            # A different app each run, the same app on both backends.
            elapsed, result = run(store, ["secret", "add", labels[index % len(labels)], "--expires", "90d"], stdin=b"bench-value-%d\n" % index)
            if result.returncode != 0:
                raise SystemExit("postgresql-bench: secret add on %s failed: %s" % (store, result.stderr.decode()))
            times[("secret add", store)].append(elapsed)
    if listed["SQLite"] != listed["PostgreSQL"]:
        raise SystemExit("postgresql-bench: the two backends list different credentials")
    print("%d apps; expiring lists %d credentials on both; %d runs each, medians:" % (args.apps, len(listed["SQLite"]), args.runs))
    ratios = {}
    for command in ("expiring", "secret add"):
        sqlite, postgresql = (statistics.median(times[(command, store)]) for store in stores)
        ratios[command] = postgresql / sqlite
        print("  %-10s SQLite %.4f s, PostgreSQL %.4f s: %.2fx" % (command, sqlite, postgresql, ratios[command]))
    print("targets:")
    print("  expiring within 2x of SQLite: %s (%.2fx)" % ("MET" if ratios["expiring"] <= 2 else "MISSED", ratios["expiring"]))
    print("  secret add within 3x of SQLite: %s (%.2fx)" % ("MET" if ratios["secret add"] <= 3 else "MISSED", ratios["secret add"]))


if __name__ == "__main__":
    main()
