"""Bulk load (#10): INSERT INTO leads ... SELECT of 100,000 leads (4 lines) into a database with
1,000 sellers and no leads, with the triggers on (Pending rows, history, audit), against the same
INSERT with session_replication_role=replica (the floor). Also the timing loop of oninsert."""

import statistics

from .assignment import ASSIGN_TABLES, REPLICA
from .data import LEAD_COLUMNS, REPAIR, lead_select, load_sellers
from .harness import drop_database, fresh_database, progress, psql, rotations, settle, timed, times_by_label

TARGET_BULK_VS_FLOOR = 3.0  # #10

INSERT_TABLES = ["lead_management.leads"] + ASSIGN_TABLES


def bulk_insert(n):
    return f"INSERT INTO lead_management.leads {LEAD_COLUMNS}" + lead_select(1, n)


BULK_VARIANTS = {
    "load_floor": (REPLICA, "{insert}"),
    "load": ("", "{insert}"),
}


def insert_transaction(label, setup, statement, n, checks):
    return ("BEGIN;\n" + setup + timed(label, statement.format(insert=bulk_insert(n))) + checks
            + "ROLLBACK;\n" + settle(INSERT_TABLES))


def run_inserts(args, report, variants, key, checks=lambda variant: "", then=lambda args, db, entry: None):
    """Times `variants` (label: (setup, statement with {insert})), rolled back, in rotating order
    after an untimed warm-up; `checks(variant)` adds psql lines to each timed transaction before its
    ROLLBACK, `then(args, db, entry)` measures more in the same database before it is dropped."""
    db = f"bench_{key}"
    n, m = args.bulk_leads, args.sellers
    progress(f"{key}: loading {m} sellers (room for {n} leads twice over), no leads")
    fresh_database(db)
    psql(db, "SET session_replication_role = replica;\n" + load_sellers(m, -(-2 * n // m)) + REPAIR
         + "CREATE SCHEMA bench;\nCREATE SEQUENCE bench.lead_seq;\n")
    names = list(variants)
    rows = []
    for r, order in enumerate([names] + rotations(names, args.reps)):
        progress(f"{key}: {'warm-up' if r == 0 else f'repetition {r}/{args.reps}'}: {', '.join(order)}")
        script = "LOAD 'lead_assigner';\n"
        for variant in order:
            setup, statement = variants[variant]
            script += insert_transaction(variant if r else "warmup", setup, statement, n, checks(variant) if r else "")
        rows += [row for row in psql(db, script) if not row[0].endswith("warmup")]
    times = times_by_label([row for row in rows if ":" not in row[0]])
    extra = {}
    for label, value in rows:
        if ":" in label:
            extra.setdefault(label, set()).add(value)
    entry = dict(n=n, m=m, times=times, extra=extra, median={v: statistics.median(times[v]) for v in names})
    then(args, db, entry)
    report[key] = entry
    drop_database(db)


def run(args, report):
    run_inserts(args, report, BULK_VARIANTS, "bulk")


def show(report):
    w = report["bulk"]
    med, n = w["median"], w["n"]
    print(f"\nBulk load  (#10) INSERT INTO leads ... SELECT of {w['n']} leads (4 lines); data: {w['m']} sellers, "
          f"no leads before (median of {len(w['times']['load'])}; BEGIN ... ROLLBACK; order rotated)")
    print(f"    with triggers (Pending rows, history, audit)   {med['load']:>9.1f} ms {1000 * med['load'] / n:>7.2f} µs/lead"
          "   runs: " + " ".join(f"{t:.0f}" for t in w["times"]["load"]))
    print(f"    floor: session_replication_role=replica        {med['load_floor']:>9.1f} ms "
          f"{1000 * med['load_floor'] / n:>7.2f} µs/lead   runs: " + " ".join(f"{t:.0f}" for t in w["times"]["load_floor"]))
    print(f"    with triggers / floor = {med['load'] / med['load_floor']:.2f} (target <= {TARGET_BULK_VS_FLOOR})")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    med = report["bulk"]["median"]
    ratio = med["load"] / med["load_floor"]
    rows.append(("#10", ratio <= TARGET_BULK_VS_FLOOR,
                 f"bulk INSERT of {report['bulk']['n']} leads <= {TARGET_BULK_VS_FLOOR}× the trigger-less load: "
                 f"{ratio:.2f}×"))
    return rows
