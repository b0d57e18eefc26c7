# lead_assigner — every command a user or CI needs. `make help` lists them.
# The PostgreSQL major: 15 is this Debian 12 machine's; `PG_MAJOR=17 make run` runs 17 (or 18) in
# its Debian root (scripts/pg-root).
PG_MAJOR ?= 15
PG_CONFIG ?= /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config
export PG_MAJOR
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help setup install test test-matrix test-unit test-pg test-e2e test-ha run psql psql-superuser stop reset bench lint clean ha ha-stop docker-check

help:
	@echo "make run        build, install, start a local cluster with the simulation (Ctrl-C stops);"
	@echo "                PG_MAJOR=17 make run (or 18) does it on that PostgreSQL, in its Debian root"
	@echo "make test       every test tier: core unit/property, #[pg_test], end-to-end"
	@echo "make test-matrix   build, #[pg_test] and end-to-end on PostgreSQL 17 and 18 (Debian roots)"
	@echo "make bench      benchmark against set-based and PL/pgSQL baselines (prints ratios);"
	@echo "                make bench BENCH_MATRIX=1: W1 and W4 on PostgreSQL 15, 17 and 18 side by side"
	@echo "make psql       psql on the local cluster as lead_admin (admin role; the audit trail is append-only)"
	@echo "make psql-superuser   the same as postgres, for maintenance"
	@echo "make stop / make reset   stop the local cluster / delete it"
	@echo "make clean      delete what builds and tests generated (target/, their clusters under /tmp)"
	@echo "make ha         etcd + three Patroni-managed servers with synchronous replication (prints how to connect)"
	@echo "make ha-stop    stop that cluster (its data stays; scripts/ha reset deletes it)"
	@echo "make test-ha    the HA tier: leader killed, switchover, partitioned; nothing acknowledged lost (~3 min)"
	@echo "make docker-check   build the Docker image for PostgreSQL 17 and 18, run it, check it works (root, dockerd;"
	@echo "                DOCKER_MAJORS=18 for one; local stand-ins for the official base images)"

setup:
	scripts/setup

install: setup
	PG_CONFIG=$(PG_CONFIG) scripts/install

test: setup test-unit install test-pg test-e2e

# Runs a test tier and prints how long it took, so that CI's log gives every tier's time.
timed = @started=$$(date +%s); $(2); status=$$?; echo "[time] $(1): $$(( $$(date +%s) - started )) s"; exit $$status

test-unit:
	$(call timed,core unit/property tier,cargo test -p lead_assigner_core)

# The #[pg_test] tier builds, installs and tests a debug build in a private copy of PostgreSQL
# (scripts/pg-sandbox), never in the system one a running server has loaded; scripts/test-pg
# proves it on a sentinel server when the extension is installed (make test installs it first).
test-pg:
	$(call timed,#[pg_test] tier (PostgreSQL $(PG_MAJOR)),scripts/test-pg)

test-e2e: install
	$(call timed,end-to-end tier (PostgreSQL $(PG_MAJOR)),scripts/e2e)

# PostgreSQL 17 and 18, each in a Debian root cached in /var/cache/lead_assigner/roots (root only).
test-matrix:
	scripts/test-matrix

test-ha: install
	$(call timed,HA tier (Patroni failover),scripts/test-ha)

ha: install
	scripts/ha start

ha-stop:
	scripts/ha stop

# Not in .ci/run: a Docker daemon, about 12 minutes and 7 GB of images (scripts/docker-check).
docker-check:
	scripts/docker-check $(DOCKER_MAJORS)

run:
	scripts/run

psql:
	scripts/run psql

psql-superuser:
	scripts/run psql-superuser

stop:
	scripts/run stop

reset:
	scripts/run reset

# BENCH_MATRIX=1: W1 and W4 on PostgreSQL 15, 17 and 18 side by side (scripts/bench-matrix).
bench: install
	$(if $(BENCH_MATRIX),scripts/bench-matrix,scripts/bench) $(BENCH_ARGS)

lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --all -- --check

# Builds (target/) and whatever failed test runs kept in this checkout's scratch directory under
# /tmp (their servers stopped first). The make run cluster (.cluster) is data: make reset.
clean:
	scratch=$$(dirname "$$(scripts/cluster scratch any)"); \
	for dir in "$$scratch"/*/ "$$scratch"/*/data/; do \
	  [ ! -f "$$dir/PG_VERSION" ] || scripts/cluster stop "$$dir"; \
	done; \
	rm -rf "$$scratch"
	cargo clean
