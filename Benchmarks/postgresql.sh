#!/usr/bin/env bash
# The team backend against the embedded one, in the same run: a vault of APPS apps (3 credentials
# each) built as a SQLite file, copied with `secrets vault copy` into a PostgreSQL server on
# loopback (Debian's postgresql, a throwaway cluster with fsync on: Scripts/postgres.sh), then
# `expiring --days 30 --json` and `secret add` timed on both, taking turns.
#
# Usage: Benchmarks/postgresql.sh
# Environment: APPS (default 10000), RUNS (default 21), WORK_DIR (Benchmarks/.work/postgresql).
# Targets (issue 17): expiring within 2x of SQLite, secret add within 3x.
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd -- "$script_dir/.."
apps=${APPS:-10000}
work=${WORK_DIR:-$script_dir/.work/postgresql}
echo "postgresql.sh: building secrets (release, --static-swift-stdlib)..." >&2
swift build -c release --product secrets --static-swift-stdlib --scratch-path .build-static >&2
secrets="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/secrets"

rm -rf -- "$work"
mkdir -p -m 700 -- "$work"
# The server's directory must be one its owner (postgres, when run as root) can reach.
export SECRETS_TEST_POSTGRESQL_DIR="${TMPDIR:-/tmp}/secrets-bench-postgresql" SECRETS_TEST_POSTGRESQL_FSYNC=on
started=$(Scripts/postgres.sh start)
eval "$started"
trap 'Scripts/postgres.sh stop' EXIT
psql -q "$SECRETS_TEST_POSTGRESQL" -c "CREATE SCHEMA bench"
export HOME="$work" SECRETS_IDENTITY="$work/identity.txt" SECRETS_VAULT="$work/vault.sqlite"
admin=$("$secrets" init --no-passphrase | sed -n 's/^Admin recipient: \(age1[0-9a-z]*\)$/\1/p')
python3 "$script_dir/vault-bench.py" generate --apps "$apps" | age -r "$admin" -o "$work/import.age"
"$secrets" import "$work/import.age" --from-other-vault --json > /dev/null
rm -f -- "$work/import.age"
exec python3 "$script_dir/postgresql-bench.py" --secrets "$secrets" --sqlite "$work/vault.sqlite" \
    --postgresql "$SECRETS_TEST_POSTGRESQL?options=-csearch_path%3Dbench" --runs "${RUNS:-21}" --apps "$apps"
