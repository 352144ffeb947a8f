#!/usr/bin/env bash
# Runs every test: one build, then the suites in four `swift test` processes side by side, each
# running its tests one at a time. Prints each group's result and, for a group that failed, its
# failures; exits non-zero if any test failed.
#
# Why processes and not Swift Testing's own parallelism: the end-to-end tests wait for `secrets`
# processes on a thread of Swift's cooperative pool, and the emulators they talk to run in the
# same process on that same pool (two threads on two cores). Run in parallel inside one process,
# waiting tests took every pool thread and starved the emulators (measured: 119 issues, timeouts
# to loopback servers). Each process has its own pool, so within a group a test and its servers
# share the pool as in a serial run, while the groups wait for their children side by side.
#
# The groups are named by suite and balanced by measured time (BENCHMARKS.md, "Test suite
# time"); the last group is everything the others do not name, so a new suite always runs.
# `swift test --no-parallel` runs the same tests one at a time, in one process.
set -uo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests || exit 1

# The storage contract and the vault's suites also run against PostgreSQL: a throwaway server on
# loopback (Scripts/postgres.sh) unless SECRETS_TEST_POSTGRESQL already names one.
if [ -z "${SECRETS_TEST_POSTGRESQL:-}" ]; then
    if started_postgresql=$(Scripts/postgres.sh start); then
        eval "$started_postgresql"
        trap 'Scripts/postgres.sh stop' EXIT
    else
        echo "test.sh: no PostgreSQL server could be started (Debian: apt-get install postgresql); its tests run on SQLite only" >&2
    fi
fi
# The test bundle's own entry point, run directly: `swift test` would take SwiftPM's lock on
# .build, and the groups would wait for one another. Every test here is a Swift Testing @Test.
tests="$(swift build --show-bin-path)/secretsPackageTests.xctest"
run() { "$tests" --testing-library swift-testing --no-parallel "$@"; }

e2e=EndToEndTests
groups=(
    "$e2e\.(TamperSuiteTests|PassphraseTests)/"
    "$e2e\.(RotationRaceTests|BadInputTests|HostileValueTests|PersonInLoopTests)/"
    "$e2e\.(HostileHTTPTests|HostileJamfIntuneTests|RotationFaultTests|EntraRotationTests|UsageAwareRetireTests|TerminalEchoTests|ReadmeQuickStartTests)/"
)
named=$(IFS='|'; echo "${groups[*]}")

logs=$(mktemp -d "${TMPDIR:-/tmp}/secrets-tests.XXXXXX")
started=$(date +%s)
pids=()
for index in "${!groups[@]}"; do
    run --filter "${groups[$index]}" > "$logs/group$index.log" 2>&1 &
    pids+=($!)
done
last=${#groups[@]}
run --skip "$named" > "$logs/group$last.log" 2>&1 &
pids+=($!)
# The vault's suites and the end-to-end suites once more with every vault in PostgreSQL, in two
# more processes (those about the SQLite file itself are left out of this pass: they carry the
# `.sqliteFile` trait; the suites that name their backends already ran on both).
if [ -n "${SECRETS_TEST_POSTGRESQL:-}" ]; then
    pg_first="ClientSecretsTests|$e2e\.(TamperSuiteTests|RotationRaceTests|BadInputTests)/"
    SECRETS_TEST_VAULT_STORE=postgresql run --filter "$pg_first" > "$logs/group$((last + 1)).log" 2>&1 &
    pids+=($!)
    SECRETS_TEST_VAULT_STORE=postgresql run --filter "$e2e" --skip "$pg_first|$e2e\.(TwoHostRotationTests|ConcurrencyTests)/" \
        > "$logs/group$((last + 2)).log" 2>&1 &
    pids+=($!)
fi

failed=0
for index in "${!pids[@]}"; do
    if wait "${pids[$index]}"; then status=ok; else status=FAILED; failed=1; fi
    log="$logs/group$index.log"
    summary=$(grep -E "^. Test run with" "$log" | tail -1)
    echo "group $index: $status: ${summary:-no summary (see $log)}"
    if [ "$status" = FAILED ]; then
        grep -E "^✘" "$log" | head -40
        [ -n "$summary" ] || tail -20 "$log"
    fi
done
# What the server saw of those vaults: no tenant, label or value in clear (as text or as hex).
if [ -n "${SECRETS_TEST_POSTGRESQL:-}" ]; then
    python3 Scripts/pg-dump-check.py "$SECRETS_TEST_POSTGRESQL" || failed=1
fi
echo "all groups: $(( $(date +%s) - started )) s after the build; logs in $logs"
[ "$failed" = 0 ] && rm -rf "$logs"
exit "$failed"
