#!/usr/bin/env python3
"""Fault harness: rotations through random 429 / 5xx / timeouts / dropped connections / slow answers.

    Scripts/fault-harness.py (--short | --long | --rotations N) [--bin DIR] [--seed S] [--keep]

Builds the package and drives `.build/debug/secrets` and `secrets-emulator` (or those in --bin DIR, as they are)
in the world of Scripts/quickstart.sh: a rotator that owns `jamf-intune` at the Entra ID emulator,
Jamf Pro's Intune integration fed by the apply command, a Jamf Pro API client and canary Mac 42
that verify each rotation. `SECRETS_HTTP_TIMEOUT=1` keeps timeouts short.

Each round injects 0–3 random faults into the emulators' control APIs — at Entra ID (token,
getApplication, addPassword, removePassword): 429 with Retry-After, 500/502/503/504, a hang longer
than the client's timeout, a dropped connection, a slow answer; at Jamf Pro (token, feature
toggle, compliance information): 429 with Retry-After, 500/503, a hang, a dropped connection —
each for 1–3 requests, or now and then 6 (an outage that outlasts the client's retries). Then it
runs `rotate jamf-intune --force`; a run that fails (exit ≠ 0) is rerun as `rotate jamf-intune`
until it converges (exit 0), and the round ends with `rotate --retire-now jamf-intune --yes`,
also rerun until it converges. Then the same for `cert-app`, an app that signs in with a
certificate of its own and rolls it with Graph's addKey and removeKey (issue 16), through faults
on those and on the token endpoint. After every round the settled state is checked: one current
credential per app, the issuer holds exactly the vault's live secrets and certificates, Jamf Pro
holds jamf-intune's current secret.

The invariant, checked all along by a monitor thread every 20 ms: the secret Jamf Pro holds (its
saved Intune integration) is accepted by the Entra ID token endpoint (the emulator's fault-free
/_emulator/accepts). A check whose secret changed between the two reads is inconclusive and is
read again, not counted as a violation. Prints the counts; exits 1 on any violation.
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harnesslib as h  # noqa: E402

LABEL = "jamf-intune"
ENTRA_OPERATIONS = ("token", "getApplication", "addPassword", "removePassword", "addKey", "removeKey")
CERTIFICATE_APP = "cert-app"
JAMF_OPERATIONS = ("token", "feature-toggle", "compliance-information")
MAX_RERUNS = 12


class Monitor(threading.Thread):
    """Polls Jamf Pro's saved secret and asks Entra ID whether it works, every 20 ms."""

    def __init__(self, emulators, app_id, interval=0.02):
        super().__init__(daemon=True)
        self.emulators, self.app_id, self.interval = emulators, app_id, interval
        self.stopping = threading.Event()
        self.checks = self.inconclusive = 0
        self.violations = []
        self.errors = []

    def run(self):
        while not self.stopping.is_set():
            try:
                self.check()
            except Exception as error:  # a monitor that stops silently would prove nothing
                self.errors.append(repr(error))
                if len(self.errors) > 20:
                    return
            self.stopping.wait(self.interval)

    def check(self):
        integration = self.emulators.jamf_integration()
        if not integration or not integration.get("enabled"):
            return
        held = integration["clientSecret"]
        accepted, why = self.emulators.accepts(self.app_id, held)
        if accepted:
            self.checks += 1
            return
        # Refused: a violation unless Jamf Pro's secret changed while we asked (the check raced a deploy).
        again = self.emulators.jamf_integration()
        if again is None or again.get("clientSecret") != held:
            self.inconclusive += 1
            return
        self.checks += 1
        self.violations.append("%s: the secret Jamf Pro holds (hint %s…) is refused at Entra ID: %s" % (
            time.strftime("%H:%M:%S"), held[:3], why))
        h.fail("VIOLATION (monitor): " + self.violations[-1])


