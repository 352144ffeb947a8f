"""Shared pieces of Scripts/crash-harness.py and Scripts/fault-harness.py (standard library only).

- `Binaries`: builds the package (`swift build`) and uses `.build/debug`, or uses `--bin DIR` as it is.
- `Emulators`: runs `secrets-emulator` (Entra ID + Jamf Pro on loopback) and speaks its control API
  under /_emulator/ (see TestSupport/Emulators/Entra/EntraControlAPI.swift and
  TestSupport/Emulators/JamfPro/JamfProEmulator.swift).
- `Vault`: a throwaway vault directory and a clean environment, and `run`, which runs `secrets`
  and can SIGKILL it after a delay (the crash harness's power cut).
- `build_world`: the shared test world (`POST /_emulator/world`), Jamf Pro + Intune: a rotator that owns the
  Jamf app at Entra ID, a Jamf Pro API client and a canary Mac, the apply command, and Jamf Pro
  holding the app's current secret.

Secret values travel on stdin and in HTTP bodies only, never in argv.
"""
import json
import os
import random
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

TENANT = "contoso.onmicrosoft.com"
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPLY_SCRIPT = os.path.join(REPOSITORY, "Examples", "jamf-payload", "apply-to-emulator.sh")


def guid():
    return str(uuid.uuid4())


def secret_value():
    """A unique value shaped like an Entra ID client secret (40 characters)."""
    alphabet = string.ascii_letters + string.digits + "~._-"
    return "Q8" + "".join(random.choice(alphabet) for _ in range(38))


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class Binaries:
    def __init__(self, bin_dir):
        if not bin_dir:
            # Built here, not assumed: a harness run on binaries older than the sources would
            # report results for code that is no longer there.
            print("harness: swift build (secrets, secrets-rotate, secrets-emulator)...", file=sys.stderr, flush=True)
            if subprocess.run(["swift", "build", "--package-path", REPOSITORY], stdout=sys.stderr).returncode != 0:
                raise SystemExit("harness: swift build failed")
            bin_dir = os.path.join(REPOSITORY, ".build", "debug")
        self.secrets = os.path.join(bin_dir, "secrets")
        self.emulator = os.path.join(bin_dir, "secrets-emulator")
        for path in (self.secrets, self.emulator):
            if not os.access(path, os.X_OK):
                raise SystemExit("%s is missing: run `swift build` first, or pass --bin DIR" % path)


class HTTP:
    """JSON over loopback to one emulator's base URL."""

    def __init__(self, base):
        self.base = base.rstrip("/")

    def request(self, method, path, body=None, raw=None, timeout=30):
        data = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "text/plain" if raw is not None else "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text) if text else None
            except ValueError:
                return error.code, text.decode(errors="replace")

    def get(self, path):
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError("GET %s answered %d: %s" % (path, status, body))
        return body

    def post(self, path, body=None, raw=None, expect=(200, 201, 204)):
        status, answer = self.request("POST", path, body=body, raw=raw)
        if status not in expect:
            raise RuntimeError("POST %s answered %d: %s" % (path, status, answer))
        return answer


