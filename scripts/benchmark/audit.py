"""Audit at scale (#14): audit rows written per second by UPDATE lead_management.leads SET phone = ...
on 20,000 leads, at 0, 5M and 10M existing audit rows spread over the 10 months before this one and
partitioned by maintain(), against the rate on the empty trail; the no-audit UPDATE for the per-row
cost; retention of the oldest month timed, and checked to lose nothing newer."""

import statistics
import time

from .data import load_leads
from .harness import drop_database, fresh_database, progress, psql, settle, timed, times_by_label
from .w3 import NO_RUST_AUDIT, PHONE_UPDATE

TARGET_AUDIT_FLAT = 1.3  # #14
TARGET_RETENTION_S = 1.0  # #14

AUDIT_TABLES = ["lead_management.leads", "lead_management.audit_logs"]


def existing_audit_rows(first, count, months):
    """count audit rows numbered from `first`, spread evenly over the `months` whole months before the
    current one (UTC), with row images like a lead UPDATE's."""
    return f"""
INSERT INTO lead_management.audit_logs (table_name, action, old_value, new_value, changed_at, ip_address, db_user,
                                        application_name, transaction_id)
SELECT 'leads', 'UPDATE',
       jsonb_build_object('document_number', 'H' || i, 'phone', '+1666' || i, 'business_line_id', 1 + i % 4),
       jsonb_build_object('document_number', 'H' || i, 'phone', '+1667' || i, 'business_line_id', 1 + i % 4),
       (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
         - make_interval(months => 1 + i % {months})
         + (i / {months} % 2400000) * interval '1 second',
       NULL, 'bench', 'history', 1000 + i / 1000
FROM generate_series({first}, {first + count - 1}) AS i;
"""


