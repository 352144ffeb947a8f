#!/usr/bin/env bash
# The README's first command: install what the build needs, build, and run the main job on a
# throwaway local vault (init, add a sample app and its secret, list, expiring), then a rotation
# end to end against the local emulators of Entra ID and Jamf Pro (`secrets-emulator`): register
# the rotator, rotate --dry-run, rotate, the Jamf Pro payload, retire. No Azure or Jamf Pro is
# needed. The vault lives in a new temporary directory (or $SECRETS_DEMO_DIR), and the script
# prints where.
set -euo pipefail
cd "$(dirname "$0")/.."

# libcurl4-openssl-dev: secrets-rotate's HTTP layer calls libcurl directly (and the README's
# release build with --static-swift-stdlib links FoundationNetworking's libcurl by name).
packages=(libssl-dev libsqlite3-dev libcurl4-openssl-dev age pkg-config curl)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "Installing ${missing[*]} ..."
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

swift build --product secrets
swift build --product secrets-rotate   # `secrets rotate` runs in it (see README, Installing)
swift build --product secrets-emulator
bin=$(swift build --show-bin-path)
secrets=$bin/secrets

demo=${SECRETS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/secrets-demo.XXXXXX")}
mkdir -p "$demo"
# Everything below reads these, exactly as an admin's shell would.
export SECRETS_VAULT="$demo/vault.sqlite" SECRETS_IDENTITY="$demo/identity.txt"

# Echoed quoted as a shell needs them, so a copied line runs the same command.
shell_word() {
    if [[ $1 =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then printf ' %s' "$1"; else printf " '%s'" "${1//\'/\'\\\'\'}"; fi
}
run() { echo; printf '$ secrets'; for word in "$@"; do shell_word "$word"; done; echo; "$secrets" "$@"; }
random_secret() { head -c 30 /dev/urandom | base64 | tr -d '/+=\n'; }
new_guid() { cat /proc/sys/kernel/random/uuid; }

# A machine identity (no passphrase) keeps the demo non-interactive; people omit --no-passphrase.
run init --no-passphrase
run app add jamf-intune --app-id 0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07 --tenant contoso.onmicrosoft.com \
    --consumer jamf-pro-intune=https://contoso.jamfcloud.com --lifetime 180d --rotate-before 30d --overlap 7d
jamf_intune_secret=$(random_secret) jamf_intune_key=$(new_guid)
echo; echo "\$ <the app's current secret> | secrets secret add jamf-intune --key-id $jamf_intune_key --expires 21d"
# The value goes in on stdin, never on the command line (printf is a shell builtin: no argv).
printf '%s' "$jamf_intune_secret" | "$secrets" secret add jamf-intune --key-id "$jamf_intune_key" --expires 21d
run list
status=0
run expiring --days 30 || status=$?
echo
echo "expiring exited $status (0 nothing expires in the window, 1 something does, 2 something already expired, 3 could not check)."
[[ $status -eq 1 ]]

echo
echo "=== Part two: rotate it, against local emulators of Entra ID (Graph) and Jamf Pro ==="
# --jamf-report-on-save: the canary Mac sends inventory after each save, as if the apply command ran `jamf recon`.
"$bin/secrets-emulator" --jamf-report-on-save >"$demo/emulator.txt" 2>"$demo/emulator.log" &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ $(wc -l <"$demo/emulator.txt") -ge 2 ]] && break; sleep 0.1; done
entra=$(awk '$1 == "entra" { print $2 }' "$demo/emulator.txt")
jamf=$(awk '$1 == "jamf" { print $2 }' "$demo/emulator.txt")
[[ -n $entra && -n $jamf ]] || { echo "secrets-emulator did not start: $(cat "$demo/emulator.log")" >&2; exit 1; }
echo "Entra ID emulator at $entra, Jamf Pro emulator at $jamf"
# `secrets` talks to the emulators instead of Microsoft's hosts (http:// is accepted on loopback only).
export SECRETS_ENTRA_LOGIN_ENDPOINT=$entra SECRETS_GRAPH_ENDPOINT=$entra

# What already exists in a real tenant: the test world the tests and harnesses share (the rotator
# app with Application.ReadWrite.OwnedBy, a Jamf Pro API client for verification, a Mac that reports
# compliance), seeded in the emulators through their control API, which answers with the `secrets`
# commands that register it in the vault (secrets on stdin, never in argv). Then jamf-intune itself,
# owned by the rotator, with the secret it holds today.
control() { curl -sf -H 'Content-Type: application/json' --data-binary @- "$1"; }
in_days() { date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ; }
(umask 077; printf '{"jamf": true}' | control "$entra/_emulator/world?format=shell" >"$demo/world.sh")
world_rotator_app_id=$(sed -n 's/^world_rotator_app_id=//p' "$demo/world.sh")
printf '{"appId":"0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07","displayName":"Jamf Pro Intune","owners":["%s"]}' "$world_rotator_app_id" | control "$entra/_emulator/applications" >/dev/null
printf '{"keyId":"%s","value":"%s","endDateTime":"%s"}' "$jamf_intune_key" "$jamf_intune_secret" "$(in_days 21)" | control "$entra/_emulator/applications/0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07/secrets" >/dev/null

# Register the rotator and the Jamf Pro API client (the world's commands), and tell jamf-intune how
# it is rotated and where its secret goes: Jamf Pro's Intune integration, through an apply command
# that reads the payload on stdin, verified through the API client and canary computer 42.
secrets() { run "$@"; }
# shellcheck source=/dev/null
source "$demo/world.sh"
run app edit jamf-intune --issuer entra-id --rotator rotator --consumer "jamf-pro-intune=$jamf" \
    --jamf-api-client jamf-api --jamf-canary 42 --apply-command "$PWD/Examples/jamf-payload/apply-to-emulator.sh $jamf"
# Today Jamf Pro holds the current secret (an admin typed it into the form once).
"$secrets" jamf payload jamf-intune --reveal | Examples/jamf-payload/apply-to-emulator.sh "$jamf"

run rotate --due --dry-run
run rotate --due
run jamf payload jamf-intune --format text
saved=$(curl -sf "$jamf/_emulator/intune-integration")
echo; echo "Jamf Pro's Intune integration now holds a secret starting \"$(sed -n 's/.*"clientSecret" *: *"\(...\).*/\1/p' <<<"$saved")…\" (the new one starts \"$("$secrets" secret get jamf-intune | head -c 3)\")"
run rotate --due
run rotate --retire-now jamf-intune --yes
run log --app jamf-intune
# The scheduled job of Examples/scheduled-rotation: nothing is due now, and nothing expires within 30 days.
echo; echo "\$ Examples/scheduled-rotation/secrets-rotate.sh"
SECRETS_BINARY=$secrets Examples/scheduled-rotation/secrets-rotate.sh
echo
echo "The throwaway vault is in $demo; try: SECRETS_VAULT=$SECRETS_VAULT SECRETS_IDENTITY=$SECRETS_IDENTITY $secrets app show jamf-intune"
