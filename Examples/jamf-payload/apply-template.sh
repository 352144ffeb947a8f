#!/bin/sh
# A starting point for a site's apply command. `secrets` runs it as `/bin/sh -c COMMAND` with:
#   stdin   the payload JSON (schema: Schemas/jamf-intune-payload.v1.schema.json), secret revealed
#   env     SECRETS_APP_LABEL, SECRETS_APP_ID, SECRETS_KEY_ID, SECRETS_ROTATION_ID (no SECRETS_* paths)
#   time    a timeout, after which the whole process group gets SIGTERM, then SIGKILL
# Exit 0 only once the settings are saved in Jamf Pro (its Save tests them); anything else fails
# the rotation's deploy step, which then keeps the old secret in use. stderr is shown (shortened,
# the secret redacted) in the failure.
set -eu
umask 077

# Keep the document in memory only: no temporary file that could outlive a crash.
payload=$(cat)

# Refuse anything that is not a version-1 update payload carrying a secret.
printf '%s' "$payload" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["kind"] == "jamf-pro-macos-intune-integration" and doc["schemaVersion"] == 1, "not a v1 payload"
assert doc["action"] in ("update", "disconnect"), "unknown action"
if doc["action"] == "update":
    assert doc["settings"]["clientSecret"], "the payload is redacted"
' >&2

# Hand it to whatever enters it into Jamf Pro here: a UI-automation job, a change ticket for the
# Jamf administrators, an internal service. Replace this line; keep the secret on stdin.
printf '%s' "$payload" | "${JAMF_APPLY_BACKEND:?set JAMF_APPLY_BACKEND to the program that enters the settings}"

echo "applied secret $SECRETS_KEY_ID of $SECRETS_APP_LABEL" >&2
