#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (AddressSanitizer + libFuzzer) and runs each of them.
#
#   Scripts/fuzz.sh short   # CI: RUNS (default 20000) executions or MAX_TIME (default 60) s per target
#   Scripts/fuzz.sh long    # report: RUNS (default 1000000) executions per target
#   Scripts/fuzz.sh merge   # after a run (same WORK): minimise the committed corpora (-merge=1)
#
# Each target starts from its committed corpus (Fuzz/Corpus/<target>), its hand-written seeds
# (Fuzz/Seeds/<target>) and seeds made at run time from the age conformance vectors
# (AGE_TESTKIT_DIR, default ../shared/testdata/age-testkit) and the repository's fixtures; new
# inputs go to a scratch directory, never into the repository. TARGETS selects targets
# (space-separated), JOBS runs that many targets at once (default 1), MAX_TIME stops each target
# after that many seconds even if RUNS is not reached, UNIT_TIMEOUT (default 10) bounds one input,
# CONFIG=release builds optimised. Prints executions, exec/s
# and the result per target; exits non-zero if any target crashed, leaked, timed out or broke
# a property. A failing input is kept as $WORK/<target>/crash-* (printed), with the command
# that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=${1:-short}
case "$mode" in
    # Short mode also stops each target after a minute, so CI's time stays bounded on a slow machine.
    short) runs=${RUNS:-20000} max_time=${MAX_TIME:-60} ;;
    long) runs=${RUNS:-1000000} max_time=${MAX_TIME:-} ;;
    merge) runs=0 max_time= ;;
    *) echo "usage: $0 [short|long|merge]" >&2; exit 64 ;;
esac
targets=${TARGETS:-"FuzzAgeHeader FuzzIdentityFile FuzzExportDocument FuzzAzureImport FuzzIssuerAnswers FuzzCertificate"}
jobs=${JOBS:-1}
export AGE_TESTKIT_DIR=${AGE_TESTKIT_DIR:-$root/../shared/testdata/age-testkit}
[ -d "$AGE_TESTKIT_DIR" ] || echo "fuzz: no age testkit at $AGE_TESTKIT_DIR; running without its seeds and keys" >&2
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/secrets-fuzz.XXXXXX")}
mkdir -p "$WORK"
export WORK
# No stack traces for every allocation (3x faster; a report still has the faulting stack).
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0:detect_leaks=0}
# The Swift runtime's own backtracer fights ASan over a crash; libFuzzer prints the stack.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}

start=$(date +%s)
# The flags go to every module, so the libraries are instrumented too, not only the targets.
# CONFIG=release optimises (several times the executions per second, a much longer first
# build); it needs -enable-testing for the targets' @testable imports, which debug implies.
# (gold warns about every ASan assembly helper it cannot export; those lines are dropped.)
config=${CONFIG:-debug}
build=(swift build --package-path Fuzz -c "$config")
[ "$config" = release ] && build+=(-Xswiftc -enable-testing)
build+=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
build_status=0
"${build[@]}" > "$WORK/build.log" 2>&1 || build_status=$?
if [ "$build_status" != 0 ]; then
    grep -v "Cannot export local symbol '__asan" "$WORK/build.log" >&2 || true
    echo "fuzz: the build failed (log: $WORK/build.log)" >&2
    exit 1
fi
bin=$("${build[@]}" --show-bin-path)
for target in $targets; do [ -x "$bin/$target" ] || { echo "fuzz: $target did not build" >&2; exit 1; }; done
echo "fuzz: build took $(( $(date +%s) - start )) s"

# Seeds made at run time, so that nothing of the testkit is copied into the repository.
seeds() {
    local target=$1 directory=$2
    mkdir -p "$directory"
    case "$target" in
        FuzzAgeHeader | FuzzIdentityFile)
            # The age file of every vector: everything after the preamble's blank line.
            python3 - "$AGE_TESTKIT_DIR" "$directory" <<'PY'
import os, sys
kit, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(kit)) if os.path.isdir(kit) else []:
    if name in ('README.md', 'LICENSE') or name.startswith('.'):
        continue
    data = open(os.path.join(kit, name), 'rb').read()
    if b'\n\n' in data:
        open(os.path.join(out, 'testkit-' + name), 'wb').write(data[data.index(b'\n\n') + 2:])
PY
            if [ "$target" = FuzzIdentityFile ]; then
                # The vectors' identities, one file each, as an identity file would hold them.
                grep -ah '^identity: ' "$AGE_TESTKIT_DIR"/* 2>/dev/null | sort -u | sed 's/^identity: //' |
                    awk -v d="$directory" '{ printf "# from the testkit\n%s\n", $0 > (d "/testkit-identity-" NR) }'
            fi
            ;;
        FuzzExportDocument | FuzzAzureImport)
            # The Azure fixtures of the unit tests (Swift multi-line string literals) and the
            # example JSON documents.
            python3 - "$root/Tests/ClientSecretsTests/Support/AzureFixtures.swift" "$directory" <<'PY'
import re, sys
source = open(sys.argv[1]).read()
for name, body in re.findall(r'static let (\w+) = """\n(.*?)\n\s*"""', source, re.S):
    lines = body.split('\n')
    indent = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    open(f'{sys.argv[2]}/fixture-{name}.json', 'w').write('\n'.join(l[indent:] for l in lines))
PY
            for json in Examples/*/*.json; do cp "$json" "$directory/example-$(basename "$json")"; done
            ;;
        FuzzCertificate)
            # Throwaway keys and certificates in every form the readers take, made now with
            # Python's cryptography (no key is ever committed).
            python3 - "$directory" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, ec
