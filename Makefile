# lead_assigner — every command a user or CI needs. `make help` lists them.
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGRX_TEST_DATA ?= $(shell scripts/cluster scratch pgrx-test-data)
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: help setup install test test-unit test-pg test-e2e run psql psql-superuser stop reset bench lint

help:
	@echo "make run        build, install, start a local cluster with the simulation (Ctrl-C stops)"
	@echo "make test       every test tier: core unit/property, #[pg_test], end-to-end"
	@echo "make bench      benchmark against set-based and PL/pgSQL baselines (prints ratios)"
	@echo "make psql       psql on the local cluster as lead_admin (admin role; the audit trail is append-only)"
	@echo "make psql-superuser   the same as postgres, for maintenance"
	@echo "make stop / make reset   stop the local cluster / delete it"

setup:
	scripts/setup

install: setup
	PG_CONFIG=$(PG_CONFIG) scripts/install

test: setup test-unit test-pg test-e2e

test-unit:
	cargo test -p lead_assigner_core

# The #[pg_test] tier builds, installs and tests a debug build in a private copy of PostgreSQL
# (scripts/pg-sandbox), never in the system one a running server has loaded.
# initdb refuses root: pgrx runs the test server as postgres in a directory postgres owns.
# One test at a time: tests insert the same leads, and two open transactions inserting the same
# keys while holding assign_leads()' locks deadlock, as they would in any application.
# pgrx 0.18 picks a free port for its test server, so several checkouts can test at once.
test-pg: export RUST_TEST_THREADS = 1
test-pg:
	mkdir -p $(PGRX_TEST_DATA)
	if [ "$$(id -u)" -eq 0 ]; then chown postgres: $(PGRX_TEST_DATA); fi
	PGRX_HOME=$$(scripts/pg-sandbox $(PGRX_TEST_DATA)/postgresql) && export PGRX_HOME && \
	cargo pgrx test pg15 $(if $(filter 0,$(shell id -u)),--runas postgres) --pgdata $(PGRX_TEST_DATA)/data

test-e2e: install
	scripts/e2e

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
