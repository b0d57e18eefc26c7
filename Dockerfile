# PostgreSQL 15 with pg_cron and lead_assigner, the demo sellers and the simulation scheduled on
# first start. `docker compose up --build` (see docker-compose.yml and .env.example) or:
#   docker build -t lead-assigner . && docker run -e POSTGRES_PASSWORD=... -p 5432:5432 lead-assigner

# The official image, pinned to the PostgreSQL minor the tests run against (Debian 12's 15.20), so
# a rebuild gets the same server; --build-arg POSTGRES_IMAGE=... picks another.
ARG POSTGRES_IMAGE=postgres:15.20-bookworm

# Build stage: the same scripts/setup as CI (apt packages incl. postgresql-server-dev-15, rustup
# when cargo is missing, cargo-pgrx, cargo pgrx init), then `cargo pgrx package`.
FROM ${POSTGRES_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# scripts/setup installs Rust with rustup into /root/.cargo when cargo is missing.
ENV PATH=/root/.cargo/bin:$PATH
WORKDIR /src
# Setup first, on its own layer: changing the source does not reinstall the toolchain.
COPY scripts/setup scripts/setup
RUN scripts/setup
COPY . .
RUN cargo pgrx package --pg-config /usr/lib/postgresql/15/bin/pg_config \
    && find target/release/lead_assigner-pg15 -type f

# Runtime stage: the official image plus pg_cron and the packaged extension files only.
FROM ${POSTGRES_IMAGE}
# postgresql-15-cron comes from the image's PGDG repository (pg_cron 1.6: sub-minute schedules);
# its version follows the image's repository, like scripts/setup's packages.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15-cron \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/lead_assigner-pg15/usr/lib/postgresql/15/lib/ /usr/lib/postgresql/15/lib/
COPY --from=build /src/target/release/lead_assigner-pg15/usr/share/postgresql/15/extension/ /usr/share/postgresql/15/extension/
# The init script loads the sellers itself, after CREATE EXTENSION: keep the SQL out of
# /docker-entrypoint-initdb.d, where the entrypoint would run it on its own.
COPY scripts/demo-sellers.sql /usr/share/lead_assigner/demo-sellers.sql
# Plain COPY keeps the executable bit the file has in git (COPY --chmod needs BuildKit, which
# Debian's docker.io / docker-compose 1.x do not use by default).
COPY docker/init-lead-assigner.sh /docker-entrypoint-initdb.d/10-lead-assigner.sh
COPY docker/entrypoint.sh /usr/local/bin/lead-assigner-entrypoint.sh
COPY docker/healthcheck.sh /usr/local/bin/lead-assigner-healthcheck.sh
# Every start says whether this data directory's first start failed, then runs the official
# entrypoint; the health check needs the real server (TCP), lead_assigner, and no failed
# simulation run.
ENTRYPOINT ["lead-assigner-entrypoint.sh"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 CMD ["lead-assigner-healthcheck.sh"]

# Read by the init script on first start (empty data directory). SIMULATION_INTERVAL empty: the
# finest interval the image's pg_cron supports (10 seconds with PGDG's pg_cron 1.6). LEADS_MIN /
# LEADS_MAX: unset keeps the extension's defaults (1 and 5 leads per cycle).
ENV POSTGRES_DB=lead_management \
    SIMULATION_INTERVAL=""

# pg_cron must be preloaded (lead_assigner too: its settings then exist and are checked from the
# start), and pg_cron schedules jobs in one database: POSTGRES_DB. The entrypoint
# passes these options to the temporary server that runs the init script too. Background workers
# run the jobs without a libpq connection (no password needed). docker-compose.yml sets the same
# options with cron.database_name=${POSTGRES_DB}; with `docker run -e POSTGRES_DB=other`, pass
# the command again with cron.database_name=other.
CMD ["postgres", \
     "-c", "shared_preload_libraries=pg_cron,lead_assigner", \
     "-c", "cron.database_name=lead_management", \
     "-c", "cron.use_background_workers=on", \
     "-c", "max_worker_processes=32"]
