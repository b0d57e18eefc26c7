"""Territories (#25), each against the same data without territories, same run:

  w1        assign_leads() of N pending leads over M sellers (4 lines, room for all twice over) with
            a territory on every seller (four of the five countries each, none binding: every
            country is covered by 4/5 of each line's sellers) vs the same data without, in
            rolled-back transactions (target: within 1.2x)
  w4        simulate_cycle(5) on an open book of N assigned leads over M sellers, the territories
            given before the big run (so no open lead is outside one) vs a book without
            (pgbench -c 1, target: within 1.2x)
  uncovered SELECT assign_leads() with 100,000 Pending leads of a country no seller covers (line 1's
            sellers cover the four others and have room) vs the same sellers with no leads at all
            (target: < 5 ms, and about the empty line's cost)

Sizes: W1's --leads/--sellers/--reps, W4's first --sim-leads with --sim-sellers/--sim-calls, the
backlog's --backlog-leads/--backlog-calls."""

import statistics

from .assignment import ASSIGN, GREEDY, timed_transaction
from .data import PENDING_ROWS, REPAIR, load_leads, load_pending_workload, load_sellers
from .harness import (alternate, drop_database, fresh_database, lat_summary, percentile, progress, psql,
                      rotations, times_by_label)
from .w4 import SIMULATE, load_open_book

TARGET_RATIO = 1.2
TARGET_UNCOVERED_MS = 5.0

# Seller S<i> covers the four countries other than 1 + i % 5 (the loaders' leads come from all five).
TERRITORIES = """
INSERT INTO lead_management.seller_countries (seller_document_number, country_id)
SELECT s.document_number, c.country_id FROM lead_management.sellers s
JOIN lead_management.countries c ON c.country_id <> 1 + substr(s.document_number, 2)::int % 5;
"""
SHAPE = "territories: every seller covers 4 of the 5 countries (a different one left out per seller), none binding"


def run(args, report):
    progress("territories: W1 with and without territories")
    result = dict(w1=run_w1(args))
    progress("territories: W4 with and without territories")
    result["w4"] = run_w4(args)
    progress("territories: the uncovered backlog")
    result["uncovered"] = run_uncovered(args)
    report["territories"] = result


def run_w1(args):
    db = "bench_territories_w1"
    load_pending_workload(db, args.leads, args.sellers)
    variants = {"plain": GREEDY, "territories": GREEDY + TERRITORIES}
    rows = []
    # Round 0 is an untimed warm-up, as in W1.
    for r, order in enumerate([list(variants)] + rotations(list(variants), args.reps)):
        script = "LOAD 'lead_assigner';\n"
        for variant in order:
            script += timed_transaction(variant, variants[variant], ASSIGN)
        measured = psql(db, script)
        if r > 0:
            rows += measured
    drop_database(db)
    times = times_by_label([row for row in rows if not row[0].startswith("checksum:")])
    assigned = {row[0][len("checksum:"):]: row[1].split()[0] for row in rows if row[0].startswith("checksum:")}
    return dict(n=args.leads, m=args.sellers, reps=args.reps, times=times, assigned=assigned)


def run_w4(args):
    n, m, calls = args.sim_leads[0], args.sim_sellers, args.sim_calls
    databases = {"plain": "bench_territories_w4_plain", "territories": "bench_territories_w4_territories"}
    load_open_book(databases["plain"], n, m, calls)
    load_open_book(databases["territories"], n, m, calls,
                   TERRITORIES + "VACUUM ANALYZE lead_management.seller_countries;\n")
    lat = alternate(databases, SIMULATE, calls, "territories W4")
    state = {}
    for variant, db in databases.items():
        (row,) = psql(db, "SELECT '@', count(*) FILTER (WHERE assignment_status_id = 1), count(*), "
                          "(SELECT count(*) FROM check_invariants() WHERE violations <> 0) "
                          "FROM lead_management.assignments;\n")
        state[variant] = dict(pending=int(row[0]), leads=int(row[1]), broken_invariants=int(row[2]))
        drop_database(db)
    return dict(n=n, m=m, lat=lat, state=state)


