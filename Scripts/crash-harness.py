#!/usr/bin/env python3
"""Crash harness: SIGKILL `secrets` at random points of a stream of writes and rotations.

    Scripts/crash-harness.py (--short | --long | --kills N) [--bin DIR] [--seed S] [--keep]

Builds the package and drives `.build/debug/secrets` and `secrets-emulator` (or those in --bin DIR, as they are)
against `secrets-emulator` (Entra ID + Jamf Pro), in the world of Scripts/quickstart.sh: a rotator
that owns `jamf-intune` at Entra ID, Jamf Pro's Intune integration fed by the apply command, a Jamf
Pro API client and a canary Mac; plus `graph-app`, a second Entra ID app without consumers,
`cert-app`, an app that signs in with a certificate of its own and rolls it with addKey/removeKey
(issue 16), and `store-N` apps (manual issuer) that take plain writes.

The stream, chosen at random: `secret add` to a store app, `app add`, `app edit --notes`, `app
remove`, `rotate APP --force` and `rotate --retire-now APP` on the two Entra ID apps, and
`rollback APP` when the app has a previous secret. Most runs get SIGKILL after a random delay
between 0 and 1.25 times what that kind of command usually takes (learnt from the runs that were
not killed), so kills land anywhere from start-up to just after the commit; the rest run to the
end.

After every kill:
  1. `verify` exits 0 (the vault opens, every row decrypts, audit chain and digest hold);
  2. every write that reported success (exit 0) is there: apps added and not removed, removed
     apps gone, notes, key ids of `secret add`, the key ids that successful rotations created,
     keys that a successful retire retired stay retired; and nothing is there that was never
     attempted (unknown apps or key ids);
  3. orphans before the resume: every secret the emulator holds for a rotated app is one the
     vault knows, or carries the display name `secrets:<id>` of a rotation the vault lists as
     unfinished (`rotate --dry-run --json`);
  4. `rotate jamf-intune graph-app` (the resume) exits 0, after which no rotation is unfinished;
  5. orphans after the resume: the emulator holds exactly the vault's live (non-retired)
     secrets, each app has one current secret, and Jamf Pro holds jamf-intune's current secret,
     which the Entra ID token endpoint accepts.
A run that was not killed must exit 0. The counts are printed at the end; any violation is
printed with its detail and the exit status is 1.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harnesslib as h  # noqa: E402

ROTATED = ("jamf-intune", "graph-app", "cert-app")
# The app that rolls its own certificate: Graph's addKey and removeKey instead of the passwords'.
CERTIFICATE_APP = "cert-app"
INITIAL_TYPICAL = {"add": 0.3, "app-add": 0.3, "edit": 0.3, "remove": 0.3, "rotate": 3.0, "retire": 1.0, "rollback": 2.0}


class Model:
    """What the vault must hold, given what reported success; `maybe` covers killed runs."""

    def __init__(self):
        # label -> {"state": present|maybe-added|maybe-removed, "notes": set of allowed values,
        #           "keys": confirmed key ids, "attempted": key ids ever tried}
        self.stores = {}
        self.notes = {label: {""} for label in ROTATED}
        self.created = {label: set() for label in ROTATED}   # key ids successful rotations reported
        self.retired = {label: set() for label in ROTATED}   # key ids successful retires reported
        self.counter = 0

    def next_label(self):
        self.counter += 1
        return "store-%d" % self.counter


class Harness:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.kills_wanted = args.kills
        self.counts = {"runs": 0, "kills": 0, "completed": 0, "kills by operation": {}, "runs by operation": {},
                       "successes": 0, "successes by operation": {}, "successes verified": {},
                       "successes superseded before a check": 0, "presence checks": 0, "verify runs": 0,
                       "resumed rotations": 0, "rotations resumed from an open journal": 0,
                       "orphan checks": 0, "answers delayed": 0, "orphans found before resume (marked, removed by the resume)": 0,
                       "certificate runs": 0, "certificate kills": 0}
        self.typical = dict(INITIAL_TYPICAL)
        self.violations = []
        self.model = Model()
        self.shown = {}   # the rotated apps' credentials as check_writes last read them
        # Successful writes not checked yet: (operation, what) -> app label.
        self.pending = {}

    def violation(self, text):
        self.violations.append(text)
        h.fail("VIOLATION: " + text)

    # ---- the stream ----

    def pick_operation(self):
        stores = [label for label, entry in self.model.stores.items() if entry["state"] == "present"]
        weights = {"add": 30, "app-add": 8 if len(stores) < 8 else 0, "edit": 18, "remove": 5 if len(stores) > 3 else 0,
                   "rotate": 25, "retire": 8, "rollback": 6}
        if not stores:
            weights["add"] = weights["remove"] = 0
            weights["app-add"] = 20
        kinds = [k for k in weights if weights[k] > 0]
        return self.random.choices(kinds, [weights[k] for k in kinds])[0], stores

    def step(self):
        kind, stores = self.pick_operation()
        m = self.model
        label = None
        kill_after = None
        if self.random.random() < 0.8:
            kill_after = self.random.uniform(0.0, 1.25 * self.typical[kind])
        if kind == "add":
            label = self.random.choice(stores)
            key = h.guid()
            m.stores[label]["attempted"].add(key)
            state = self.random.choice(["current", "current", "previous", "pending"])
            result = self.vault.run("secret", "add", label, "--key-id", key, "--expires", "90d", "--state", state,
                                    stdin=h.secret_value(), kill_after=kill_after)
            def on_success():
                m.stores[label]["keys"].add(key)
                self.pending[("add", key)] = label
        elif kind == "app-add":
            label = m.next_label()
            notes = "n%d" % self.random.randrange(10**6)
            m.stores[label] = {"state": "maybe-added", "notes": {notes}, "keys": set(), "attempted": set()}
            result = self.vault.run("app", "add", label, "--app-id", h.guid(), "--tenant", h.TENANT, "--issuer", "manual",
                                    "--notes", notes, kill_after=kill_after)
            def on_success():
                m.stores[label]["state"] = "present"
                self.pending[("app-add", label)] = label
        elif kind == "edit":
            label = self.random.choice(stores + list(ROTATED))
            notes = "n%d" % self.random.randrange(10**6)
            allowed = m.stores[label]["notes"] if label in m.stores else m.notes[label]
            allowed.add(notes)
            result = self.vault.run("app", "edit", label, "--notes", notes, kill_after=kill_after)

            def on_success():
                allowed.clear()
                allowed.add(notes)
                for item in [i for i in self.pending if i[0] == "edit" and i[1] == label]:
                    self.pending.pop(item)
                    self.counts["successes superseded before a check"] += 1
                self.pending[("edit", label, notes)] = label
        elif kind == "remove":
            label = self.random.choice(stores)
            m.stores[label]["state"] = "maybe-removed"
            result = self.vault.run("app", "remove", label, "--yes", kill_after=kill_after)
            def on_success():
                m.stores.pop(label)
                self.pending[("remove", label)] = label
        elif kind == "rotate":
            label = self.random.choice(ROTATED)
            self.maybe_lose_answer("addKey" if label == CERTIFICATE_APP else "addPassword")
            result = self.vault.run("rotate", label, "--force", "--json", kill_after=kill_after)

            def on_success():
                report = result.json()["apps"][0]
                if report["status"] != "done" or not report.get("newKeyId"):
                    self.violation("rotate %s reported %s" % (label, report))
                    return
                m.created[label].add(report["newKeyId"])
                self.pending[("rotate", report["newKeyId"])] = label
                current = [c["keyId"] for c in h.credentials(self.vault, label) if c["state"] == "current"]
                if current != [report["newKeyId"]]:
                    self.violation("right after `rotate %s` reported %s, the current secret is %s" % (label, report["newKeyId"], current))
        elif kind == "retire":
            label = self.random.choice(ROTATED)
            if not any(c["state"] == "previous" for c in h.credentials(self.vault, label)):
                return   # nothing to retire: refused as misconfigured (exit 1), which proves nothing here
            self.maybe_lose_answer("removeKey" if label == CERTIFICATE_APP else "removePassword")
            result = self.vault.run("rotate", "--retire-now", label, "--yes", "--json", kill_after=kill_after)

            def on_success():
                retired = set(result.json()["apps"][0].get("retired") or [])
                m.retired[label] |= retired
                if retired:
                    self.pending[("retire", frozenset(retired))] = label
        else:  # rollback
            label = self.random.choice(ROTATED)
            before = h.credentials(self.vault, label)
            previous = [c["keyId"] for c in before if c["state"] == "previous"]
            if not previous:
                return
            result = self.vault.run("rollback", label, "--yes", "--json", kill_after=kill_after)

            def on_success():
                current = [c["keyId"] for c in h.credentials(self.vault, label) if c["state"] == "current"]
                if len(current) != 1 or current[0] not in previous:
                    self.violation("right after `rollback %s` succeeded the current secret is %s, not one of the previous %s"
                                   % (label, current, previous))
                else:
                    self.verified("rollback")

        # An answer delay not used (the run died before asking) must not slow the checks.
        self.emulators.clear_faults()
        self.counts["runs"] += 1
        self.counts["runs by operation"][kind] = self.counts["runs by operation"].get(kind, 0) + 1
        if label == CERTIFICATE_APP and kind in ("rotate", "retire", "rollback"):
            self.counts["certificate runs"] += 1
            self.counts["certificate kills"] += 1 if result.killed else 0
        if result.killed:
            self.counts["kills"] += 1
            self.counts["kills by operation"][kind] = self.counts["kills by operation"].get(kind, 0) + 1
            self.after_kill(kind, result)
        elif result.ok:
            self.counts["completed"] += 1
            self.counts["successes"] += 1
            self.counts["successes by operation"][kind] = self.counts["successes by operation"].get(kind, 0) + 1
            # How long this kind of command takes, for the next kill delays.
            self.typical[kind] = 0.7 * self.typical[kind] + 0.3 * result.elapsed
            on_success()
        else:
            self.violation("a run that was not killed failed: %s" % result)
            # Resolve the model the same way a kill does, so the run goes on.
            self.after_kill(kind, result, count=False)

    def maybe_lose_answer(self, operation):
        """Now and then Entra ID does `operation` at once but answers only later, so that a kill
        lands between the change at the issuer and the vault's commit of it (a lost answer)."""
        if self.random.random() < 0.4:
            self.emulators.entra.post("/_emulator/faults", {"operation": operation,
                                                             "answerDelayMs": self.random.choice([300, 800, 1500])})
            self.counts["answers delayed"] += 1

    # ---- checks ----

    def after_kill(self, kind, result, count=True):
        context = "after %s (%s)" % (" ".join(result.argv), "killed at %.3f s" % result.elapsed if result.killed else "failed")
        verified = self.vault.run("verify")
        self.counts["verify runs"] += 1
        if verified.returncode != 0:
            self.violation("%s: verify failed: %s" % (context, verified))
            raise SystemExit(self.report())
        self.check_writes(context)
        plan = self.vault.run("rotate", *ROTATED, "--dry-run", "--json")
        if not plan.ok:
            self.violation("%s: rotate --dry-run failed: %s" % (context, plan))
            return
        open_ids = {entry["rotationId"] for app in plan.json()["dryRun"] for entry in app.get("resume") or []}
        self.check_orphans_before_resume(context, open_ids)
        resumed = self.vault.run("rotate", *ROTATED, "--json")
        if count:
            self.counts["resumed rotations"] += 1
            if open_ids:
                self.counts["rotations resumed from an open journal"] += 1
        if not resumed.ok:
            self.violation("%s: the resumed rotate failed: %s" % (context, resumed))
            return
        plan = self.vault.run("rotate", *ROTATED, "--dry-run", "--json")
        still_open = [(app["label"], entry) for app in plan.json()["dryRun"] for entry in app.get("resume") or []]
        if still_open:
            self.violation("%s: unfinished rotations after the resume: %s" % (context, still_open))
        self.counts["orphan checks"] += 1
        for problem in h.consistency_problems(self.vault, self.emulators, self.apps, "jamf-intune"):
            self.violation("%s, after the resume: %s" % (context, problem))

    def check_writes(self, context):
        m = self.model
        listed = {app["label"]: app for app in self.vault.must("app", "list", "--json").json()}
        report = self.vault.run("expiring", "--days", "3650", "--json")
        if report.returncode not in (0, 1, 2):   # the monitoring-plugin codes: ok, expiring, expired
            raise RuntimeError("expiring failed: %s" % report)
        expiring = report.json()["credentials"]
        keys_by_label = {}
        for credential in expiring:
            keys_by_label.setdefault(credential["label"], set()).add(credential["keyId"])
        known = set(ROTATED) | {"rotator", "jamf-api"}
        for label in list(m.stores):
            entry = m.stores[label]
            present = label in listed
            if entry["state"] == "present" and not present:
                self.violation("%s: app %s, whose add reported success, is gone" % (context, label))
                m.stores.pop(label)
                continue
            if not present:
                m.stores.pop(label)   # a killed add that never committed, or a removal that did
                continue
            entry["state"] = "present"
            known.add(label)
            notes = listed[label].get("notes") or ""
            self.counts["presence checks"] += 1
            if notes not in entry["notes"]:
                self.violation("%s: %s's notes are %r, expected one of %s" % (context, label, notes, sorted(entry["notes"])))
            entry["notes"] = {notes}
            stored = keys_by_label.get(label, set())
            lost = entry["keys"] - stored
            if lost:
                self.violation("%s: %s lost secrets whose add reported success: %s" % (context, label, sorted(lost)))
            unknown = stored - entry["attempted"]
            if unknown:
                self.violation("%s: %s holds key ids never added: %s" % (context, label, sorted(unknown)))
            # What is stored now is what must stay (killed adds that did commit included).
            for key in entry["keys"] & stored:
                self.settle(("add", key))
            entry["keys"] = stored & entry["attempted"]
            self.settle(("app-add", label))
            self.settle_edits(label, notes)
        for item in [i for i in self.pending if i[0] == "remove"]:
            if item[1] not in listed:
                self.settle(item)
        for label in listed:
            if label not in known:
                self.violation("%s: the vault lists an app never added: %s" % (context, label))
        for label in ROTATED:
            notes = listed[label].get("notes") or ""
            if notes not in m.notes[label]:
                self.violation("%s: %s's notes are %r, expected one of %s" % (context, label, notes, sorted(m.notes[label])))
            m.notes[label] = {notes}
            self.shown[label] = h.credentials(self.vault, label)
            creds = {c["keyId"]: c["state"] for c in self.shown[label]}
            missing = m.created[label] - set(creds)
            if missing:
                self.violation("%s: %s lost secrets that successful rotations created: %s" % (context, label, sorted(missing)))
            revived = {k for k in m.retired[label] if creds.get(k) not in (None, "retired")}
            if revived:
                self.violation("%s: %s secrets retired by a successful retire are live again: %s" % (context, label, sorted(revived)))
            self.settle_edits(label, notes)
            for key in m.created[label] & set(creds):
                self.settle(("rotate", key))
            for item in [i for i in self.pending if i[0] == "retire" and self.pending[i] == label]:
                if all(creds.get(key) in (None, "retired") for key in item[1]):
                    self.settle(item)
            self.counts["presence checks"] += 1

    def settle_edits(self, label, notes):
        """The notes a successful edit wrote are there, or a killed edit that did commit replaced them."""
        for item in [i for i in self.pending if i[0] == "edit" and i[1] == label]:
            if item[2] == notes:
                self.settle(item)
            else:
                self.pending.pop(item)
                self.counts["successes superseded before a check"] += 1

    def settle(self, item):
        """A successful write found in place at a check after a kill."""
        if self.pending.pop(item, None) is not None:
            self.verified(item[0])

    def verified(self, operation):
        self.counts["successes verified"][operation] = self.counts["successes verified"].get(operation, 0) + 1

    def check_orphans_before_resume(self, context, open_ids):
        """The emulator may hold a secret the vault has no row for only while the rotation that
        asked for it is unfinished, and then it carries that rotation's id in its display name."""
        self.counts["orphan checks"] += 1
        for label, app_id in self.apps.items():
            vault_keys = {c["keyId"] for c in self.shown[label]}
            for secret in self.emulators.entra_credentials(app_id):
                if secret["keyId"] in vault_keys:
                    continue
                name = secret.get("displayName") or ""
                if name.startswith("secrets:") and name[len("secrets:"):] in open_ids:
                    self.counts["orphans found before resume (marked, removed by the resume)"] += 1
                else:
                    self.violation("%s: the issuer holds %s's secret %s (%r), unknown to the vault and to every unfinished rotation %s"
                                   % (context, label, secret["keyId"], name, sorted(open_ids)))

    # ---- run ----

    def run(self):
        binaries = h.Binaries(self.args.bin)
        work = h.new_workdir("crash-harness.", self.args.keep)
        self.emulators = h.Emulators(binaries, os.path.join(work, "emulator.log"))
        started = time.monotonic()
        try:
            self.vault = h.Vault(binaries, self.emulators, work, http_timeout=5)
            self.apps = h.build_world(self.vault, self.emulators, [label for label in ROTATED if label != CERTIFICATE_APP])
            self.apps[CERTIFICATE_APP] = h.add_certificate_app(self.vault, self.emulators, CERTIFICATE_APP)
            for _ in range(3):   # a few undisturbed store apps to write to
                label = self.model.next_label()
                self.vault.must("app", "add", label, "--app-id", h.guid(), "--tenant", h.TENANT, "--issuer", "manual")
                self.model.stores[label] = {"state": "present", "notes": {""}, "keys": set(), "attempted": set()}
            last_report = started
            while self.counts["kills"] < self.kills_wanted:
                self.step()
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    print("  %4d runs, %4d kills, %d violations, %.0f s" % (
                        self.counts["runs"], self.counts["kills"], len(self.violations), last_report - started), flush=True)
            # A last full check with no kill before it.
            self.after_kill("final", h.Result(["(end of stream)"], 0, "", "", 0, False), count=False)
        finally:
            self.emulators.stop()
            h.remove_workdir(work, self.args.keep or bool(self.violations))
        self.counts["seconds"] = round(time.monotonic() - started, 1)
        return self.report()

    def report(self):
        c = self.counts
        print("crash harness (seed %d): %d runs, %d killed with SIGKILL, %d ran to completion" % (
            self.args.seed, c["runs"], c["kills"], c["completed"]))
        print("  runs by operation:  %s" % ", ".join("%s %d" % kv for kv in sorted(c["runs by operation"].items())))
        print("  kills by operation: %s" % ", ".join("%s %d" % kv for kv in sorted(c["kills by operation"].items())))
        print("  successes reported: %d (%s)" % (c["successes"], ", ".join("%s %d" % kv for kv in sorted(c["successes by operation"].items()))))
        print("  successes verified in place at a later check: %d (%s); edits overwritten by a later edit first: %d; app checks: %d" % (
            sum(c["successes verified"].values()), ", ".join("%s %d" % kv for kv in sorted(c["successes verified"].items())),
            c["successes superseded before a check"], c["presence checks"]))
        if self.pending:
            print("  successes never checked (their app was removed by a later successful remove first): %d" % len(self.pending))
        print("  %s's certificate rotations, retirements and rollbacks: %d runs, %d killed" % (
            CERTIFICATE_APP, c["certificate runs"], c["certificate kills"]))
        print("  verify runs: %d; resumed rotations: %d (%d with an unfinished journal)" % (
            c["verify runs"], c["resumed rotations"], c["rotations resumed from an open journal"]))
        print("  orphan checks: %d; marked orphans found before a resume (then removed): %d; Entra ID answers delayed after the change: %d" % (
            c["orphan checks"], c["orphans found before resume (marked, removed by the resume)"], c["answers delayed"]))
        if "seconds" in c:
            print("  time: %.1f s" % c["seconds"])
        print("  violations: %d" % len(self.violations))
        return 1 if self.violations else 0


if __name__ == "__main__":
    h.main(Harness, __doc__, "kills", short=50, long=500)