class Emulators:
    """`secrets-emulator`: the Entra ID emulator (`entra`) and the Jamf Pro one (`jamf`)."""

    def __init__(self, binaries, log_path):
        self.log = open(log_path, "w")
        # --jamf-report-on-save: the canary Mac reports after each save, as if the apply command
        # ran `jamf recon`, so a rotation's verify sees a report newer than the change.
        self.process = subprocess.Popen([binaries.emulator, "--jamf-report-on-save"], stdout=subprocess.PIPE, stderr=self.log, text=True)
        urls = {}
        for _ in range(2):
            words = self.process.stdout.readline().split()
            if len(words) == 2:
                urls[words[0]] = words[1]
        if set(urls) != {"entra", "jamf"}:
            self.stop()
            raise SystemExit("secrets-emulator did not start (see %s)" % log_path)
        self.entra_url, self.jamf_url = urls["entra"].rstrip("/"), urls["jamf"].rstrip("/")
        self.entra, self.jamf = HTTP(self.entra_url), HTTP(self.jamf_url)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    # Entra ID

    def entra_secrets(self, app_id):
        """[{keyId, displayName, secretText, …}] the application holds now."""
        return self.entra.get("/_emulator/applications/%s/secrets" % app_id)["value"]

    def entra_certificates(self, app_id):
        """[{keyId, displayName, thumbprint, lastSignIn, …}] the application's certificates now."""
        return self.entra.get("/_emulator/applications/%s/certificates" % app_id)["value"]

    def entra_credentials(self, app_id):
        """Its secrets and its certificates: everything removePassword or removeKey could take."""
        return self.entra_secrets(app_id) + self.entra_certificates(app_id)

    def accepts(self, app_id, secret):
        """Whether the token endpoint would accept `secret` for `app_id` right now (never faulted)."""
        status, body = self.entra.request("POST", "/_emulator/accepts?appId=" + app_id, raw=secret)
        if status != 200:
            raise RuntimeError("accepts answered %d: %s" % (status, body))
        return body["accepts"], body["result"]

    # Jamf Pro

    def jamf_integration(self):
        """The Intune integration Jamf Pro holds ({clientSecret, enabled, …}), or None."""
        status, body = self.jamf.request("GET", "/_emulator/intune-integration")
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError("intune-integration answered %d: %s" % (status, body))
        return body

    def clear_faults(self):
        self.entra.request("DELETE", "/_emulator/faults")
        self.jamf.request("DELETE", "/_emulator/faults")


class Result:
    def __init__(self, argv, returncode, stdout, stderr, elapsed, killed):
        self.argv, self.returncode, self.stdout, self.stderr = argv, returncode, stdout, stderr
        self.elapsed, self.killed = elapsed, killed

    @property
    def ok(self):
        return self.returncode == 0

    def json(self):
        return json.loads(self.stdout)

    def __str__(self):
        how = "killed (SIGKILL) after %.3f s" % self.elapsed if self.killed else "exit %s after %.3f s" % (self.returncode, self.elapsed)
        return "`secrets %s`: %s\n    stdout: %s\n    stderr: %s" % (
            " ".join(self.argv), how, self.stdout.strip()[-1500:], self.stderr.strip()[-1500:])


