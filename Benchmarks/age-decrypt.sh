#!/usr/bin/env bash
# Times `age-decrypt-benchmark` (this package, over OpenSSL) against the stock
# `age -d` on the same file, and prints a small table.
#
# Usage: Benchmarks/age-decrypt.sh          (from any directory)
#
# Environment:
#   SIZE_MIB   payload size in MiB                         (default 256)
#   RUNS       timed runs of each decryptor                (default 7)
#   WORK_DIR   where the payload, identity and age file go (default Benchmarks/.work,
#              git-ignored); a relative path is taken from the caller's directory.
#   AGE, AGE_KEYGEN   the reference tools                  (default: found on PATH)
#
# The payload, identity and encrypted file are created once and reused; the
# payload and its age file are named after SIZE_MIB, so changing it creates a
# new pair. Delete WORK_DIR to start over.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
package_root=$(cd -- "$script_dir/.." && pwd)

SIZE_MIB=${SIZE_MIB:-256}
RUNS=${RUNS:-7}
WORK_DIR=${WORK_DIR:-$script_dir/.work}
AGE=${AGE:-$(command -v age || true)}
AGE_KEYGEN=${AGE_KEYGEN:-$(command -v age-keygen || true)}

die() { echo "age-decrypt.sh: $*" >&2; exit 1; }
log() { echo "age-decrypt.sh: $*" >&2; }

[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MIB must be a positive integer, got '$SIZE_MIB'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -n $AGE && -x $AGE ]] || die "age not found (install age, or set AGE)"
[[ -n $AGE_KEYGEN && -x $AGE_KEYGEN ]] || die "age-keygen not found (install age, or set AGE_KEYGEN)"

mkdir -p -- "$WORK_DIR"
WORK_DIR=$(cd -- "$WORK_DIR" && pwd)   # absolute, resolved against the caller's cwd

# --- 1. Build -----------------------------------------------------------------
cd -- "$package_root"
log "building age-decrypt-benchmark (release)..."
swift build -c release --product age-decrypt-benchmark >&2
bin_dir=$(swift build -c release --show-bin-path)
OURS=$bin_dir/age-decrypt-benchmark
[[ -x $OURS ]] || die "no executable at $OURS after the build"

# --- 2. Inputs (created once) ---------------------------------------------------
identity=$WORK_DIR/identity.txt
payload=$WORK_DIR/payload-${SIZE_MIB}MiB.bin
encrypted=$WORK_DIR/payload-${SIZE_MIB}MiB.bin.age
payload_bytes=$((SIZE_MIB * 1024 * 1024))