out = sys.argv[1]
def write(name, data):
    open(f'{out}/{name}', 'wb').write(data)
for bits in (2048, 1024):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f'seed {bits}')])
    now = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    write(f'cert-{bits}.pem', cert.public_bytes(serialization.Encoding.PEM))
    write(f'cert-{bits}.der', cert.public_bytes(serialization.Encoding.DER))
    for form, label in ((serialization.PrivateFormat.PKCS8, 'pkcs8'), (serialization.PrivateFormat.TraditionalOpenSSL, 'pkcs1')):
        write(f'key-{bits}-{label}.pem', key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()))
        write(f'key-{bits}-{label}.der', key.private_bytes(serialization.Encoding.DER, form, serialization.NoEncryption()))
write('key-ec.pem', ec.generate_private_key(ec.SECP256R1()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
            ;;
    esac
}

run_target() {
    local target=$1 dir=$WORK/$target
    mkdir -p "$dir/new" "$dir/generated"
    seeds "$target" "$dir/generated"
    local corpora=("$dir/new" "$dir/generated")
    for committed in "Fuzz/Corpus/$target" "Fuzz/Seeds/$target"; do [ -d "$committed" ] && corpora+=("$root/$committed"); done
    # UNIT_TIMEOUT: seconds one input may take. No input here takes a second; on a shared machine
    # a starved fuzzer can stall for longer than that, which libFuzzer would report as a hang.
    local options=(-runs="$runs" ${max_time:+-max_total_time=$max_time} -timeout="${UNIT_TIMEOUT:-10}" -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/")
    # Identity files are a few hundred bytes; the testkit's 200 KB payloads only slow that target
    # down (their headers, which it reads, fit easily).
    [ "$target" = FuzzIdentityFile ] && options+=(-max_len=16384)
    local t0=$(date +%s) status=0
    (cd "$dir" && "$bin/$target" "${options[@]}" "${corpora[@]}") > "$dir/log" 2>&1 || status=$?
    local seconds=$(( $(date +%s) - t0 ))
    local executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
    local speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
    local coverage=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1)
    if [ "$status" = 0 ]; then
        printf '%-20s ok      %9s executions  %6s exec/s  %5s s  %s\n' "$target" "${executions:-?}" "${speed:-?}" "$seconds" "$coverage"
    else
        printf '%-20s FAILED  %9s executions  %6s exec/s  %5s s  (exit %s)\n' "$target" "${executions:-?}" "${speed:-?}" "$seconds" "$status"
        grep -E "ERROR|fuzz property violated|SUMMARY|Test unit written" "$dir/log" | sed 's/^/    /' | head -20
        echo "    log: $dir/log"
        echo "    reproduce: (cd $dir && AGE_TESTKIT_DIR=$AGE_TESTKIT_DIR $bin/$target CRASH_FILE)"
        return 1
    fi
}

merge_target() {
    local target=$1 dir=$WORK/$target
    mkdir -p "Fuzz/Corpus/$target"
    # Candidates: the committed corpus, the hand-written seeds and what the last run found, without
    # inputs over 64 KiB, to keep the corpus small (the payload chunk boundaries those exercise come
    # back from the testkit seeds on every run). The run-time seeds are left out, so that no
    # testkit vector is copied into the repository.
    rm -rf "$dir/candidates" "$dir/merged"
    mkdir -p "$dir/candidates" "$dir/merged"
    for source in "Fuzz/Corpus/$target" "Fuzz/Seeds/$target" "$dir/new"; do
        [ -d "$source" ] && find "$source" -type f -size -65537c -exec cp {} "$dir/candidates/" \;
    done
    # libFuzzer names what it saves by SHA-1, and saves seeds that add coverage too: drop those.
    if [ -d "$dir/generated" ]; then
        for seed in "$dir/generated"/*; do rm -f "$dir/candidates/$(sha1sum "$seed" | cut -c1-40)"; done
    fi
    (cd "$dir" && "$bin/$target" -merge=1 -timeout=10 "$dir/merged" "$dir/candidates") > "$dir/merge.log" 2>&1
    rm -f "Fuzz/Corpus/$target"/*
    cp "$dir/merged"/* "Fuzz/Corpus/$target/" 2>/dev/null || true
    echo "$target: $(ls "Fuzz/Corpus/$target" | wc -l) inputs, $(du -sk "Fuzz/Corpus/$target" | cut -f1) KiB"
}

failed=0
if [ "$mode" = merge ]; then
    for target in $targets; do merge_target "$target"; done
    exit 0
fi
echo "fuzz: $mode mode, $runs executions per target, work directory $WORK"
if [ "$jobs" -gt 1 ]; then
    pids=()
    for target in $targets; do
        run_target "$target" > "$WORK/$target.result" 2>&1 &
        pids+=($!)
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    for target in $targets; do cat "$WORK/$target.result"; done
else
    for target in $targets; do run_target "$target" || failed=1; done
fi
echo "fuzz: $mode mode took $(( $(date +%s) - start )) s in all"
exit $failed
