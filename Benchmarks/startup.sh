#!/usr/bin/env bash
# Start-up (`secrets --version` vs `age --version`) and unlock time at the default scrypt work
# factor (a passphrase identity vs a machine identity, and vs scrypt alone). Prints a Markdown table.
#
# Usage: Benchmarks/startup.sh
# Environment: RUNS (start-up runs, default 21), UNLOCK_RUNS (default 7), AGE, AGE_KEYGEN.
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd -- "$script_dir/.."
AGE=${AGE:-$(command -v age || true)}
AGE_KEYGEN=${AGE_KEYGEN:-$(command -v age-keygen || true)}
[[ -n $AGE && -n $AGE_KEYGEN ]] || { echo "startup.sh: age and age-keygen are needed (apt-get install age)" >&2; exit 1; }
echo "startup.sh: building secrets (release, --static-swift-stdlib)..." >&2
swift build -c release --product secrets --static-swift-stdlib --scratch-path .build-static >&2
bin_dir=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
exec python3 "$script_dir/startup-bench.py" --secrets "$bin_dir/secrets" --age "$AGE" --age-keygen "$AGE_KEYGEN" \
    --runs "${RUNS:-21}" --unlock-runs "${UNLOCK_RUNS:-7}"
