#!/usr/bin/env python3
"""Times `secrets rotate --due` over many apps against the Entra ID emulator (Benchmarks/rotate.sh).

    rotate-bench.py --secrets BIN --emulator BIN [--apps N] [--latency-ms MS]
                    [--concurrency C ...] [--runs R] [--work DIR] [--sequential-apps M]

With --sequential-apps M, the --concurrency 1 runs rotate M apps instead of N (a sequential run of
1,000 apps takes minutes), and the speed-up compares time per app.

For each concurrency C and each run it builds a fresh world, then times one command:
  1. starts `secrets-emulator` (Entra ID emulator on loopback) with MS of added latency on every
     request and no replication delay (a new secret works at once; the per-request latency is
     what the issue's target is about);
  2. `secrets init --no-passphrase`, registers a rotator app (Application.ReadWrite.OwnedBy) and N
     apps owned by it at the emulator, each with a secret that expires in 10 days (so every app
     is due), and imports the same N apps with their secrets into the vault through
     `secrets import` of an export document encrypted with `age -r` to the vault's recipient;
  3. times `secrets rotate --due --concurrency C --json` (wall clock, time.perf_counter_ns);
  4. checks the result: every app `done`, and the emulator holds exactly two secrets per app.
Prints one line per run and a summary with the median, min and max per concurrency, and the CPU
time `secrets` (with `secrets-rotate`, which it execs) and the emulator used per app: on a small
machine both share the same cores, so a concurrent run is bounded by their sum.
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import sys
import time
import urllib.request

TENANT = "contoso.onmicrosoft.com"


def post(base, path, body, raw=False):
    data = body.encode() if raw else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method="POST",
                                     headers={"Content-Type": "text/plain" if raw else "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as response:
        return json.loads(response.read())


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def process_cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc (Linux)."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_world(args, work, apps):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    vault = os.path.join(work, "vault.sqlite")
    if args.postgresql:
        # A fresh schema on the server for each world (libpq's options set the search path).
        schema = "bench_%d_%d" % (os.getpid(), time.monotonic_ns())
        subprocess.run(["psql", "-q", args.postgresql, "-c", "CREATE SCHEMA %s" % schema], check=True)
        vault = args.postgresql + ("&" if "?" in args.postgresql else "?") + "options=-csearch_path%3D" + schema
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8",
           "SECRETS_VAULT": vault, "SECRETS_IDENTITY": os.path.join(work, "identity.txt")}
    emulator = subprocess.Popen([args.emulator, "--entra-only"], stdout=subprocess.PIPE, text=True)
    line = emulator.stdout.readline().split()
    if len(line) != 2 or line[0] != "entra":
        raise SystemExit("rotate-bench: unexpected emulator output %r" % line)
    base = line[1].rstrip("/")
    env["SECRETS_ENTRA_LOGIN_ENDPOINT"] = base
    env["SECRETS_GRAPH_ENDPOINT"] = base
    post(base, "/_emulator/config", {"latencyMs": 0, "replicationDelayMs": 0})

    def secrets(*argv, stdin=""):
        result = subprocess.run([args.secrets, *argv], input=stdin, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit("rotate-bench: secrets %s failed (%d): %s" % (" ".join(argv), result.returncode, result.stderr))
        return result.stdout

    created = secrets("init", "--no-passphrase")
    recipient = next(word for word in created.split() if word.startswith("age1"))
    now = int(time.time())
    # The shared test world (TestSupport/Emulators/World): the rotator and the apps it owns, due in
    # 10 days. Its vault commands would run 2 processes per app, so the same facts go into the
    # vault through one import instead.
    world = post(base, "/_emulator/world", {"apps": [{"label": "bench-%05d" % index, "displayName": "bench %d" % index,
                                                       "expiresInDays": 10} for index in range(apps)]})
    rotator = world["rotator"]
    def app_entry(label, app_id, issuer, rotator_label, key_id, value, expires):
        return {"label": label, "appId": app_id, "tenant": TENANT, "cloud": "global", "issuer": issuer,
                "rotator": rotator_label, "consumers": [], "lifetimeSeconds": 180 * 86400,
                "rotateBeforeSeconds": 30 * 86400, "overlapSeconds": 7 * 86400, "tags": [], "notes": "",
                "credentials": [{"keyId": key_id, "hint": value[:3], "created": iso(now), "validFrom": iso(now),
                                 "expires": iso(expires), "state": "current", "displayName": None,
                                 "retireAfter": None, "value": value}]}

    document = {"format": "secrets-export", "version": 1, "exportedAt": iso(now), "vaultID": "00" * 16,
                "apps": [app_entry("rotator", rotator["appId"], "manual", None, rotator["keyId"], rotator["secret"], now + 300 * 86400)]
                + [app_entry(app["label"], app["appId"], "entra-id", "rotator", app["keyId"], app["secret"], now + 10 * 86400)
                   for app in world["apps"]]}
    encrypted = os.path.join(work, "world.age")
    subprocess.run([args.age, "-r", recipient, "-o", encrypted], input=json.dumps(document).encode(), check=True)
    # A hand-written document: not this vault's, and its apps name a rotator.
    secrets("import", encrypted, "--from-other-vault", "--allow-actions")
    post(base, "/_emulator/config", {"latencyMs": args.latency_ms})
    envs = [env]
    for host in range(1, args.hosts):
        # Another host: its own home and identity file, a second admin of the same vault.
        home = os.path.join(work, "host-%d" % host)
        os.makedirs(home, mode=0o700)
        identity = os.path.join(home, "identity.txt")
        subprocess.run(["age-keygen", "-o", identity], check=True, capture_output=True)
        public = subprocess.run(["age-keygen", "-y", identity], check=True, capture_output=True, text=True).stdout.strip()
        secrets("recipients", "add", public, "--role", "admin", "--name", "host %d" % host)
        envs.append(dict(env, HOME=home, SECRETS_IDENTITY=identity))
    return emulator, base, envs, [app["appId"] for app in world["apps"]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--age", default=shutil.which("age"))
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 1])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work", "rotate"))
    parser.add_argument("--sequential-apps", type=int, default=0)
    parser.add_argument("--postgresql", help="a postgresql:// URL: each world's vault goes into a fresh schema there")
    parser.add_argument("--hosts", type=int, default=1, help="processes with their own identities running rotate --due --wait at once")
    args = parser.parse_args()
    total_apps = args.apps

    figures = {}
    cpu = {}
    apps_at = {}
    for concurrency in args.concurrency:
        args.apps = args.sequential_apps if concurrency == 1 and args.sequential_apps else total_apps
        apps_at[concurrency] = args.apps
        for run in range(args.runs):
            emulator, base, envs, app_ids = build_world(args, args.work, args.apps)
            try:
                emulator_cpu = process_cpu_seconds(emulator.pid)
                secrets_cpu = children_cpu_seconds()
                start = time.perf_counter_ns()
                # Every host at once; the time is until the last one exits.
                command = [args.secrets, "rotate", "--due", "--concurrency", str(concurrency), "--json", "--wait", "600"]
                # Output to files, not pipes: a host blocked on a full pipe would hold the lock.
                outputs = [(tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")) for _ in envs]
                processes = [subprocess.Popen(command, env=host_env, stdout=out, stderr=err)
                             for host_env, (out, err) in zip(envs, outputs)]
                for process in processes:
                    process.wait()
                results = []
                for process, (out, err) in zip(processes, outputs):
                    out.seek(0)
                    err.seek(0)
                    results.append((process.returncode, out.read(), err.read()))
                elapsed = (time.perf_counter_ns() - start) / 1e9
                secrets_cpu = children_cpu_seconds() - secrets_cpu
                emulator_cpu = process_cpu_seconds(emulator.pid) - emulator_cpu
                statuses = []
                for code, out, err in results:
                    if code != 0:
                        raise SystemExit("rotate-bench: rotate exited %d: %s" % (code, err[-2000:]))
                    statuses += [app["status"] for app in json.loads(out)["apps"]] if out.strip() else []
                done = statuses.count("done")
                requests = get(base, "/_emulator/requests")["value"]
                # One host: a sample of apps; several: every app, since two could rotate one twice.
                sample = app_ids if args.hosts > 1 else random.sample(app_ids, min(20, len(app_ids)))
                counts = {len(get(base, "/_emulator/applications/%s/secrets" % app_id)["value"]) for app_id in sample}
                ok = done == args.apps and counts == {2}
                print("concurrency %3d run %d: %7.2f s  %d/%d apps done, %d HTTP requests, 2 secrets per app: %s; "
                      "CPU per app: secrets %.1f ms, emulator %.1f ms"
                      % (concurrency, run + 1, elapsed, done, args.apps, len(requests), "yes" if counts == {2} else counts,
                         1e3 * secrets_cpu / args.apps, 1e3 * emulator_cpu / args.apps),
                      flush=True)
                if not ok:
                    raise SystemExit("rotate-bench: the run did not rotate every app once")
                figures.setdefault(concurrency, []).append(elapsed)
                cpu.setdefault(concurrency, []).append((secrets_cpu / args.apps, emulator_cpu / args.apps))
            finally:
                emulator.terminate()
                emulator.wait()
    print()
    print("%d ms added latency per request, median (min-max) over %d run(s):" % (args.latency_ms, args.runs))
    per_app = {}
    for concurrency, times in figures.items():
        apps = apps_at[concurrency]
        per_app[concurrency] = statistics.median(times) / apps
        print("  --concurrency %-3d %5d apps %7.2f s (%.2f-%.2f), %.1f ms per app; CPU per app: secrets %.1f ms, emulator %.1f ms"
              % (concurrency, apps, statistics.median(times), min(times), max(times), 1e3 * per_app[concurrency],
                 1e3 * statistics.median(c[0] for c in cpu[concurrency]), 1e3 * statistics.median(c[1] for c in cpu[concurrency])))
    if len(figures) >= 2:
        fastest, slowest = min(per_app.values()), max(per_app.values())
        print("  speed-up (time per app): %.1fx" % (slowest / fastest))


if __name__ == "__main__":
    main()
