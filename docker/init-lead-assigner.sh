#!/usr/bin/env bash
# First start of the lead_assigner image (empty data directory): the official postgres entrypoint
# runs this from /docker-entrypoint-initdb.d on its temporary, socket-only server, which it starts
# with the container's command-line options (so pg_cron is preloaded here too). It creates the
# extensions in POSTGRES_DB, loads the demo sellers, applies LEADS_MIN / LEADS_MAX and schedules
# the simulation every SIMULATION_INTERVAL. Later starts skip it: change things with SQL then
# (SELECT start_simulation('30 seconds'); ALTER DATABASE ... SET lead_assigner.leads_max = 10;).
set -euo pipefail

db=${POSTGRES_DB:?}
interval=${SIMULATION_INTERVAL:-10 seconds}
sellers_sql=${LEAD_ASSIGNER_DEMO_SELLERS:-/usr/share/lead_assigner/demo-sellers.sql}
psql_db=(psql -v ON_ERROR_STOP=1 -X -q --no-password --username "${POSTGRES_USER:?}" --dbname "$db")
say() { printf 'lead_assigner init: %s\n' "$*"; }

cron_db=$("${psql_db[@]}" -tAc "SELECT coalesce(current_setting('cron.database_name', true), '')")
if [ -z "$cron_db" ]; then
  say "error: pg_cron is not preloaded; start the server with -c shared_preload_libraries=pg_cron,lead_assigner -c cron.database_name=$db" >&2
  exit 1
fi
if [ "$cron_db" != "$db" ]; then
  say "error: cron.database_name is '$cron_db' but POSTGRES_DB is '$db'; start the server with -c cron.database_name=$db" >&2
  exit 1
fi

for name in LEADS_MIN LEADS_MAX; do
  value=${!name:-}
  if [ -n "$value" ] && ! [[ $value =~ ^[0-9]+$ ]]; then
    say "error: $name must be a whole number, not '$value'" >&2
    exit 1
  fi
done

"${psql_db[@]}" <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS lead_assigner CASCADE;
SQL
say "extensions: $("${psql_db[@]}" -tAc "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension WHERE extname IN ('pg_cron', 'lead_assigner')")"

"${psql_db[@]}" -f "$sellers_sql"
say "$("${psql_db[@]}" -tAc "SELECT count(*) FROM lead_management.sellers") demo sellers loaded"

for name in LEADS_MIN LEADS_MAX; do
  value=${!name:-}
  [ -n "$value" ] || continue
  "${psql_db[@]}" -v db="$db" -v guc="lead_assigner.${name,,}" -v value="$value" <<'SQL'
ALTER DATABASE :"db" SET :guc = :'value';
SQL
  say "lead_assigner.${name,,} = $value"
done

schedule=$("${psql_db[@]}" -tA -v interval="$interval" <<'SQL'
SELECT start_simulation(:'interval');
SQL
)
say "simulation scheduled every $interval (pg_cron schedule '$schedule')"
