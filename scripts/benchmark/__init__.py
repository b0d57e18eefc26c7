"""Benchmarks for lead_assigner: every speed and memory target of issues 10, 11, 12, 14, 15 and 25
in one run (#24's HA figures when asked), each printed as a ratio against a baseline measured in
the same run, with PASS/FAIL.

Starts its own PostgreSQL cluster (`scripts/cluster scratch bench-cluster`, port 5497; deleted and recreated at every
run, stopped at exit), loads every workload into a fresh database with set-based SQL, and prints
figures and ratios measured in the same run. Workloads (the name is what --only takes):

  w1        #10 assign_leads() of N pending leads over M sellers (4 business lines, room for all), all
            triggers on, vs the floor (a set-based first-fit UPDATE writing the same assignments with
            session_replication_role=replica); breakdown by trigger layer; #11 the same with every
            routing rule configured; #12 preview_assignments() vs assign_leads() without triggers
  seed      #10 the seed's own Python assigner (re-created here: Python + psql, one UPDATE per lead)
            vs assign_leads() on the same 10,000 pending leads and 1,000 sellers
  w2        #6  assign_leads() per-lead cost as N doubles, next to the set-based baseline
  w3        #10 audit cost per row of a 100,000-row UPDATE of leads: the statement-level Rust audit
            trigger vs the seed's per-row PL/pgSQL trigger vs no audit trigger
  w4        #10 simulate_cycle(5) p50/p99 on an open book (100,000 and 1,000,000 Assigned leads over
            1,000 sellers, measured right after the assign_leads() run that assigned them, no ANALYZE
            since) vs an empty book; #11 the same with every rule configured; #12 the run's
            notification (one extra equivalent pg_notify, interleaved)
  backlog   #10 assign_leads() with 100,000 Pending leads in a line whose sellers are all full vs the
            same sellers with no leads at all
  bulk      #10 INSERT ... SELECT of 100,000 leads with triggers (Pending rows, history, audit) vs off
  oninsert  #15 assign_on_insert: single-lead INSERT latency on vs off (interleaved), and a bulk
            insert of 100,000 leads with it on vs the insert plus a separate assign_leads()
  explain   #12 explain_lead() p50 with 1,000 sellers in the lead's line vs a plain SQL listing
  audit     #14 audit inserts per second at 0, half and all of 10M existing audit rows (spread over
            past months, partitioned by maintain()); retention of one month timed; nothing newer lost
  territories #25 W1 and W4 with a territory on every seller vs without; assign_leads() with
            100,000 Pending leads of a country nobody covers vs an empty line
  w5        peak backend memory (VmHWM) of the backend that ran W1's assign_leads()
  ha        #24 only when named (--only ha; root, about 3 minutes): scripts/test-ha's Patroni
            cluster under load, three faults: failover time, acknowledged writes lost (target 0),
            simulation gap; simulate_cycle(5) p50 with synchronous replication vs without
Aliases: rules = w1,w4; insight = w1,w4,explain; insert = oninsert; all = every workload but ha.

Every timed statement that changes data runs inside BEGIN ... ROLLBACK (followed by VACUUM and
CHECKPOINT), so each repetition starts from the same state; variants are timed in rotating order and
the median of the repetitions is reported. Timings are clock_timestamp() differences taken in the
same session, or client-side latencies from pgbench (-c 1, one transaction per call). Latency
comparisons that can share a database run interleaved in one pgbench (scripts picked at random).
Diagnostics (--no-diagnostics skips them): the W1 trigger-layer breakdown and auto_explain profiles
of simulate_cycle().

The code, in scripts/benchmark/ (scripts/bench launches it): main.py (options, the workloads in
order, the run), harness.py (the cluster, psql and pgbench, timing, percentiles, machine and load
notes), data.py (the data generators), assignment.py (assign_leads() and the set-based first-fit
UPDATE it is compared with), one module per workload named as --only names it (its docstring gives
its data shape and what it is compared with; run() measures, show() prints, targets() judges; w5 is
measured and shown by w1), report.py (the report). Adding a workload: a module with those three
functions and its line in main.WORKLOADS.

Usage: scripts/bench [--quick] [--only NAMES] [--reps R] [--no-diagnostics] [--keep] [size flags, see --help]
Default sizes are the issues' (about 15 minutes on 2 cores; the 10M audit rows take about 4 GB of
disk, --audit-existing scales that down); --quick is a smoke run of a minute or two on tiny sizes.
`make bench BENCH_ARGS=--quick` installs the extension first.
Python 3.11 standard library only; talks to PostgreSQL through psql and pgbench.
"""
