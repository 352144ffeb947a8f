#!/usr/bin/env bash
# Runs from cron or a systemd timer on the machine that holds the vault and an admin machine
# identity (`secrets init --no-passphrase`, or `secrets recipients add` of a machine key).
#
#   1. `secrets rotate --due`: resumes anything left half done, retires previous secrets whose
#      overlap has passed, and rotates every app that is due. Exit 0: all done or nothing to do;
#      1: an app failed (each is named on stderr); 75: another run holds the lock.
#   2. `secrets expiring --days 30`: what still expires soon (0 none, 1 within 30 days, 2 expired,
#      3 could not check), for the mail cron sends or the journal systemd keeps.
#   3. Optionally writes the Prometheus textfile for node-exporter's textfile collector.
#
# Configure with the environment (see the systemd unit): SECRETS_VAULT, SECRETS_IDENTITY, and
# PROMETHEUS_TEXTFILE_DIR to also write secrets.prom there.
set -uo pipefail

secrets=${SECRETS_BINARY:-secrets}
status=0

"$secrets" rotate --due </dev/null || status=$?

"$secrets" expiring --days 30
expiring=$?
# 1 (something expires within 30 days) is normal between rotations; 2 and 3 need a person.
if ((expiring >= 2)); then status=$((status == 0 ? expiring : status)); fi

if [[ -n ${PROMETHEUS_TEXTFILE_DIR:-} ]]; then
    tmp=$(mktemp "$PROMETHEUS_TEXTFILE_DIR/.secrets.prom.XXXXXX")
    "$secrets" expiring --days 3650 --format prometheus >"$tmp" || true
    mv "$tmp" "$PROMETHEUS_TEXTFILE_DIR/secrets.prom"
fi
exit "$status"
