#!/usr/bin/env bash
# The image's entrypoint: the official one, after saying at every start whether this data
# directory's first start failed (docker/init-lead-assigner.sh left its reason in
# $PGDATA/lead_assigner-init-failed). The official entrypoint runs the init script on the first
# start only, so without this a later start would be a server without lead_assigner, silently.
set -euo pipefail
failed="${PGDATA:-/var/lib/postgresql/data}/lead_assigner-init-failed"
if [ -f "$failed" ]; then
  echo "lead_assigner: ERROR: the first start of this container failed, so this database has no lead_assigner: $(cat "$failed")" >&2
  echo "lead_assigner: HINT: remove the data volume (docker compose down -v, or docker volume rm) and start again with corrected settings; or fix the database by hand and delete $failed" >&2
fi
exec docker-entrypoint.sh "$@"
