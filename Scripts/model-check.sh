#!/usr/bin/env bash
# Exhaustive check of Models/rotation.pml with spin (Debian package `spin`, and gcc).
#
#   Scripts/model-check.sh            CI: the engine as it is (FIX=F_ALL, the model's default) in
#                                     each configuration: must pass
#   Scripts/model-check.sh broken     every deliberately broken engine must be caught
#   Scripts/model-check.sh findings   the record: the engine before issue 13 (FIX=0) shows its known
#                                     violations, and each fix is necessary (all fixes but one -> a
#                                     violation)
# Exit 1 on any unexpected result. About a minute per mode on 2 idle cores.
set -uo pipefail
cd "$(dirname "$0")/.."
model=$PWD/Models/rotation.pml
mode=${1:-ci}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
F_ALL=1023
bad=0

# check NAME EXPECT ARGS...   EXPECT: pass | violation | known:<text in the assertion>
check() {
    local name=$1 expect=$2; shift 2
    local d=$work/$name; mkdir -p "$d"; cp "$model" "$d/"
    ( cd "$d" && spin "$@" -a rotation.pml >spin.out 2>&1 && gcc -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=2048 -o pan pan.c 2>gcc.out ) \
        || { echo "FAIL $name: spin/gcc: $(cat "$d"/spin.out "$d"/gcc.out)"; bad=1; return; }
    local start=$SECONDS
    ( cd "$d" && ./pan -m300000 >pan.out 2>&1 )
    local states depth errors what
    states=$(awk '/states, stored/{print $1}' "$d/pan.out")
    depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$d/pan.out")
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$d/pan.out")
    what=$(grep -m1 -o 'assertion violated.*' "$d/pan.out")
    grep -q "Search not completed" "$d/pan.out" && [ "${errors:-1}" = 0 ] && what="search not completed"
    local line="$name: ${states:-?} states, depth ${depth:-?}, errors ${errors:-?}, $((SECONDS - start)) s ($*)"
    local result
    if [ "${errors:-1}" = 0 ] && [ -z "$what" ]; then result=pass; else result=violation; fi
    case $expect in
        pass) [ $result = pass ] && echo "ok   $line" || { echo "FAIL $line: $what"; bad=1; } ;;
        violation) [ $result = violation ] && echo "ok   $line: caught: $what" || { echo "FAIL $line: NOT caught"; bad=1; } ;;
        known:*)
            if [ $result = violation ] && [[ $what == *"${expect#known:}"* ]]; then
                echo "KNOWN $line: $what"
            else
                echo "FAIL $line: expected the known violation ${expect#known:}, got: ${what:-none}"; bad=1
            fi ;;
    esac
    if [ $result = violation ] && [ "${SHOW_TRAIL:-0}" = 1 ]; then
        ( cd "$d" && spin "$@" -t rotation.pml | grep -v '^\s*$' | sed '/^#processes/q' | sed 's/^/      /' )
    fi
}

I1='iss[holds[0]]==2'; I2='evid[0]!=0'; I4='!(ichg)'; I5='holds[c]==jkey[r]'
case $mode in
ci)
    echo "== the engine as it is (FIX=$F_ALL)"
    check entra        pass -DISSUER=ENTRA
    check jamf         pass -DISSUER=JAMFAPI
    check entra-silent pass -DISSUER=ENTRA -DSILENT=1
    check entra-person pass -DISSUER=ENTRA -DPERSON=1
    check jamf-person  pass -DISSUER=JAMFAPI -DPERSON=1
    ;;
broken)
    check retire_before_verify       violation -DBROKEN=B_retire_before_verify
    check stale_canary               violation -DSILENT=1 -DBROKEN=B_stale_canary
    check journal_after_create       violation -DBROKEN=B_journal_after_create
    check retire_now_while_waiting   violation -DPERSON=1 -DBROKEN=B_retire_now_while_waiting
    check abort_without_restore      violation -DBROKEN=B_abort_without_restore
    check abandon_while_waiting      violation -DPERSON=1 -DBROKEN=B_abandon_while_waiting
    ;;
findings)
    echo "== the engine before issue 13 (FIX=0), for the record"
    check before-entra        "known:$I1" -DISSUER=ENTRA -DFIX=0
    check before-jamf         pass        -DISSUER=JAMFAPI -DFIX=0
    check before-entra-silent "known:$I5" -DISSUER=ENTRA -DSILENT=1 -DFIX=0
    check before-entra-person "known:$I5" -DISSUER=ENTRA -DPERSON=1 -DFIX=0
    check before-jamf-person  "known:$I5" -DISSUER=JAMFAPI -DPERSON=1 -DFIX=0
    echo "== each fix is necessary"
    for f in 1: 2:-DPERSON=1 2:-DSILENT=1 4:-DPERSON=1 8:-DPERSON=1 16:-DPERSON=1 32:-DPERSON=1 64:-DPERSON=1 \
             128:-DPERSON=1 256:-DPERSON=1 "512:-DISSUER=JAMFAPI -DPERSON=1"; do
        bit=${f%%:*}; args=${f#*:}
        # shellcheck disable=SC2086
        check "without-fix-$bit" violation $args -DFIX=$((F_ALL & ~bit))
    done
    ;;
*) echo "usage: $0 [ci|broken|findings]" >&2; exit 64 ;;
esac
[ $bad = 0 ] && echo "model-check: all as expected" || echo "model-check: UNEXPECTED RESULTS"
exit $bad
