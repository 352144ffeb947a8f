#!/usr/bin/env python3
"""Times `secrets sync` of a whole tenant against the Entra ID emulator (Benchmarks/sync.sh).

    sync-bench.py --secrets BIN --emulator BIN [--apps N] [--latency-ms MS] [--changes C] [--work DIR]

One run:
  1. starts `secrets-emulator --entra-only` and seeds the shared test world with a rotator that
     may read the tenant (Application.Read.All), then N more applications at once
     (`POST /_emulator/tenant`): 2 secrets and 1 certificate each, ends spread over 1-400 days;
  2. `secrets init --no-passphrase` and the world's vault commands (the scanner and its secret);
  3. sets MS of added latency on every request, then times the first `secrets sync rotator`
     (a full read): wall clock, CPU (user + system, secrets-rotate included: it is the same
     process after exec), peak RSS (ru_maxrss of that child), requests the emulator served;
  4. makes C changes in the tenant (a third new secrets, a third removed credentials, a third
     moved end dates, on distinct random apps) and times the incremental sync the same way;
  5. times `secrets expiring --days 30 --json` and `age -d` of an export of the synced vault,
     interleaved, --rounds each (41; medians), both writing to /dev/null as in vault.sh: the
     vault target is expiring within 2x of age -d (expiring read through a pipe is printed too);
  6. (no target) gives 1% of the applications an owner and 5 of them 25 owners, adds N/10
     enterprise apps with a SAML token-signing certificate, and times
     `secrets sync rotator --service-principals --owners`: a full read of both.
Checks that the first sync registered N apps and 3N credentials and the second saw the C changes.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import time
import urllib.request


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        text = response.read()
        return json.loads(text) if text else None


def measured(argv, env):
    """Runs argv under /usr/bin/time; returns (wall s, cpu s, peak RSS KiB, stdout)."""
    time_file = os.path.join(env["HOME"], "time.txt")
    start = time.perf_counter_ns()
    result = subprocess.run(["/usr/bin/time", "-o", time_file, "-f", "%U %S %M", *argv], env=env, capture_output=True)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    if result.returncode != 0:
        raise SystemExit("sync-bench: %s exited %d: %s" % (" ".join(argv[:3]), result.returncode, result.stderr.decode()[-2000:]))
    user, system, rss = open(time_file).read().split()[-3:]
    return elapsed, float(user) + float(system), int(rss), result.stdout


def process_cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc (Linux)."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_served(base):
    value = call(base, "GET", "/_emulator/requests")["value"]
    call(base, "DELETE", "/_emulator/requests")
    return len(value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--age", default=shutil.which("age"))
    parser.add_argument("--apps", type=int, default=10000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=41, help="expiring and age -d runs, taking turns (medians)")
    parser.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work", "sync"))
    args = parser.parse_args()

    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work, mode=0o700)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work, "LANG": "C.UTF-8",
           "SECRETS_VAULT": os.path.join(work, "vault.sqlite"), "SECRETS_IDENTITY": os.path.join(work, "identity.txt")}
    emulator = subprocess.Popen([args.emulator, "--entra-only"], stdout=subprocess.PIPE, text=True)
    try:
        line = emulator.stdout.readline().split()
        if len(line) != 2 or line[0] != "entra":
            raise SystemExit("sync-bench: unexpected emulator output %r" % line)
        base = line[1].rstrip("/")
        env["SECRETS_ENTRA_LOGIN_ENDPOINT"] = base
        env["SECRETS_GRAPH_ENDPOINT"] = base
        call(base, "POST", "/_emulator/config", {"latencyMs": 0, "replicationDelayMs": 0})

        def secrets(*argv, stdin=""):
            result = subprocess.run([args.secrets, *argv], input=stdin, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit("sync-bench: secrets %s failed (%d): %s" % (" ".join(argv), result.returncode, result.stderr))
            return result.stdout

        created = secrets("init", "--no-passphrase")
        recipient = next(word for word in created.split() if word.startswith("age1"))
        world = call(base, "POST", "/_emulator/world", {"rotatorRoles": ["Application.ReadWrite.OwnedBy", "Application.Read.All"]})
        for command in world["vaultCommands"]:
            secrets(*command["arguments"], stdin=command.get("standardInput") or "")
        seeded = time.perf_counter()
        app_ids = call(base, "POST", "/_emulator/tenant", {"count": args.apps, "prefix": "bench", "secrets": 2, "certificates": 1})["appIds"]
        print("seeded %d applications in %.1f s" % (len(app_ids), time.perf_counter() - seeded), flush=True)
        call(base, "POST", "/_emulator/config", {"latencyMs": args.latency_ms})
        requests_served(base)

        emulator_cpu = process_cpu_seconds(emulator.pid)
        full_s, full_cpu, full_rss, out = measured([args.secrets, "sync", "rotator", "--json"], env)
        full_emulator = process_cpu_seconds(emulator.pid) - emulator_cpu
        full = json.loads(out)["summary"]
        full_requests = requests_served(base)
        if full["appsAdded"] != args.apps or full["credentialsAdded"] != 3 * args.apps:
            raise SystemExit("sync-bench: the full sync registered %s" % full)
        print("full sync:        %6.2f s, %d requests (%d pages), CPU %.2f s (%.3f ms per app; the emulator %.2f s), peak RSS %.1f MiB"
              % (full_s, full_requests, full["pages"], full_cpu, 1e3 * full_cpu / args.apps, full_emulator, full_rss / 1024), flush=True)

        # C changes on distinct apps, through the control API (latency off while making them).
        call(base, "POST", "/_emulator/config", {"latencyMs": 0})
        rng = random.Random(15)
        targets = rng.sample(app_ids, args.changes)
        for index, app_id in enumerate(targets):
            kind = index % 3
            if kind == 0:
                call(base, "POST", "/_emulator/applications/%s/secrets" % app_id, {"endDateTime": "2027-06-01T00:00:00Z"})
            else:
                key = call(base, "GET", "/_emulator/applications/%s/secrets" % app_id)["value"][0]["keyId"]
                if kind == 1:
                    call(base, "DELETE", "/_emulator/applications/%s/credentials/%s" % (app_id, key))
                else:
                    call(base, "PATCH", "/_emulator/applications/%s/credentials/%s" % (app_id, key), {"endDateTime": "2028-01-01T00:00:00Z"})
        call(base, "POST", "/_emulator/config", {"latencyMs": args.latency_ms})
        requests_served(base)
        emulator_cpu = process_cpu_seconds(emulator.pid)
        inc_s, inc_cpu, inc_rss, out = measured([args.secrets, "sync", "rotator", "--json"], env)
        inc_emulator = process_cpu_seconds(emulator.pid) - emulator_cpu
        inc = json.loads(out)["summary"]
        inc_requests = requests_served(base)
        seen = inc["credentialsAdded"] + inc["credentialsRemoved"] + inc["credentialsChanged"]
        if inc["fullRound"] or seen != args.changes:
            raise SystemExit("sync-bench: the incremental sync saw %s" % inc)
        print("incremental sync: %6.2f s, %d requests (%d pages, %d applications), CPU %.2f s (the emulator %.2f s), peak RSS %.1f MiB"
              % (inc_s, inc_requests, inc["pages"], inc["applicationsSeen"], inc_cpu, inc_emulator, inc_rss / 1024), flush=True)

        export = os.path.join(work, "export.age")
        key = os.path.join(work, "export-key.txt")
        subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
        export_recipient = next(line.split(": ")[1].strip() for line in open(key) if line.startswith("# public key: "))
        secrets("export", "--recipient", export_recipient, "-o", export)
        # Interleaved, so that the machine's drift (this VM's figures move by a third between
        # runs) weighs on both sides alike. Both write to /dev/null, as in vault.sh: age -d's
        # 15 MB and expiring's report alike. Read through a pipe instead, the report costs the
        # reader's copies too, so that figure is printed beside it (no target).
        expiring, piped, decrypts = [], [], []
        for _ in range(args.rounds):
            start = time.perf_counter_ns()
            result = subprocess.run([args.secrets, "expiring", "--days", "30", "--json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            expiring.append((time.perf_counter_ns() - start) / 1e9)
            if result.returncode not in (0, 1, 2):
                raise SystemExit("sync-bench: expiring exited %d: %s" % (result.returncode, result.stderr.decode(errors="replace")))
            start = time.perf_counter_ns()
            subprocess.run([args.age, "-d", "-i", key, "-o", "/dev/null", export], check=True)
            decrypts.append((time.perf_counter_ns() - start) / 1e9)
            start = time.perf_counter_ns()
            result = subprocess.run([args.secrets, "expiring", "--days", "30", "--json"], env=env, capture_output=True)
            piped.append((time.perf_counter_ns() - start) / 1e9)
        listed = len(json.loads(result.stdout)["credentials"])
        ratio = statistics.median(expiring) / statistics.median(decrypts)
        print("expiring --days 30: %.4f s median of %d (lists %d of %d credentials); age -d of the export %.4f s, interleaved; %.2fx"
              % (statistics.median(expiring), args.rounds, listed, 3 * args.apps + 1, statistics.median(decrypts), ratio))
        print("  (its report read through a pipe instead of written to /dev/null: %.4f s, %.2fx)"
              % (statistics.median(piped), statistics.median(piped) / statistics.median(decrypts)))

        call(base, "POST", "/_emulator/config", {"latencyMs": 0})
        for index, app_id in enumerate(app_ids[:args.apps // 100]):
            call(base, "POST", "/_emulator/applications/%s/owners" % app_id, {"userPrincipalName": "owner%d@contoso.com" % index})
        for app_id in app_ids[args.apps // 100:args.apps // 100 + 5]:
            for index in range(25):
                call(base, "POST", "/_emulator/applications/%s/owners" % app_id, {"userPrincipalName": "team%d@contoso.com" % index})
        principals = args.apps // 10
        for index in range(principals):
            principal = call(base, "POST", "/_emulator/servicePrincipals", {"appId": "%08x-0000-4000-8000-%012x" % (index, index), "displayName": "saml %d" % index})
            call(base, "POST", "/_emulator/servicePrincipals/%s/tokenSigningCertificate" % principal["id"], {"endDateTime": "2028-01-01T00:00:00Z"})
        call(base, "POST", "/_emulator/config", {"latencyMs": args.latency_ms})
        requests_served(base)
        more_s, more_cpu, more_rss, out = measured([args.secrets, "sync", "rotator", "--service-principals", "--owners", "--json"], env)
        more = json.loads(out)["summary"]
        more_requests = requests_served(base)
        if more["servicePrincipalsSeen"] != principals or more["appsAdded"] != principals or more["ownersChanged"] < args.apps:
            raise SystemExit("sync-bench: the sync with --service-principals --owners did %s" % more)
        # The first read of owners records them on every app (an empty list is an answer too).
        print("with --service-principals --owners (%d enterprise apps; owners of %d apps recorded): %.2f s, %d requests (%d service-principal pages, %d for owners), CPU %.2f s, peak RSS %.1f MiB"
              % (principals, more["ownersChanged"], more_s, more_requests, more["servicePrincipalPages"], more["ownerRequests"], more_cpu, more_rss / 1024), flush=True)

        print()
        print("targets (%d apps, %d credentials, %d ms latency per request):" % (args.apps, 3 * args.apps, args.latency_ms))
        print("  first full sync within 15 s: %s (%.2f s)" % ("MET" if full_s <= 15 else "MISSED", full_s))
        print("  incremental sync after %d changes within 2 s: %s (%.2f s)" % (args.changes, "MET" if inc_s <= 2 else "MISSED", inc_s))
        print("  expiring within 2x of age -d afterwards: %s (%.2fx)" % ("MET" if ratio <= 2 else "MISSED", ratio))
        print("  peak RSS under 150 MB during the sync: %s (%.1f MB full, %.1f MB incremental)"
              % ("MET" if max(full_rss, inc_rss) * 1024 < 150e6 else "MISSED", full_rss * 1024 / 1e6, inc_rss * 1024 / 1e6))
    finally:
        emulator.terminate()
        emulator.wait()


if __name__ == "__main__":
    main()
