# PostgreSQL (17 unless --build-arg PG_MAJOR=15 or 18) with pg_cron and lead_assigner, the demo
# sellers and the simulation scheduled on first start. `docker compose up --build` (see
# docker-compose.yml and .env.example) or:
#   docker build -t lead-assigner . && docker run -e POSTGRES_PASSWORD=... -p 5432:5432 lead-assigner
#   docker build --build-arg PG_MAJOR=18 -t lead-assigner:18 .

# The major: 17 is the current Debian stable's (13, trixie); 15 and 18 are tested too (README).
ARG PG_MAJOR=17
# The official image of that major on Debian 13 "trixie": the Debian release its default tags
# (postgres:15 ... postgres:18) use (docker-library/postgres versions.json, "debian": "trixie" for
# 14 to 18 in the snapshot read on 2026-12-06, dated 2026-02-26), named here so that a change of
# default does not change the base silently; bookworm variants exist too (postgres:17-bookworm). The tag follows the major's
# latest minor; --build-arg POSTGRES_IMAGE=postgres:17.9-trixie pins one.
ARG POSTGRES_IMAGE=postgres:${PG_MAJOR}-trixie

# Build stage: the same scripts/setup as CI (apt packages incl. postgresql-server-dev-$PG_MAJOR,
# rustup when cargo is missing, cargo-pgrx, cargo pgrx init), then `cargo pgrx package`. Both
# stages read PG_MAJOR from the official image's own environment, so it always matches the image.
FROM ${POSTGRES_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# scripts/setup installs Rust with rustup into /root/.cargo when cargo is missing.
ENV PATH=/root/.cargo/bin:$PATH
WORKDIR /src
# Setup first, on its own layer: changing the source does not reinstall the toolchain.
COPY scripts/setup scripts/setup
RUN scripts/setup
COPY . .
RUN cargo pgrx package --pg-config "/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" \
    && find "target/release/lead_assigner-pg$PG_MAJOR" -type f

# Runtime stage: the official image plus pg_cron and the packaged extension files only.
FROM ${POSTGRES_IMAGE}
# postgresql-$PG_MAJOR-cron comes from the image's PGDG repository (pg_cron 1.6: sub-minute
# schedules); its version follows the image's repository, like scripts/setup's packages.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-$PG_MAJOR-cron" \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/lead_assigner-pg$PG_MAJOR/usr/lib/postgresql/$PG_MAJOR/lib/ /usr/lib/postgresql/$PG_MAJOR/lib/
COPY --from=build /src/target/release/lead_assigner-pg$PG_MAJOR/usr/share/postgresql/$PG_MAJOR/extension/ /usr/share/postgresql/$PG_MAJOR/extension/
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
