#!/bin/sh
# An apply command for demos and tests: saves the payload it reads on stdin into the loopback
# Jamf Pro emulator, the way an admin saves the Jamf Pro form (the emulator tests the secret on
# Save and refuses one that does not work, as Jamf Pro does).
#
#   secrets app edit APP --apply-command "Examples/jamf-payload/apply-to-emulator.sh http://127.0.0.1:PORT"
#
# The secret arrives on stdin only and goes straight into curl's request body; it is never in an
# argument, the environment or a file.
set -eu
emulator=${1:?usage: apply-to-emulator.sh http://127.0.0.1:PORT}
exec curl -sS --fail-with-body --max-time 30 -X PUT -H 'Content-Type: application/json' \
    --data-binary @- "$emulator/_emulator/intune-integration"
