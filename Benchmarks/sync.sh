#!/usr/bin/env bash
# Times `secrets sync` of a tenant of APPS applications (2 secrets and 1 certificate each) against
# the Entra ID emulator with LATENCY_MS of added latency per request: the first full sync, an
# incremental one after CHANGES changes, and `expiring` afterwards.
#
# Usage: Benchmarks/sync.sh
# Environment: APPS (default 10000), LATENCY_MS (20), CHANGES (100), WORK_DIR (Benchmarks/.work/sync).
# See sync-bench.py for what a run does.
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
package_root=$(cd -- "$script_dir/.." && pwd)
cd "$package_root"
echo "sync.sh: building secrets, secrets-rotate and secrets-emulator (release)..." >&2
swift build -c release --product secrets --static-swift-stdlib --scratch-path .build-static >&2
swift build -c release --product secrets-rotate --static-swift-stdlib --scratch-path .build-static >&2
swift build -c release --product secrets-emulator --scratch-path .build-static >&2
bin_dir=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
exec python3 "$script_dir/sync-bench.py" --secrets "$bin_dir/secrets" --emulator "$bin_dir/secrets-emulator" \
    --apps "${APPS:-10000}" --latency-ms "${LATENCY_MS:-20}" --changes "${CHANGES:-100}" --work "${WORK_DIR:-$script_dir/.work/sync}"
