"""W1-seed (#10): the seed's own Python assigner, re-created below, against assign_leads() on the W1
shape at 10,000 pending leads and 1,000 sellers; both must write the same assignments."""

import datetime
import logging
import os
import shutil
import statistics
import tempfile
import time

from .assignment import ASSIGN, ASSIGNMENT_CHECKSUM, ASSIGN_TABLES, GREEDY, timed_transaction
from .data import load_pending_workload
from .harness import drop_database, progress, psql, query, rotations, run_psql, settle

TARGET_SEED_SPEEDUP = 100.0  # #10

# The seed (the Python project this extension replaced) assigned leads with a script `assigner.py`
# (psycopg2, DictCursor). Re-created here step for step, with psql in place of psycopg2:
#   1. ensure_pending_assignments: SELECT leads LEFT JOIN assignments with no row; executemany one
#      INSERT per missing lead (Pending, no seller); commit.
#   2. fetch_pending_leads: leads JOIN assignments JOIN statuses WHERE lower(name) = 'pending'
#      ORDER BY document_number.
#   3. fetch_eligible_sellers: active sellers with a correlated COUNT of their assignments whose
#      status name is 'Assigned' or 'In Progress' (no ORDER BY: table order).
#   4. assign_leads_to_sellers: for each lead (in Python), scan every seller for the first one of the
#      lead's business line under max_leads_count (O(N·M)); one UPDATE ... WHERE
#      lead_document_number = %s per lead (a round trip each, parameters inlined as psycopg2 does,
#      assigned_at a client timestamp), count + 1, logger.info per assignment; one commit at the end.
# Differences, all in the seed's favour: the fetches run in their own psql sessions; the UPDATEs are
# sent as one psql script (psql waits for each statement's result before the next, like a
# synchronous psycopg2 cursor), timed by the server's clock; the final COMMIT is a ROLLBACK so that
# the run can be repeated; the log goes to a file only (the seed also echoed it to the console).
SEED_ENSURE = """
SELECT l.document_number FROM lead_management.leads l
LEFT JOIN lead_management.assignments a ON l.document_number = a.lead_document_number
WHERE a.lead_document_number IS NULL"""
SEED_STATUS = "SELECT assignment_status_id FROM lead_management.assignment_statuses WHERE lower(name) = lower('{}')"
SEED_PENDING = """
SELECT l.document_number, l.business_line_id FROM lead_management.leads l
JOIN lead_management.assignments a ON l.document_number = a.lead_document_number
JOIN lead_management.assignment_statuses st ON a.assignment_status_id = st.assignment_status_id
WHERE lower(st.name) = 'pending' ORDER BY l.document_number"""
SEED_SELLERS = """
SELECT s.document_number, s.business_line_id, s.max_leads_count,
       coalesce((SELECT count(*) FROM lead_management.assignments a
                 JOIN lead_management.assignment_statuses st ON a.assignment_status_id = st.assignment_status_id
                 WHERE a.seller_document_number = s.document_number AND st.name IN ('Assigned', 'In Progress')), 0)
FROM lead_management.sellers s WHERE s.is_active = TRUE"""


def seed_assigner(db, log):
    """One run of the re-created seed assigner; returns (ms, checksum row)."""
    t0 = time.monotonic()
    pending_id = query(db, SEED_STATUS.format("Pending"))[0][0]
    missing = query(db, SEED_ENSURE)
    if missing:
        now = datetime.datetime.now().isoformat()
        run_psql(db, "BEGIN;\n" + "".join(
            f"INSERT INTO lead_management.assignments (assigned_at, seller_document_number, lead_document_number, "
            f"assignment_status_id) VALUES ('{now}'::timestamp, NULL, '{lead}', {pending_id});\n"
            for (lead,) in missing) + "COMMIT;\n")
        log.info(f"Inserted {len(missing)} new leads into assignments as Pending.")
    leads = [dict(document_number=d, business_line_id=int(b)) for d, b in query(db, SEED_PENDING)]
    log.info(f"Fetched {len(leads)} pending leads.")
    sellers = [dict(document_number=d, business_line_id=int(b), max_leads_count=int(x), current_leads=int(c))
               for d, b, x, c in query(db, SEED_SELLERS)]
    log.info(f"Fetched {len(sellers)} eligible sellers.")
    assigned_id = query(db, SEED_STATUS.format("Assigned"))[0][0]

    def assignable(lead, seller):
        if lead["business_line_id"] != seller["business_line_id"]:
            return False
        if seller["current_leads"] >= seller["max_leads_count"]:
            return False
        return True

    statements = []
    for lead in leads:
        eligible = [s for s in sellers if assignable(lead, s)]
        if eligible:
            seller = eligible[0]
            statements.append(
                f"UPDATE lead_management.assignments SET seller_document_number = '{seller['document_number']}', "
                f"assignment_status_id = {assigned_id}, assigned_at = '{datetime.datetime.now().isoformat()}'::timestamp "
                f"WHERE lead_document_number = '{lead['document_number']}';\n")
            seller["current_leads"] += 1
            log.info(f"Assigned lead {lead['document_number']} to seller {seller['document_number']}.")
    client_ms = 1000 * (time.monotonic() - t0)
    rows = psql(db, "BEGIN;\nSELECT clock_timestamp() AS t0 \\gset\n" + "".join(statements)
                + "SELECT '@', 'updates', 1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);\n"
                + ASSIGNMENT_CHECKSUM.format(label="seed") + "ROLLBACK;\n" + settle(ASSIGN_TABLES))
    found = dict(rows)
    log.info(f"{len(statements)} leads have been assigned successfully.")
    return client_ms + float(found["updates"]), found["checksum:seed"], client_ms


