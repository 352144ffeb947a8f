#!/usr/bin/env python3
"""Concurrency harness: `rotate` racing the commands that rewrite keys, apps and credentials.

    Scripts/concurrency-harness.py (--short | --long | --races N) [--bin DIR] [--seed S] [--keep]

Builds the package and drives `.build/debug/secrets` and `secrets-emulator` (or those in --bin DIR,
as they are). One vault per kind of race holds a rotator, `entra-app` (Entra ID, no consumers),
`spare` (Entra ID, removed and added again by the `app remove` race) and `jamf-api` (a Jamf Pro
API client: regenerating kills its old secret, so its new one exists only in the rotating process
until it is stored). Both emulators answer every request after a delay, so a rotation takes a
few seconds.

Each race starts `rotate entra-app spare jamf-api --force` and, after a random delay between 0
and 3 s (before the rotation took its lock, during Jamf Pro's regeneration, during Entra ID's
addPassword, after it finished), one of: `rekey`, `recipients remove --rekey` (a second admin
added first), `recipients remove`, `app remove spare`, `app edit --notes`, `import --from-azure`.
N races of each kind (--short: 2; --long: 200).

After every race:
  1. no output of either command says the vault is damaged or tampered, or shows a raw SQLite
     error; the racer exits 0 (it waits for the rotation's lock) and `rotate` exits 0, or 66 when
     `app remove spare` came before it read the vault, or 75
     when the racer held the lock first (then the next race rotates);
  2. no issued secret is lost: the vault's current `jamf-api` secret is the one Jamf Pro holds
     now, and the current `entra-app` (and `spare`, unless removed) secret is accepted by Entra ID;
  3. after `rotate --due` (which resumes anything unfinished), no orphan: Entra ID holds exactly
     the vault's live (non-retired) secrets of each app;
  4. `verify` exits 0.
The counts are printed at the end; any violation is printed with its detail and the exit status is 1.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harnesslib as h  # noqa: E402

RACERS = ("rekey", "recipients-remove-rekey", "recipients-remove", "app-remove", "app-edit", "import")
LATENCY = 0.6   # seconds each emulator answer takes during a race
MAX_DELAY = 3.0


class Race:
    """One vault, emulators and the racer's kind."""

    def __init__(self, harness, kind):
        self.harness, self.kind = harness, kind
        self.work = h.new_workdir("concurrency-%s-" % kind, harness.args.keep)
        self.emulators = h.Emulators(harness.binaries, os.path.join(self.work, "emulator.log"))
        self.vault = h.Vault(harness.binaries, self.emulators, self.work, http_timeout=30)
        self.apps = {}

    def close(self):
        self.emulators.stop()
        h.remove_workdir(self.work, self.harness.args.keep)

    def entra_app(self, label):
        """Adds an Entra ID app the rotator owns (due in 12 days, no consumers) to the world and the vault."""
        added = self.emulators.entra.post("/_emulator/world/apps", {"rotatorAppId": self.rotator_id, "apps": [{"label": label}]})
        for command in added["vaultCommands"]:
            self.vault.must(*command["arguments"], stdin=command.get("standardInput") or "")
        self.apps[label] = added["apps"][0]["appId"]

    def set_up(self):
        # The shared test world (Scripts/harnesslib.py, seed_world): a rotator, the Jamf Pro API
        # client, and two Entra ID apps the rotator owns, due in 12 days, with no consumers.
        world = h.seed_world(self.vault, self.emulators, [{"label": "entra-app"}, {"label": "spare"}], replication_delay_ms=0)
        self.rotator_id = world["rotator"]["appId"]
        self.apps = {app["label"]: app["appId"] for app in world["apps"]}
        self.second_admin_file = os.path.join(self.work, "second-admin.txt")
        subprocess.run(["age-keygen", "-o", self.second_admin_file], check=True, capture_output=True)
        self.second_admin = subprocess.run(["age-keygen", "-y", self.second_admin_file], check=True, capture_output=True,
                                           text=True).stdout.strip()

    def slow(self, seconds):
        self.emulators.entra.post("/_emulator/config", {"latencyMs": int(seconds * 1000)})
        status, body = self.emulators.jamf.request("PUT", "/_emulator/config", {"latency": seconds})
        if status not in (200, 204):
            raise RuntimeError("jamf config answered %d: %s" % (status, body))

    def racer_argv(self):
        if self.kind == "rekey":
            return ["rekey"]
        if self.kind in ("recipients-remove-rekey", "recipients-remove"):
            self.vault.must("recipients", "add", self.second_admin, "--role", "admin")
            return ["recipients", "remove", self.second_admin] + (["--rekey"] if self.kind.endswith("rekey") else [])
        if self.kind == "app-remove":
            if "spare" not in self.apps:
                self.entra_app("spare")
            return ["app", "remove", "spare", "--yes"]
        if self.kind == "app-edit":
            return ["app", "edit", "jamf-api", "--notes", "race %d" % self.harness.random.randrange(10**6)]
        path = os.path.join(self.work, "azure-%d.json" % self.harness.random.randrange(10**9))
        with open(path, "w") as handle:
            # A secret that lasts for years: the next `rotate --due` leaves the app alone.
            json.dump([{"appId": h.guid(), "displayName": "imported-%d" % self.harness.random.randrange(10**9), "passwordCredentials": [
                {"keyId": h.guid(), "hint": "Zq1", "displayName": "portal", "endDateTime": "2036-01-01T00:00:00Z",
                 "startDateTime": "2026-01-01T00:00:00Z", "secretText": None}]}], handle)
        return ["import", "--from-azure", path, "--tenant", h.TENANT]

    def one(self, index):
        argv = self.racer_argv()
        rotated = ["entra-app", "jamf-api"] + (["spare"] if "spare" in self.apps else [])
        delay = self.harness.random.uniform(0, MAX_DELAY)
        self.slow(LATENCY)
        results = {}
        rotation = threading.Thread(target=lambda: results.__setitem__("rotate", self.vault.run("rotate", *rotated, "--force")))
        rotation.start()
        time.sleep(delay)
        results["racer"] = self.vault.run(*argv)
        rotation.join()
        self.slow(0)
        rotate, racer = results["rotate"], results["racer"]
        where = "race %s #%d (racer after %.2f s)" % (self.kind, index, delay)
        problems = []
        for result in (rotate, racer):
            text = result.stdout + result.stderr
            if "tampered" in text or "SQLite" in text or "Fatal error" in text:
                problems.append("false or raw error: %s" % result)
        if racer.returncode != 0:
            problems.append("the racer failed: %s" % racer)
        # `app remove spare` done before `rotate` read the vault: `rotate` names an app that is gone (66).
        removed_first = (self.kind == "app-remove" and rotate.returncode == 66
                         and 'no app "spare" in the vault' in rotate.stderr)
        if not removed_first and (rotate.returncode not in (0, 75)
                                  or (rotate.returncode == 75 and "is working on this vault" not in rotate.stderr)):
            problems.append("rotate failed: %s" % rotate)
        self.harness.counts["rotate exited 75 (racer first)"] += rotate.returncode == 75
        self.harness.counts["rotate exited 66 (spare removed first)"] += removed_first
        if self.kind == "app-remove" and racer.returncode == 0:
            del self.apps["spare"]
        problems += self.lost()
        resumed = self.vault.run("rotate", "--due")
        if not resumed.ok:
            problems.append("the next rotate --due failed: %s" % resumed)
        problems += self.orphans()
        verified = self.vault.run("verify")
        if not verified.ok:
            problems.append("verify failed: %s" % verified)
        self.harness.counts["races"] += 1
        self.harness.counts["races by kind"][self.kind] = self.harness.counts["races by kind"].get(self.kind, 0) + 1
        for problem in problems:
            self.harness.violation("%s: %s" % (where, problem))

    def lost(self):
        problems = []
        held = self.emulators.jamf.get("/_emulator/api-clients/7")["clientSecret"]
        if self.vault.must("secret", "get", "jamf-api").stdout != held:
            problems.append("LOST: the vault's jamf-api secret is not the one Jamf Pro holds")
        for label, app_id in self.apps.items():
            accepted, why = self.emulators.accepts(app_id, self.vault.must("secret", "get", label).stdout)
            if not accepted:
                problems.append("LOST: the vault's current %s secret is refused at Entra ID (%s)" % (label, why))
        self.harness.counts["secrets checked at the issuer"] += 1 + len(self.apps)
        return problems

    def orphans(self):
        problems = []
        for label, app_id in self.apps.items():
            live = {c["keyId"] for c in h.credentials(self.vault, label) if c["state"] != "retired"}
            at_issuer = {s["keyId"]: s.get("displayName") for s in self.emulators.entra_secrets(app_id)}
            extra = set(at_issuer) - live
            if extra:
                problems.append("ORPHAN: %s: the issuer holds secrets the vault does not know: %s" % (
                    label, sorted("%s (%s)" % (k, at_issuer[k]) for k in extra)))
        self.harness.counts["orphan checks"] += 1
        return problems


class Harness:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.binaries = h.Binaries(args.bin)
        self.counts = {"races": 0, "races by kind": {}, "rotate exited 75 (racer first)": 0, "rotate exited 66 (spare removed first)": 0,
                       "secrets checked at the issuer": 0, "orphan checks": 0}
        self.violations = []

    def violation(self, text):
        self.violations.append(text)
        h.fail("VIOLATION " + text)

    def run(self):
        start = time.monotonic()
        print("concurrency harness: seed %d, %d races of each of %s" % (self.args.seed, self.args.races, ", ".join(RACERS)), flush=True)
        for kind in RACERS:
            race = Race(self, kind)
            try:
                race.set_up()
                for index in range(self.args.races):
                    race.one(index)
            finally:
                race.close()
            print("  %s: %d races done" % (kind, self.counts["races by kind"].get(kind, 0)), flush=True)
        self.counts["seconds"] = round(time.monotonic() - start, 1)
        print(json.dumps({"counts": self.counts, "violations": len(self.violations)}, indent=2, sort_keys=True))
        return 1 if self.violations else 0


if __name__ == "__main__":
    h.main(Harness, __doc__, "races", short=2, long=200)