class Vault:
    """A throwaway vault directory, the environment every `secrets` run gets, and `run`."""

    def __init__(self, binaries, emulators, work, http_timeout):
        self.binaries = binaries
        self.work = work
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": work,
            "XDG_CONFIG_HOME": os.path.join(work, "xdg-config"), "XDG_DATA_HOME": os.path.join(work, "xdg-data"),
            "SECRETS_VAULT": self.location(work), "SECRETS_IDENTITY": os.path.join(work, "identity.txt"),
            "SECRETS_ENTRA_LOGIN_ENDPOINT": emulators.entra_url, "SECRETS_GRAPH_ENDPOINT": emulators.entra_url,
            "SECRETS_HTTP_TIMEOUT": str(http_timeout),
        }

    @staticmethod
    def location(work):
        """`vault.sqlite` in `work`, or with SECRETS_HARNESS_POSTGRESQL (a postgresql:// URL, as
        Scripts/postgres.sh prints) a fresh schema on that server, so a harness runs against
        the team backend unchanged."""
        server = os.environ.get("SECRETS_HARNESS_POSTGRESQL")
        if not server:
            return os.path.join(work, "vault.sqlite")
        schema = "harness_%d_%d" % (os.getpid(), time.monotonic_ns())
        subprocess.run(["psql", "-q", server, "-c", "CREATE SCHEMA %s" % schema], check=True)
        return server + ("&" if "?" in server else "?") + "options=-csearch_path%3D" + schema

    def run(self, *argv, stdin="", kill_after=None, timeout=300):
        """Runs `secrets ARGV`; with `kill_after`, sends SIGKILL that many seconds after the start
        unless it has exited by then."""
        start = time.monotonic()
        process = subprocess.Popen([self.binaries.secrets, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=self.env, text=True)
        killed = False
        try:
            out, err = process.communicate(stdin, timeout=kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                process.kill()
                out, err = process.communicate()
                raise RuntimeError("`secrets %s` did not finish within %d s: %s" % (" ".join(argv), timeout, err[-2000:]))
            process.send_signal(signal.SIGKILL)
            out, err = process.communicate()
            # It may have exited on its own in the instant before the signal.
            killed = process.returncode == -signal.SIGKILL
        except BrokenPipeError:
            out, err = process.communicate()
            killed = process.returncode == -signal.SIGKILL
        return Result(list(argv), process.returncode, out, err, time.monotonic() - start, killed)

    def must(self, *argv, stdin=""):
        result = self.run(*argv, stdin=stdin)
        if not result.ok:
            raise RuntimeError("setup step failed: %s" % result)
        return result


def credentials(vault, label):
    """The credentials of `label` from `app show --json` (every state, retired included)."""
    return vault.must("app", "show", label, "--json").json().get("credentials") or []


def seed_world(vault, emulators, apps, rotator_roles=(), replication_delay_ms=300):
    """Seeds the shared test world with Jamf Pro and `apps` ([{"label", "expiresInDays"?,
    "options"?}], `{jamf}` in an option standing for Jamf Pro's URL) through
    `POST /_emulator/world`, then runs `secrets init` and the world's own vault commands.
    Returns the seeded world (its "rotator", "apiClient" and "apps", each with "appId")."""
    emulators.entra.post("/_emulator/config", {"replicationDelayMs": replication_delay_ms, "latencyMs": 0})
    world = emulators.entra.post("/_emulator/world", {
        "jamf": True, "rotatorRoles": ["Application.ReadWrite.OwnedBy", *rotator_roles], "apps": list(apps)})
    vault.must("init", "--no-passphrase")
    for command in world["vaultCommands"]:
        vault.must(*command["arguments"], stdin=command.get("standardInput") or "")
    return world


def build_world(vault, emulators, rotated_labels=("jamf-intune",), replication_delay_ms=300, rotator_roles=()):
    """Seeds the shared test world (TestSupport/Emulators/World: the one the Swift tests, the
    benchmark and the quick start use) through `POST /_emulator/world`, builds the vault with the
    world's own commands, and returns {label: app id} of the apps rotated through Entra ID. The
    first rotated label feeds Jamf Pro's Intune integration (apply command, API client, canary
    42); any others are Entra ID apps without consumers. `rotator_roles` adds Graph permissions to
    the rotator's Application.ReadWrite.OwnedBy (AuditLog.Read.All: the sign-in report that
    usage-aware retirement reads)."""
    apps = []
    for index, label in enumerate(rotated_labels):
        options = []
        if index == 0:
            options = ["--consumer", "jamf-pro-intune={jamf}", "--jamf-api-client", "jamf-api",
                       "--jamf-canary", "42", "--apply-command", "%s {jamf}" % APPLY_SCRIPT]
        apps.append({"label": label, "expiresInDays": 12, "options": options})
    world = seed_world(vault, emulators, apps, rotator_roles=rotator_roles, replication_delay_ms=replication_delay_ms)
    # Today's state: an admin typed the current secret into Jamf Pro's form once.
    payload = vault.must("jamf", "payload", rotated_labels[0], "--reveal").stdout
    status, body = emulators.jamf.request("PUT", "/_emulator/intune-integration", raw=payload)
    if status != 204:
        raise RuntimeError("saving the initial payload in Jamf Pro answered %d: %s" % (status, body))
    return {app["label"]: app["appId"] for app in world["apps"]}


def add_certificate_app(vault, emulators, label):
    """Registers `label` at Entra ID and in the vault as an app that signs in with a certificate
    of its own and rolls it itself (issue 16): `cert new`, the upload a person would make,
    `cert activate`, then the entra-id issuer with no rotator. It owns itself, so that it may read
    its own registration. Returns its app id."""
    app_id = guid()
    emulators.entra.post("/_emulator/applications", {
        "appId": app_id, "displayName": label, "owners": [app_id], "roles": ["Application.ReadWrite.OwnedBy"]})
    vault.must("app", "add", label, "--app-id", app_id, "--tenant", TENANT)
    vault.must("cert", "new", label, "--expires", "1y", "--bits", "2048")
    pem = vault.must("cert", "pem", label).stdout
    der = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    emulators.entra.post("/_emulator/applications/%s/keyCredentials" % app_id, {"key": der})
    vault.must("cert", "activate", label)
    vault.must("app", "edit", label, "--issuer", "entra-id")
    return app_id


def consistency_problems(vault, emulators, apps, jamf_label):
    """What is wrong right now with the invariants every settled state must hold, as strings:
    exactly one current secret per rotated app; the issuer holds exactly the vault's live
    (non-retired) secrets, so no secret the vault does not know; Jamf Pro holds the current
    secret of `jamf_label`, and it works at Entra ID."""
    problems = []
    for label, app_id in apps.items():
        creds = credentials(vault, label)
        live = {c["keyId"] for c in creds if c["state"] != "retired"}
        current = [c["keyId"] for c in creds if c["state"] == "current"]
        if len(current) != 1:
            problems.append("%s: %d current secrets (%s)" % (label, len(current), [(c["keyId"], c["state"]) for c in creds]))
        held = emulators.entra_credentials(app_id)
        at_issuer = {s["keyId"] for s in held}
        if at_issuer - live:
            names = {s["keyId"]: s.get("displayName") for s in held}
            problems.append("%s: the issuer holds secrets the vault does not know: %s" % (
                label, sorted("%s (%s)" % (k, names.get(k)) for k in at_issuer - live)))
        if live - at_issuer:
            problems.append("%s: the vault's live secrets %s are gone at the issuer" % (label, sorted(live - at_issuer)))
    current_value = vault.must("secret", "get", jamf_label).stdout
    integration = emulators.jamf_integration()
    held = integration.get("clientSecret") if integration else None
    if held != current_value:
        problems.append("Jamf Pro does not hold %s's current secret" % jamf_label)
    if held is not None:
        accepted, why = emulators.accepts(apps[jamf_label], held)
        if not accepted:
            problems.append("the secret Jamf Pro holds is refused at Entra ID (%s)" % why)
    return problems


def new_workdir(prefix, keep):
    work = tempfile.mkdtemp(prefix=prefix)
    os.chmod(work, 0o700)
    return work


def remove_workdir(work, keep):
    if keep:
        print("work directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)


def fail(message):
    print(message, file=sys.stderr, flush=True)


def main(harness, doc, count, short, long):
    """Parses --short | --long | --COUNT N, --bin, --seed and --keep, then runs harness(args) and exits
    with what its run() returns. `count` names the unit ("kills", "rotations"); args.<count> holds the
    number to do: `short` (CI), `long` (the report) or the one given."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--short", action="store_true", help="%d %s (CI)" % (short, count))
    mode.add_argument("--long", action="store_true", help="%d %s (the report)" % (long, count))
    mode.add_argument("--" + count, type=int, help="this many " + count)
    parser.add_argument("--bin", help="directory holding secrets, secrets-rotate and secrets-emulator, used as they are (default: swift build, then .build/debug)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    setattr(args, count, getattr(args, count) or (long if args.long else short))
    if args.seed is None:
        args.seed = random.randrange(10**6)
    sys.exit(harness(args).run())