def run_uncovered(args):
    databases = {"empty": "bench_territories_empty", "uncovered": "bench_territories_uncovered"}
    for variant, db in databases.items():
        fresh_database(db)
        script = "SET session_replication_role = replica;\n" + load_sellers(args.sellers, 4)
        if variant == "uncovered":
            # Every lead in line 1 and country 5; the sellers cover the four others.
            script += (load_leads(args.backlog_leads, business_lines=1)
                       + "UPDATE lead_management.leads SET country_id = 5;\n" + PENDING_ROWS)
        psql(db, script + REPAIR + "INSERT INTO lead_management.seller_countries\n"
                 "SELECT document_number, c FROM lead_management.sellers, generate_series(1, 4) AS c;\n"
                 "VACUUM ANALYZE;\nCHECKPOINT;\n")
    lat = alternate(databases, "SELECT assign_leads();\n", args.backlog_calls, "territories uncovered")
    (row,) = psql(databases["uncovered"],
                  "SELECT '@', count(*), (SELECT max(pending_before) FROM lead_management.assignment_runs) "
                  "FROM lead_management.assignment_queue;\n")
    for db in databases.values():
        drop_database(db)
    return dict(m=args.sellers, lat=lat, pending=int(row[0]), most_read=int(row[1]))


def p50(values):
    return percentile(values, 0.5)


def w1_ratio(w):
    return statistics.median(w["times"]["territories"]) / statistics.median(w["times"]["plain"])


def w4_ratio(w):
    return p50(w["lat"]["territories"]) / p50(w["lat"]["plain"])


def show(report):
    r = report["territories"]
    w = r["w1"]
    print(f"\nTerritories  (#25) W1: assign_leads() of {w['n']} pending leads, {w['m']} sellers over 4 lines "
          f"(room for all twice over), rolled back, median of {w['reps']}; {SHAPE}; vs the same data without")
    for variant, times in w["times"].items():
        print(f"    {variant:<12} {statistics.median(times):9.1f} ms   assigned {w['assigned'].get(variant)}")
    print(f"    territories / plain = {w1_ratio(w):.2f} (target <= {TARGET_RATIO})")
    w = r["w4"]
    print(f"    W4: simulate_cycle(5) client-side latency (pgbench -c 1); data: an open book of {w['n']} assigned "
          f"leads over {w['m']} sellers (4 lines), the territories given before the run that assigned them; "
          f"vs the same book without")
    for variant, values in w["lat"].items():
        s = w["state"][variant]
        print(f"    {variant:<12} {lat_summary(values)}   (after: {s['pending']} pending of {s['leads']}, "
              f"{s['broken_invariants']} invariants broken)")
    print(f"    territories / plain p50 = {w4_ratio(w):.2f} (target <= {TARGET_RATIO})")
    w = r["uncovered"]
    print(f"    Uncovered backlog: SELECT assign_leads() client-side latency (pgbench -c 1); data: {w['m']} sellers "
          f"over 4 lines with room, each covering countries 1-4; {w['pending']} Pending leads of line 1 from "
          f"country 5 (nobody covers it); baseline: the same sellers and territories, no leads")
    for variant, values in w["lat"].items():
        print(f"    {variant:<12} {lat_summary(values)}")
    print(f"    uncovered p50 {p50(w['lat']['uncovered']):.2f} ms (target < {TARGET_UNCOVERED_MS} ms) = "
          f"{p50(w['lat']['uncovered']) / p50(w['lat']['empty']):.2f}× the empty line; "
          f"the most leads a run read: {w['most_read']}")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    r = report["territories"]
    uncovered = p50(r["uncovered"]["lat"]["uncovered"])
    return [
        ("#25", w1_ratio(r["w1"]) <= TARGET_RATIO,
         f"W1 with a territory on every seller <= {TARGET_RATIO}× without: {w1_ratio(r['w1']):.2f}×"),
        ("#25", w4_ratio(r["w4"]) <= TARGET_RATIO,
         f"W4 simulate_cycle(5) with territories <= {TARGET_RATIO}× without (p50): {w4_ratio(r['w4']):.2f}×"),
        ("#25", uncovered < TARGET_UNCOVERED_MS,
         f"assign_leads() with {r['uncovered']['pending']} Pending of a country nobody covers < "
         f"{TARGET_UNCOVERED_MS} ms: p50 {uncovered:.2f} ms "
         f"({uncovered / p50(r['uncovered']['lat']['empty']):.2f}× the empty line)"),
    ]
