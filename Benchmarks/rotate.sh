#!/usr/bin/env bash
# Times `secrets rotate --due` over APPS apps against the Entra ID emulator with LATENCY_MS of
# added latency per request, at the default concurrency and at --concurrency 1.
#
# Usage: Benchmarks/rotate.sh
# Environment: APPS (default 1000), LATENCY_MS (20), RUNS (1), CONCURRENCY ("16 1"),
#              SEQUENTIAL_APPS (apps for --concurrency 1; default APPS), WORK_DIR (Benchmarks/.work/rotate),
#              POSTGRESQL (a postgresql:// URL: each run's vault in a fresh schema there; see two-hosts.sh),
#              HOSTS (processes with their own identities running `rotate --due --wait` at once; default 1).
# See rotate-bench.py for what one run does.
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
package_root=$(cd -- "$script_dir/.." && pwd)
cd "$package_root"
echo "rotate.sh: building secrets and secrets-emulator (release)..." >&2
swift build -c release --product secrets --static-swift-stdlib --scratch-path .build-static >&2
swift build -c release --product secrets-rotate --static-swift-stdlib --scratch-path .build-static >&2
swift build -c release --product secrets-emulator --scratch-path .build-static >&2
bin_dir=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
read -r -a concurrency <<<"${CONCURRENCY:-16 1}"
exec python3 "$script_dir/rotate-bench.py" --secrets "$bin_dir/secrets" --emulator "$bin_dir/secrets-emulator" \
    --apps "${APPS:-1000}" --latency-ms "${LATENCY_MS:-20}" --runs "${RUNS:-1}" --concurrency "${concurrency[@]}" \
    --work "${WORK_DIR:-$script_dir/.work/rotate}" --sequential-apps "${SEQUENTIAL_APPS:-0}" \
    --hosts "${HOSTS:-1}" ${POSTGRESQL:+--postgresql "$POSTGRESQL"}