def run(args, report):
    db = "bench_seed"
    n, m = args.seed_leads, args.sellers
    progress(f"W1-seed: loading {n} pending leads, {m} sellers")
    load_pending_workload(db, n, m)
    logdir = tempfile.mkdtemp(prefix="lead_bench_seed_")
    log = logging.getLogger("seed_assigner")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = logging.FileHandler(os.path.join(logdir, "lead_assigner.log"))
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))
    log.addHandler(handler)
    times, checksums, client = {"seed": [], "assign_leads": []}, set(), []
    try:
        psql(db, "LOAD 'lead_assigner';\n" + timed_transaction("warmup", GREEDY, ASSIGN, checksum=False))
        for order in rotations(["seed", "assign_leads"], args.reps):
            for variant in order:
                progress(f"W1-seed: {variant}")
                if variant == "seed":
                    ms, checksum, client_ms = seed_assigner(db, log)
                    times["seed"].append(ms)
                    client.append(client_ms)
                    checksums.add(checksum)
                else:
                    rows = dict(psql(db, "LOAD 'lead_assigner';\n" + timed_transaction("assign_leads", GREEDY, ASSIGN)))
                    times["assign_leads"].append(float(rows["assign_leads"]))
                    checksums.add(rows["checksum:assign_leads"])
    finally:
        log.removeHandler(handler)
        handler.close()
        shutil.rmtree(logdir, ignore_errors=True)
    report["seed"] = dict(n=n, m=m, times=times, client=client, checksums=checksums,
                          median={k: statistics.median(v) for k, v in times.items()})
    drop_database(db)


def show(report):
    w = report["seed"]
    med = w["median"]
    print(f"\nW1-seed  (#10) the seed's Python assigner, re-created (see the comment above seed_assigner() in "
          f"scripts/benchmark/seed.py), vs assign_leads(); data: the W1 shape at {w['n']} pending leads, {w['m']} sellers")
    print(f"    seed assigner   {med['seed']:>10.1f} ms  (Python fetch + O(N·M) loop "
          f"{statistics.median(w['client']):.0f} ms, then {w['n']} single-row UPDATEs)   runs: "
          + " ".join(f"{t:.0f}" for t in w["times"]["seed"]))
    print(f"    assign_leads()  {med['assign_leads']:>10.1f} ms   runs: "
          + " ".join(f"{t:.0f}" for t in w["times"]["assign_leads"]))
    print(f"    assign_leads() is {med['seed'] / med['assign_leads']:.0f}× faster (#10 target >= {TARGET_SEED_SPEEDUP:.0f}×); "
          f"same assignments: {'yes' if len(w['checksums']) == 1 else 'NO'} ({'; '.join(sorted(w['checksums']))})")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    w = report["seed"]
    speedup = w["median"]["seed"] / w["median"]["assign_leads"]
    rows.append(("#10", speedup >= TARGET_SEED_SPEEDUP and len(w["checksums"]) == 1,
                 f"assign_leads() >= {TARGET_SEED_SPEEDUP:.0f}× faster than the seed's Python assigner on "
                 f"{w['n']} leads: {speedup:.0f}×"))
    return rows