class Harness:
    def __init__(self, args):
        self.args = args
        self.random = random.Random(args.seed)
        self.counts = {"rotations": 0, "runs": 0, "faults injected": 0, "faults by kind": {}, "failed runs": 0,
                       "failed then resumed": 0, "rotations undone by a fault, started again": 0, "reruns": 0, "retire runs": 0, "failed retire runs": 0,
                       "settled-state checks": 0}
        self.violations = []

    def violation(self, text):
        self.violations.append(text)
        h.fail("VIOLATION: " + text)

    def inject_faults(self):
        for _ in range(self.random.choice([0, 1, 1, 2, 2, 3])):
            times = 6 if self.random.random() < 0.1 else self.random.randint(1, 3)
            if self.random.random() < 0.65:
                operation = self.random.choice(ENTRA_OPERATIONS)
                kind = self.random.choice(["429", "5xx", "5xx", "hang", "drop", "slow"])
                body = {"operation": operation, "times": times}
                if kind == "429":
                    body.update(status=429, retryAfter=self.random.randint(0, 2))
                elif kind == "5xx":
                    body.update(status=self.random.choice([500, 502, 503, 504]))
                elif kind == "hang":
                    body.update(hangSeconds=1.5)   # beyond SECRETS_HTTP_TIMEOUT=1
                elif kind == "drop":
                    body.update(drop=True)
                else:
                    body.update(slowMs=self.random.choice([200, 600, 1500]))
                self.emulators.entra.post("/_emulator/faults", body)
                name = "entra %s %s" % (operation, kind)
            else:
                operation = self.random.choice(JAMF_OPERATIONS)
                kind = self.random.choice(["429", "5xx", "hang", "drop"])
                fault = {"429": "throttle", "5xx": "server-error", "hang": "hang", "drop": "drop-connection"}[kind]
                body = {"operation": operation, "fault": fault, "times": times}
                if kind == "429":
                    body["retryAfter"] = self.random.randint(0, 2)
                elif kind == "5xx":
                    body["status"] = self.random.choice([500, 503])
                self.emulators.jamf.post("/_emulator/faults", body)
                name = "jamf %s %s" % (operation, kind)
            self.counts["faults injected"] += 1
            self.counts["faults by kind"][name] = self.counts["faults by kind"].get(name, 0) + 1

    def until_converged(self, argv, what):
        """Runs `secrets ARGV`, then reruns the resuming form until it exits 0; returns the reruns."""
        result = self.vault.run(*argv)
        self.counts["runs"] += 1
        reruns = 0
        while not result.ok:
            if result.returncode not in (1, 69):
                self.violation("%s exited %d, not 1 (failed, resumable) or 69 (service unavailable): %s" % (what, result.returncode, result))
            if reruns == MAX_RERUNS:
                self.violation("%s did not converge after %d reruns: %s" % (what, reruns, result))
                return reruns
            reruns += 1
            self.counts["reruns"] += 1
            result = self.vault.run(*(a for a in argv if a != "--force"))
            self.counts["runs"] += 1
        return reruns

    def current_key(self, label=LABEL):
        return [c["keyId"] for c in h.credentials(self.vault, label) if c["state"] == "current"]

    def round(self, number):
        for label in (LABEL, CERTIFICATE_APP):
            self.rotate_through_faults(number, label)
        # Faults not used up must not leak into the checks' own commands.
        self.emulators.clear_faults()
        self.counts["settled-state checks"] += 1
        for problem in h.consistency_problems(self.vault, self.emulators, {LABEL: self.app_id, CERTIFICATE_APP: self.certificate_app_id}, LABEL):
            self.violation("after round %d: %s" % (number, problem))

    def rotate_through_faults(self, number, label):
        before = self.current_key(label)
        self.inject_faults()
        for attempt in range(1, 4):
            reruns = self.until_converged(("rotate", label, "--force", "--json"), "rotation %d of %s" % (number, label))
            if reruns:
                self.counts["failed runs"] += 1
                self.counts["failed then resumed"] += 1
            if self.current_key(label) != before:
                break
            # A failure that left nothing to resume (a create refused outright is closed, the old
            # secret stays current): the converged rerun had nothing to do. Rotate afresh.
            self.counts["rotations undone by a fault, started again"] += 1
        else:
            self.violation("round %d: three forced rotations of %s in a row left the current credential %s" % (number, label, before))
        self.counts["rotations"] += 1
        if self.random.random() < 0.5:
            self.inject_faults()
        self.counts["retire runs"] += 1
        if self.until_converged(("rotate", "--retire-now", label, "--yes", "--json"), "retire-now %d of %s" % (number, label)):
            self.counts["failed retire runs"] += 1

    def run(self):
        binaries = h.Binaries(self.args.bin)
        work = h.new_workdir("fault-harness.", self.args.keep)
        self.emulators = h.Emulators(binaries, os.path.join(work, "emulator.log"))
        started = time.monotonic()
        monitor = None
        try:
            self.vault = h.Vault(binaries, self.emulators, work, http_timeout=1)
            self.app_id = h.build_world(self.vault, self.emulators, (LABEL,))[LABEL]
            self.certificate_app_id = h.add_certificate_app(self.vault, self.emulators, CERTIFICATE_APP)
            monitor = Monitor(self.emulators, self.app_id)
            monitor.start()
            last_report = started
            for number in range(1, self.args.rotations + 1):
                self.round(number)
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    print("  %4d rotations, %4d faults, %d failed runs, %d monitor checks, %.0f s" % (
                        number, self.counts["faults injected"], self.counts["failed runs"], monitor.checks,
                        last_report - started), flush=True)
            verified = self.vault.run("verify")
            if not verified.ok:
                self.violation("verify failed at the end: %s" % verified)
        finally:
            if monitor:
                monitor.stopping.set()
                monitor.join(5)
            self.emulators.stop()
            h.remove_workdir(work, self.args.keep or bool(self.violations) or bool(monitor and monitor.violations))
        self.counts["seconds"] = round(time.monotonic() - started, 1)
        return self.report(monitor)

    def report(self, monitor):
        c = self.counts
        print("fault harness (seed %d): %d rotations (%s and %s alternately), %d runs of secrets" % (
            self.args.seed, c["rotations"], LABEL, CERTIFICATE_APP, c["runs"]))
        print("  faults injected: %d (%s)" % (c["faults injected"], ", ".join(
            "%s %d" % kv for kv in sorted(c["faults by kind"].items()))))
        print("  rotations whose first run failed and were resumed to completion: %d (%d reruns in all); retire-now runs %d, %d needed reruns" % (
            c["failed then resumed"], c["reruns"], c["retire runs"], c["failed retire runs"]))
        print("  rotations a fault undid cleanly (old secret kept, nothing to resume), started again: %d" % (
            c["rotations undone by a fault, started again"]))
        print("  monitor: %d checks of Jamf Pro's secret at Entra ID, %d inconclusive (raced a deploy), %d violations%s" % (
            monitor.checks, monitor.inconclusive, len(monitor.violations),
            "; monitor errors: %s" % monitor.errors[:3] if monitor.errors else ""))
        print("  settled-state checks: %d; other violations: %d" % (c["settled-state checks"], len(self.violations)))
        print("  time: %.1f s" % c["seconds"])
        bad = self.violations or monitor.violations or monitor.errors or (c["rotations"] > 5 and monitor.checks < 100)
        return 1 if bad else 0


if __name__ == "__main__":
    h.main(Harness, __doc__, "rotations", short=15, long=200)
