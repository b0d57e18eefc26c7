# lead_assigner — every command a user or CI needs. `make help` lists them.
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help setup install test test-unit test-pg test-e2e test-ha run psql psql-superuser stop reset bench lint ha ha-stop

help:
	@echo "make run        build, install, start a local cluster with the simulation (Ctrl-C stops)"
	@echo "make test       every test tier: core unit/property, #[pg_test], end-to-end"
	@echo "make bench      benchmark against set-based and PL/pgSQL baselines (prints ratios)"
	@echo "make psql       psql on the local cluster as lead_admin (admin role; the audit trail is append-only)"
	@echo "make psql-superuser   the same as postgres, for maintenance"
	@echo "make stop / make reset   stop the local cluster / delete it"
	@echo "make ha         etcd + three Patroni-managed servers with synchronous replication (prints how to connect)"
	@echo "make ha-stop    stop that cluster (its data stays; scripts/ha reset deletes it)"
	@echo "make test-ha    the HA tier: leader killed, switchover, partitioned; nothing acknowledged lost (~3 min)"

setup:
	scripts/setup

install: setup
	PG_CONFIG=$(PG_CONFIG) scripts/install

test: setup test-unit install test-pg test-e2e

test-unit:
	cargo test -p lead_assigner_core

# The #[pg_test] tier builds, installs and tests a debug build in a private copy of PostgreSQL
# (scripts/pg-sandbox), never in the system one a running server has loaded; scripts/test-pg
# proves it on a sentinel server when the extension is installed (make test installs it first).
test-pg:
	scripts/test-pg

test-e2e: install
	scripts/e2e

test-ha: install
	scripts/test-ha

ha: install
	scripts/ha start

ha-stop:
	scripts/ha stop

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

bench: install
	scripts/bench $(BENCH_ARGS)

lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --all -- --check
