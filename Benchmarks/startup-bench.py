#!/usr/bin/env python3
"""Start-up and unlock figures for Benchmarks/startup.sh.

start-up: `secrets --version` against `age --version`, run alternately.
unlock:   `secrets list` on a one-app vault opened with a passphrase-protected identity (scrypt at
          the default work factor, log2 N = 18, as `secrets init` writes it) against the same
          command with a machine identity (an age X25519 key added as a second admin): the
          difference is what unlocking costs. The reference is scrypt alone with the same
          parameters (N = 2^18, r = 8, p = 1) through OpenSSL, in-process (Python's hashlib).
Times are wall clock around spawn and wait (time.perf_counter_ns); medians with min-max.
"""
import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(command, env=None, ok=(0,)):
    start = time.perf_counter_ns()
    result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter_ns() - start
    if result.returncode not in ok:
        sys.exit("startup-bench.py: %s exited %d: %s" % (" ".join(command), result.returncode,
                                                       result.stderr.decode(errors="replace").strip()))
    return elapsed


def summary(samples):
    values = sorted(samples)
    return statistics.median(values), values[0], values[-1]


def fmt_ms(samples):
    med, low, high = summary(samples)
    return "%.1f ms (%.1f–%.1f)" % (med / 1e6, low / 1e6, high / 1e6)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--age", required=True)
    parser.add_argument("--age-keygen", required=True)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--unlock-runs", type=int, default=7)
    args = parser.parse_args()

    # --- start-up -------------------------------------------------------------------------
    secrets_version = [args.secrets, "--version"]
    age_version = [args.age, "--version"]
    timed(secrets_version), timed(age_version)  # warm-up
    ours, theirs = [], []
    for run in range(args.runs):
        pair = [(secrets_version, ours), (age_version, theirs)]
        for command, samples in (pair if run % 2 == 0 else reversed(pair)):
            samples.append(timed(command))

    # --- unlock ---------------------------------------------------------------------------
    with tempfile.TemporaryDirectory(prefix="secrets-startup-") as work:
        env = dict(os.environ)
        env.update({"SECRETS_VAULT": os.path.join(work, "vault.sqlite"),
                    "SECRETS_IDENTITY": os.path.join(work, "identity.txt"),
                    "SECRETS_PASSPHRASE_FILE": os.path.join(work, "passphrase")})
        with open(env["SECRETS_PASSPHRASE_FILE"], "w") as handle:
            handle.write("correct horse battery staple for the benchmark\n")
        os.chmod(env["SECRETS_PASSPHRASE_FILE"], 0o600)
        subprocess.run([args.secrets, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
        with open(env["SECRETS_IDENTITY"], "rb") as handle:
            if not handle.read(64).startswith(b"age-encryption.org/v1"):
                sys.exit("startup-bench.py: init did not write a passphrase-protected identity")
        machine_key = os.path.join(work, "machine.txt")
        subprocess.run([args.age_keygen, "-o", machine_key], check=True, stderr=subprocess.DEVNULL)
        recipient = subprocess.run([args.age_keygen, "-y", machine_key], check=True,
                                   capture_output=True, text=True).stdout.strip()
        subprocess.run([args.secrets, "recipients", "add", recipient, "--role", "admin"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([args.secrets, "app", "add", "bench", "--app-id", "0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07",
                        "--tenant", "contoso.onmicrosoft.com"], env=env, check=True, stdout=subprocess.DEVNULL)
        machine_env = dict(env, SECRETS_IDENTITY=machine_key)
        del machine_env["SECRETS_PASSPHRASE_FILE"]
        list_command = [args.secrets, "list"]
        timed(list_command, env), timed(list_command, machine_env)  # warm-up
        with_passphrase, with_key = [], []
        for run in range(args.unlock_runs):
            pair = [(env, with_passphrase), (machine_env, with_key)]
            for environment, samples in (pair if run % 2 == 0 else reversed(pair)):
                samples.append(timed(list_command, environment))

    scrypt = []
    for _ in range(args.unlock_runs):
        start = time.perf_counter_ns()
        hashlib.scrypt(b"correct horse battery staple", salt=os.urandom(16), n=1 << 18, r=8, p=1,
                       maxmem=300 * 1024 * 1024, dklen=32)
        scrypt.append(time.perf_counter_ns() - start)

    ours_med, theirs_med = summary(ours)[0], summary(theirs)[0]
    unlock = summary(with_passphrase)[0] - summary(with_key)[0]
    scrypt_med = summary(scrypt)[0]
    print("| measure | secrets | reference | ratio |")
    print("|---|---|---|---|")
    print("| start-up: `secrets --version` vs `age --version` (%d runs each, alternating) | %s | %s | %.2f |"
          % (args.runs, fmt_ms(ours), fmt_ms(theirs), ours_med / theirs_med))
    print("| `secrets list`, passphrase identity (scrypt log2 N = 18) vs machine identity (%d runs each) | %s | %s | %.2f |"
          % (args.unlock_runs, fmt_ms(with_passphrase), fmt_ms(with_key), summary(with_passphrase)[0] / summary(with_key)[0]))
    print("| unlock cost (difference of the medians) vs scrypt alone, N = 2^18 r = 8 p = 1, OpenSSL in-process (%d runs) | %.1f ms | %s | %.2f |"
          % (args.unlock_runs, unlock / 1e6, fmt_ms(scrypt), unlock / scrypt_med))


if __name__ == "__main__":
    main()
