#!/usr/bin/env bash
# The README's first command: install what the build needs, build, and run the main job on a
# throwaway local vault (init, add a sample app and its secret, list, expiring). No Azure or
# Jamf Pro is needed. The vault lives in a new temporary directory (or $SECRETS_DEMO_DIR),
# and the script prints where.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libssl-dev libsqlite3-dev age pkg-config)
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
secrets=$(swift build --product secrets --show-bin-path)/secrets

demo=${SECRETS_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/secrets-demo.XXXXXX")}
mkdir -p "$demo"
# Everything below reads these, exactly as an admin's shell would.
export SECRETS_VAULT="$demo/vault.sqlite" SECRETS_IDENTITY="$demo/identity.txt"

run() { echo; echo "\$ secrets $*"; "$secrets" "$@"; }

# A machine identity (no passphrase) keeps the demo non-interactive; people omit --no-passphrase.
run init --no-passphrase
run app add jamf-intune --app-id 0d7c5a2e-3f64-4b8e-9a51-6c2f1e8b4d07 --tenant contoso.onmicrosoft.com \
    --consumer jamf-pro-intune=https://contoso.jamfcloud.com --lifetime 180d --rotate-before 30d --overlap 7d
echo; echo "\$ <random value> | secrets secret add jamf-intune --expires 21d"
# The value goes in on stdin, never on the command line.
head -c 30 /dev/urandom | base64 | tr -d '/+=\n' | "$secrets" secret add jamf-intune --expires 21d
run list
status=0
run expiring --days 30 || status=$?
echo
echo "expiring exited $status (0 nothing expires in the window, 1 something does, 2 something already expired, 3 could not check)."
echo "The throwaway vault is in $demo; try: SECRETS_VAULT=$SECRETS_VAULT SECRETS_IDENTITY=$SECRETS_IDENTITY $secrets app show jamf-intune"
[[ $status -eq 1 ]]
