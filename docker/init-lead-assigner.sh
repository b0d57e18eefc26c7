#!/usr/bin/env bash
# First start of the lead_assigner image (empty data directory): the official postgres entrypoint
# runs this from /docker-entrypoint-initdb.d on its temporary, socket-only server, which it starts
# with the container's command-line options (so pg_cron and lead_assigner are preloaded here too).
# It creates the extensions in POSTGRES_DB, loads the demo sellers, applies LEADS_MIN / LEADS_MAX
# and schedules the simulation every SIMULATION_INTERVAL (empty: the finest pg_cron supports).
# Later starts skip it: change things with SQL then
# (SELECT start_simulation('30 seconds'); ALTER DATABASE ... SET lead_assigner.leads_max = 10;).
#
# All or nothing: the environment is checked first, then everything runs in one transaction, so a
# bad value leaves no half-initialised database behind. A failure also writes its reason to
# $PGDATA/lead_assigner-init-failed: the entrypoint skips this script on later starts (the data
# directory exists), so docker/entrypoint.sh repeats the reason at every start and
# docker/healthcheck.sh reports it.
set -euo pipefail

db=${POSTGRES_DB:?}
interval=${SIMULATION_INTERVAL:-}
leads_min=${LEADS_MIN:-}
leads_max=${LEADS_MAX:-}
sellers_sql=${LEAD_ASSIGNER_DEMO_SELLERS:-/usr/share/lead_assigner/demo-sellers.sql}
psql_db=(psql -v ON_ERROR_STOP=1 -X -q --no-password --username "${POSTGRES_USER:?}" --dbname "$db")
say() { printf 'lead_assigner init: %s\n' "$*"; }
fail() {
  say "error: $*" >&2
  printf '%s\n' "$*" >"${PGDATA:?}/lead_assigner-init-failed"
  exit 1
}

say "pg_cron's launcher may have logged 'FATAL: database \"$db\" does not exist' above: on this" \
  "temporary server it starts before the entrypoint creates $db, and connects once it exists (harmless)"
cron_db=$("${psql_db[@]}" -tAc "SELECT coalesce(current_setting('cron.database_name', true), '')")
[ -n "$cron_db" ] ||
  fail "pg_cron is not preloaded; start the server with -c shared_preload_libraries=pg_cron,lead_assigner -c cron.database_name=$db"
[ "$cron_db" = "$db" ] ||
  fail "cron.database_name is '$cron_db' but POSTGRES_DB is '$db'; start the server with -c cron.database_name=$db"
[ -r "$sellers_sql" ] || fail "the demo sellers file $sellers_sql is missing"

for name in leads_min leads_max; do
  value=${!name}
  [ -z "$value" ] || [[ $value =~ ^[0-9]+$ ]] || fail "${name^^} must be a whole number, not '$value'"
done
if [ -n "$leads_min" ] && [ -n "$leads_max" ] && [ "$leads_min" -gt "$leads_max" ]; then
  fail "LEADS_MIN ($leads_min) must not be greater than LEADS_MAX ($leads_max)"
fi
if [ -n "$interval" ]; then
  # Only PostgreSQL knows what an interval is; the transaction below checks it against pg_cron.
  "${psql_db[@]}" -tA -v interval="$interval" >/dev/null <<'SQL' ||
SELECT :'interval'::interval;
SQL
    fail "SIMULATION_INTERVAL='$interval' is not an interval (e.g. '10 seconds', '1 minute'; empty: the finest pg_cron supports)"
fi

if ! "${psql_db[@]}" -v db="$db" -v sellers="$sellers_sql" -v interval="$interval" \
  -v leads_min="$leads_min" -v leads_max="$leads_max" <<'SQL'
BEGIN;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS lead_assigner CASCADE;
\i :sellers
SELECT :'leads_min' <> '' AS set_leads_min, :'leads_max' <> '' AS set_leads_max, :'interval' = '' AS finest \gset
\if :set_leads_min
ALTER DATABASE :"db" SET lead_assigner.leads_min = :'leads_min';
\endif
\if :set_leads_max
ALTER DATABASE :"db" SET lead_assigner.leads_max = :'leads_max';
\endif
\if :finest
SELECT start_simulation() AS schedule \gset
\else
SELECT start_simulation(:'interval') AS schedule \gset
\endif
COMMIT;
\echo 'lead_assigner init: simulation scheduled, pg_cron schedule' :'schedule'
SQL
then
  fail "initialising database $db failed (the psql error above); its transaction rolled back, so nothing of lead_assigner was created"
fi
say "$("${psql_db[@]}" -tAc "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_cron', 'lead_assigner')"); $("${psql_db[@]}" -tAc "SELECT count(*) || ' demo sellers; leads per cycle: ' || current_setting('lead_assigner.leads_min') || ' to ' || current_setting('lead_assigner.leads_max') FROM lead_management.sellers")"
