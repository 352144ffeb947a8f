#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: every benchmark and the long modes of the harnesses, each as a
# section between markers, so one section can be rerun without the others.
#
# Usage: Benchmarks/report.sh [SECTION…]      (default: all, in this order)
#   age      age decryption throughput, this package vs age -d         (Benchmarks/age-decrypt.sh)
#   vault    expiring and secret add at 1k/10k/100k apps vs age -d and sqlite3 (Benchmarks/vault.sh)
#   startup  start-up vs age --version; unlock at the default scrypt work factor (Benchmarks/startup.sh)
#   rotate   bulk rotation vs sequential, against the emulator           (Benchmarks/rotate.sh)
#   crash    the crash harness, long mode                                (Scripts/crash-harness.py)
#   fault    the fault harness, long mode                                (Scripts/fault-harness.py)
#   stateful the randomised stateful test, long mode, and the broken engines (Scripts/stateful-harness.py)
#   fuzz     every fuzz target, long mode                                (Scripts/fuzz.sh)
# Environment: RUNS (timed runs per figure, default 7; at least 5 for the report).
set -euo pipefail
script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$script_dir/.." && pwd)
cd -- "$root"
RUNS=${RUNS:-7}
report=$root/BENCHMARKS.md
all=(age vault startup rotate crash fault stateful fuzz)
sections=("$@")
((${#sections[@]})) || sections=("${all[@]}")

command_for() {
    case $1 in
        age) echo "RUNS=$RUNS SIZE_MIB=256 Benchmarks/age-decrypt.sh" ;;
        vault) echo "SIZES='1000 10000 100000' RUNS=$RUNS Benchmarks/vault.sh" ;;
        startup) echo "RUNS=21 UNLOCK_RUNS=$RUNS Benchmarks/startup.sh" ;;
        rotate) echo "APPS=1000 SEQUENTIAL_APPS=200 CONCURRENCY='16 1' RUNS=$RUNS Benchmarks/rotate.sh" ;;
        crash) echo "python3 Scripts/crash-harness.py --long" ;;
        fault) echo "python3 Scripts/fault-harness.py --long" ;;
        stateful) echo "python3 Scripts/stateful-harness.py --long" ;;
        fuzz) echo "RUNS=1000000 CONFIG=release JOBS=2 Scripts/fuzz.sh long" ;;
        *) echo "report.sh: unknown section '$1' (known: ${all[*]})" >&2; exit 64 ;;
    esac
}

title_for() {
    case $1 in
        age) echo "age decryption: this package vs age -d" ;;
        vault) echo "The vault: expiring and secret add at 1,000 / 10,000 / 100,000 apps" ;;
        startup) echo "Start-up and unlock" ;;
        rotate) echo "Rotation: bulk vs sequential" ;;
        crash) echo "Crash harness (SIGKILL at random points)" ;;
        fault) echo "Fault harness (429, 5xx, timeouts, dropped connections, slow responses)" ;;
        stateful) echo "Stateful harness (random person commands, kills and faults; broken engines)" ;;
        fuzz) echo "Fuzzing (libFuzzer)" ;;
    esac
}

for section in "${sections[@]}"; do command_for "$section" >/dev/null; done
[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 5)) || { echo "report.sh: RUNS must be at least 5 for the report" >&2; exit 64; }

machine() {
    local cpu
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
    echo "- CPU: $cpu, $(nproc) cores; memory $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "- System: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), Linux $(uname -r)"
    echo "- $(swift --version 2>/dev/null | head -n 1)"
    echo "- $(openssl version 2>/dev/null || echo 'openssl: not found'); age $(age --version 2>/dev/null || echo 'not found');" \
        "sqlite3 $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo 'not found'); Python $(python3 -c 'import platform; print(platform.python_version())')"
}

# Runs one section and replaces it in BENCHMARKS.md.
run_section() {
    local name=$1 command started load_start load_end seconds output errors status
    command=$(command_for "$name")
    echo "report.sh: [$name] $command" >&2
    load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    started=$(date -u +"%Y-%m-%d %H:%M UTC")
    output=$(mktemp)
    errors=$(mktemp)
    SECONDS=0
    status=0
    bash -c "$command" >"$output" 2> >(tee "$errors" >&2) || status=$?
    # A failed command's last words (on stderr) belong in its section.
    if ((status != 0)); then
        { echo; echo "stderr, last 20 lines:"; tail -n 20 -- "$errors"; } >>"$output"
    fi
    seconds=$SECONDS
    load_end=$(cut -d' ' -f1-3 /proc/loadavg)
    python3 "$script_dir/report-section.py" --report "$report" --name "$name" --title "$(title_for "$name")" \
        --command "$command" --started "$started" --seconds "$seconds" --status "$status" \
        --load "$load_start → $load_end" --machine "$(machine)" --output "$output"
    rm -f -- "$output" "$errors"
    ((status == 0)) || echo "report.sh: [$name] exited $status; its section says so" >&2
}

for section in "${sections[@]}"; do run_section "$section"; done
echo "report.sh: wrote $report" >&2