tmp_files=()
cleanup() { ((${#tmp_files[@]} == 0)) || rm -f -- "${tmp_files[@]}"; }
trap cleanup EXIT
# new_tmp: sets $tmp to a fresh file in WORK_DIR, removed on exit (not in $(...): that is a subshell).
new_tmp() { tmp=$(mktemp "$WORK_DIR/.tmp.XXXXXX"); tmp_files+=("$tmp"); }

if [[ ! -s $identity ]]; then
    log "creating identity $identity"
    rm -f -- "$encrypted"                       # encrypted to a previous identity
    new_tmp; rm -f -- "$tmp"             # age-keygen -o refuses to overwrite
    "$AGE_KEYGEN" -o "$tmp" 2>/dev/null
    mv -- "$tmp" "$identity"
fi
recipient=$("$AGE_KEYGEN" -y "$identity")

if [[ ! -f $payload || $(stat -c %s -- "$payload") -ne $payload_bytes ]]; then
    log "creating ${SIZE_MIB} MiB random payload $payload"
    rm -f -- "$encrypted"
    new_tmp
    head -c "$payload_bytes" /dev/urandom >"$tmp"
    mv -- "$tmp" "$payload"
fi

if [[ ! -s $encrypted || $encrypted -ot $payload || $encrypted -ot $identity ]]; then
    log "encrypting to $encrypted"
    new_tmp
    "$AGE" -r "$recipient" -o "$tmp" "$payload"
    mv -- "$tmp" "$encrypted"
fi

# --- 3. Correctness ------------------------------------------------------------
# Our binary writes to /dev/null, so only `age -d` is checked byte for byte; the
# test suite covers our plaintext. Ours must exit 0 and report its peak RSS.
log "checking the age file with age -d..."
"$AGE" -d -i "$identity" "$encrypted" | cmp -s - "$payload" \
    || die "age -d output differs from the payload; delete $WORK_DIR and retry"

new_tmp; ours_err=$tmp
log "checking that age-decrypt-benchmark exits 0..."
if ! "$OURS" "$identity" "$encrypted" 2>"$ours_err"; then
    cat -- "$ours_err" >&2
    die "age-decrypt-benchmark failed on a file that age -d decrypts"
fi
grep -q 'peak RSS: [0-9]* KiB' "$ours_err" || die "no 'peak RSS' line from age-decrypt-benchmark: $(cat -- "$ours_err")"

# --- 4. Timing ------------------------------------------------------------------
ours_cmd=("$OURS" "$identity" "$encrypted")
age_cmd=("$AGE" -d -i "$identity" -o /dev/null "$encrypted")

ours_ns=(); age_ns=(); ours_rss=()
elapsed_ns=0

run_ours() {
    local start end
    start=$(date +%s%N)
    if ! "${ours_cmd[@]}" 2>"$ours_err"; then
        cat -- "$ours_err" >&2; die "age-decrypt-benchmark failed during timing"
    fi
    end=$(date +%s%N)
    elapsed_ns=$((end - start))
}
run_age() {
    local start end
    start=$(date +%s%N)
    "${age_cmd[@]}" || die "age -d failed during timing"
    end=$(date +%s%N)
    elapsed_ns=$((end - start))
}
rss_kib() { sed -n 's/.*peak RSS: \([0-9]*\) KiB.*/\1/p' "$ours_err" | tail -n 1; }

log "warm-up (not counted)..."
run_ours; run_age

# Alternate, and swap who goes first every other round (ours/age, age/ours, ...)
# so neither side always runs right after the other.
for ((i = 1; i <= RUNS; i++)); do
    log "run $i/$RUNS"
    if ((i % 2)); then
        run_ours; ours_ns+=("$elapsed_ns"); ours_rss+=("$(rss_kib)")
        run_age;  age_ns+=("$elapsed_ns")
    else
        run_age;  age_ns+=("$elapsed_ns")
        run_ours; ours_ns+=("$elapsed_ns"); ours_rss+=("$(rss_kib)")
    fi
done

# age's peak RSS, for comparison: one extra, untimed run under GNU time if present.
age_rss=n/a
if [[ -x /usr/bin/time ]]; then
    new_tmp; age_rss_file=$tmp
    /usr/bin/time -f '%M' -o "$age_rss_file" "${age_cmd[@]}" && age_rss=$(tail -n 1 -- "$age_rss_file")
fi

# --- 5. Report ----------------------------------------------------------------
# stats NS... -> "median min max" in seconds
stats() {
    printf '%s\n' "$@" | sort -n | awk '
        { v[NR] = $1 / 1e9 }
        END {
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", med, v[1], v[NR]
        }'
}
read -r ours_med ours_min ours_max < <(stats "${ours_ns[@]}")
read -r age_med age_min age_max < <(stats "${age_ns[@]}")
ours_rss_max=$(printf '%s\n' "${ours_rss[@]}" | sort -n | tail -n 1)
ours_rss_min=$(printf '%s\n' "${ours_rss[@]}" | sort -n | head -n 1)

mib_s() { awk -v mib="$SIZE_MIB" -v s="$1" 'BEGIN { printf "%.1f", mib / s }'; }
kib_to_mib() { [[ $1 == n/a ]] && echo n/a || awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
ratio=$(awk -v a="$age_med" -v o="$ours_med" 'BEGIN { printf "%.2f", a / o }')

quote() { local out=() a; for a in "$@"; do out+=("$(printf '%q' "$a")"); done; echo "${out[*]}"; }

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[[ -n $cpu_model ]] || cpu_model=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ { print $2; exit }' || true)
libcrypto=$(ldd "$OURS" 2>/dev/null | awk '/libcrypto/ { print $3; exit }' || true)
openssl_version=$(openssl version 2>/dev/null || echo "openssl CLI not found")

echo
echo "age decrypt benchmark: ${SIZE_MIB} MiB random payload, ${RUNS} timed runs each (+1 warm-up each, dropped), alternating"
echo
printf '%-6s %10s %10s %10s %12s %14s\n' "" "median s" "min s" "max s" "MiB/s (med)" "peak RSS"
printf '%-6s %10s %10s %10s %12s %14s\n' "ours" "$ours_med" "$ours_min" "$ours_max" "$(mib_s "$ours_med")" "$(kib_to_mib "$ours_rss_max")"
printf '%-6s %10s %10s %10s %12s %14s\n' "age" "$age_med" "$age_min" "$age_max" "$(mib_s "$age_med")" "$(kib_to_mib "$age_rss")"
echo
echo "ratio age median / ours median: ${ratio}  (>1 means ours is faster)"
echo "ours peak RSS over the timed runs: ${ours_rss_min}..${ours_rss_max} KiB (reported by the benchmark)"
if [[ $age_rss != n/a ]]; then
    echo "age peak RSS: ${age_rss} KiB (one extra untimed run under /usr/bin/time)"
fi
echo
echo "commands:"
echo "  ours: $(quote "${ours_cmd[@]}")"
echo "  age:  $(quote "${age_cmd[@]}")"
echo "  (input: $(stat -c %s -- "$encrypted") bytes encrypted, $payload_bytes bytes plaintext; timed with date +%s%N)"
echo
echo "machine:"
echo "  nproc:   $(nproc)"
echo "  CPU:     ${cpu_model:-unknown}"
echo "  OpenSSL: ${openssl_version}; ours links ${libcrypto:-libcrypto (not found by ldd)}"
echo "  age:     $("$AGE" --version 2>&1) ($AGE)"
echo "  swift:   $(swift --version 2>/dev/null | head -n 1)"
