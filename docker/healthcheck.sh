#!/usr/bin/env bash
# The image's HEALTHCHECK: healthy when the real server answers over TCP (the entrypoint's
# temporary init server listens on its socket only), lead_assigner is installed in POSTGRES_DB
# and the simulation's last run, if pg_cron is there, did not fail. Prints why when not.
set -uo pipefail
failed="${PGDATA:-/var/lib/postgresql/data}/lead_assigner-init-failed"
if [ -f "$failed" ]; then
  echo "the first start failed: $(cat "$failed")"
  exit 1
fi
db=${POSTGRES_DB:-postgres}
psql=(psql -X -q -tA --no-password -h 127.0.0.1 -p "${PGPORT:-5432}" -U "${POSTGRES_USER:-postgres}" -d "$db")
installed=$("${psql[@]}" -c "SELECT string_agg(extname, ' ') FROM pg_extension WHERE extname IN ('lead_assigner', 'pg_cron')" 2>&1) ||
  { echo "the server does not answer: $installed"; exit 1; }
[[ " $installed " == *" lead_assigner "* ]] || { echo "lead_assigner is not installed in database $db"; exit 1; }
if [[ " $installed " == *" pg_cron "* ]]; then
  run=$("${psql[@]}" -c "SELECT coalesce(last_run_message, 'no message') FROM simulation_status() WHERE last_run_status = 'failed'" 2>&1) ||
    { echo "simulation_status() failed: $run"; exit 1; }
  [ -z "$run" ] || { echo "the last simulation run failed: $run"; exit 1; }
fi
echo ok