def run(args, report):
    db = "bench_audit"
    total, batch, months = args.audit_existing, args.audit_batch, 10
    progress(f"audit: loading {batch} leads; partitions of this month and the next created by maintain()")
    fresh_database(db)
    psql(db, "SET session_replication_role = replica;\n" + load_leads(batch) + "RESET session_replication_role;\n"
         + "SELECT * FROM maintain();\nVACUUM ANALYZE;\nCHECKPOINT;\n")
    update = PHONE_UPDATE  # writes `batch` audit rows through the statement-level trigger
    stages, rate = [0, total // 2, total], {}
    loaded = 0
    for stage in stages:
        if stage > loaded:
            progress(f"audit: loading existing audit rows {loaded + 1}..{stage} over {months} past months, then maintain()")
            t0 = time.monotonic()
            psql(db, existing_audit_rows(loaded + 1, stage - loaded, months) + "SELECT * FROM maintain();\n"
                 + "VACUUM ANALYZE lead_management.audit_logs;\nCHECKPOINT;\n", timeout=7200)
            progress(f"audit: {stage - loaded} rows loaded and partitioned in {time.monotonic() - t0:.0f} s")
            loaded = stage
        script = "LOAD 'lead_assigner';\n"
        for r in range(args.reps + 1):
            script += ("BEGIN;\n" + timed("update" if r else "warmup", update) + "ROLLBACK;\n" + settle(AUDIT_TABLES))
        progress(f"audit: {args.reps} x UPDATE of {batch} leads at {stage} existing audit rows")
        times = times_by_label(psql(db, script))
        rate[stage] = dict(times=times["update"], median=statistics.median(times["update"]))
    # No-audit floor of the same UPDATE, for the per-row cost (not a target).
    floor = times_by_label(psql(db, "".join("BEGIN;\n" + NO_RUST_AUDIT + timed("none", update) + "ROLLBACK;\n"
                                            + settle(AUDIT_TABLES) for _ in range(args.reps))))["none"]
    # Retention: drop exactly the oldest month. maintain() drops the months whose end is at or before
    # now() - retention; the oldest month ends at `cut`: retention = now() - cut - 10 minutes.
    (cut_row,) = psql(db, f"SELECT '@', ((date_trunc('month', now() AT TIME ZONE 'UTC') - interval '{months - 1} months') "
                          "AT TIME ZONE 'UTC')::text, extract(epoch FROM now() - ((date_trunc('month', now() AT TIME ZONE "
                          f"'UTC') - interval '{months - 1} months') AT TIME ZONE 'UTC'))::bigint - 600;\n")
    cut, retention = cut_row[0], int(cut_row[1])
    count_newer = (f"SELECT '@', '{{}}', count(*), coalesce(sum(audit_log_id), 0), count(*) FILTER (WHERE changed_at < '{cut}') "
                   "FROM lead_management.audit_logs WHERE action <> 'PRUNE';\n")
    newer_than = (f"SELECT '@', '{{}}', count(*), coalesce(sum(audit_log_id), 0) FROM lead_management.audit_logs "
                  f"WHERE changed_at >= '{cut}' AND action <> 'PRUNE';\n")
    progress(f"audit: retention of one month (cut-off {cut}) with maintain()")
    rows = psql(db, newer_than.format("before") + count_newer.format("all_before")
                + "LOAD 'lead_assigner';\n" + f"SET lead_assigner.audit_retention = '{retention}s';\n"
                + "SELECT clock_timestamp() AS t0 \\gset\n"
                + "SELECT '@', 'step', action, partition, rows FROM maintain();\n"
                + "SELECT '@', 'maintain', 1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);\n"
                + newer_than.format("after") + count_newer.format("all_after")
                + "SELECT '@', 'prune', count(*), max(old_value->>'partition'), max(old_value->>'rows') "
                  "FROM lead_management.audit_logs WHERE action = 'PRUNE';\n", timeout=3600)
    found = {row[0]: row[1:] for row in rows if row[0] != "step"}
    steps = [row[1:] for row in rows if row[0] == "step"]
    report["audit"] = dict(total=total, batch=batch, months=months, rate=rate, floor=statistics.median(floor),
                           cut=cut, retention=retention, found=found, steps=steps)
    drop_database(db)


def audit_flat(report):
    rate = report["audit"]["rate"]
    base = rate[0]["median"]
    return max(entry["median"] for entry in rate.values()) / base


def retention_ok(report):
    f = report["audit"]["found"]
    dropped = [s for s in report["audit"]["steps"] if s[0] == "dropped"]
    return (f["before"] == f["after"] and int(f["all_after"][2]) == 0 and len(dropped) == 1
            and int(f["prune"][0]) >= 1)


def show(report):
    w = report["audit"]
    batch = w["batch"]
    print(f"\nAudit at scale  (#14) audit rows written per second by UPDATE lead_management.leads SET phone = ... on "
          f"{batch} leads (one audit row each, statement-level trigger, BEGIN ... ROLLBACK, median of "
          f"{len(w['rate'][0]['times'])}); data: existing audit rows inserted set-based, spread evenly over the "
          f"{w['months']} months before this one, then partitioned by SELECT maintain()")
    base = w["rate"][0]["median"]
    for stage, entry in w["rate"].items():
        print(f"    {stage:>10} existing audit rows: {entry['median']:>8.1f} ms  {1000 * batch / entry['median']:>9.0f} "
              f"audit rows/s   time {entry['median'] / base:.2f}× the empty trail   runs: "
              + " ".join(f"{t:.0f}" for t in entry["times"]))
    print(f"    slowest / at 0 rows = {audit_flat(report):.2f} (target <= {TARGET_AUDIT_FLAT}); the same UPDATE with no "
          f"audit trigger: {w['floor']:.1f} ms, so audit costs {1000 * (base - w['floor']) / batch:.2f} µs/row at 0 rows")
    f = w["found"]
    ms = float(f["maintain"][0])
    print(f"    retention: SET lead_assigner.audit_retention = '{w['retention']}s' (the oldest month only); "
          f"SELECT maintain() took {ms:.1f} ms (target < {1000 * TARGET_RETENTION_S:.0f} ms): "
          + "; ".join(f"{a} {p} ({r} rows)" for a, p, r in w["steps"]))
    print(f"    rows older than the cut-off {w['cut']}: {f['all_before'][2]} before, {f['all_after'][2]} after; "
          f"rows newer: {f['before'][0]} before, {f['after'][0]} after, sum of ids {'equal' if f['before'] == f['after'] else 'DIFFERENT'}; "
          f"PRUNE rows logged: {f['prune'][0]} (partition {f['prune'][1]}, {f['prune'][2]} rows)")
    print(f"    nothing newer than the cut-off lost: {'yes' if retention_ok(report) else 'NO'}")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    w = report["audit"]
    rows.append(("#14", audit_flat(report) <= TARGET_AUDIT_FLAT,
                 f"audit inserts flat from 0 to {w['total']} existing rows (<= {TARGET_AUDIT_FLAT}×): "
                 f"{audit_flat(report):.2f}×"))
    ms = float(w["found"]["maintain"][0])
    rows.append(("#14", ms < 1000 * TARGET_RETENTION_S,
                 f"retention of one month (maintain()) < {TARGET_RETENTION_S:.0f} s: {ms:.0f} ms"))
    rows.append(("#14", retention_ok(report), "retention keeps every row newer than the cut-off"))
    return rows
