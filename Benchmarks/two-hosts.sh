#!/usr/bin/env bash
# Bulk rotation of APPS apps (default 1000) with the vault on a PostgreSQL server (a throwaway
# cluster on loopback with fsync on: Scripts/postgres.sh), from one host and then from two hosts
# at once (two processes with their own identity files, `rotate --due --wait`), next to the same
# rotation on a SQLite file, RUNS runs each (default 3). Target (issue 17): two hosts no slower
# than one host alone. Environment: APPS, RUNS, LATENCY_MS (20), CONCURRENCY (16).
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd -- "$script_dir/.."
export SECRETS_TEST_POSTGRESQL_DIR="${TMPDIR:-/tmp}/secrets-bench-postgresql" SECRETS_TEST_POSTGRESQL_FSYNC=on
started=$(Scripts/postgres.sh start)
eval "$started"
trap 'Scripts/postgres.sh stop' EXIT
export APPS=${APPS:-1000} RUNS=${RUNS:-3} CONCURRENCY=${CONCURRENCY:-16}
echo "== SQLite file, one host"
Benchmarks/rotate.sh
echo "== PostgreSQL, one host"
POSTGRESQL=$SECRETS_TEST_POSTGRESQL Benchmarks/rotate.sh 2>/dev/null
echo "== PostgreSQL, two hosts at once"
POSTGRESQL=$SECRETS_TEST_POSTGRESQL HOSTS=2 Benchmarks/rotate.sh 2>/dev/null
