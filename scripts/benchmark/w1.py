"""W1 (#10, #11, #12): SELECT assign_leads() of N pending leads (100,000) over M sellers (1,000) in 4
business lines with room for all twice over, the leads' lines hashed so that document_number order
interleaves them, all triggers on, strategy greedy. Compared with the floor (the set-based first-fit
UPDATE writing the same assignments with session_replication_role=replica) and the set-based baseline
with the same triggers (#6); broken down by trigger layer (diagnostic); the same run with every
routing rule configured (#11); preview_assignments() against assign_leads() without triggers (#12).
Every variant that writes must write the same assignments (checksums)."""

import statistics

from . import w5
from .assignment import ASSIGN, ASSIGN_TABLES, FIRST_FIT_UPDATE, GREEDY, REPLICA, timed_transaction
from .data import RULES_DESCRIPTION, RULES_ON, RULES_TIME_ZONES, TARGET_RULES, load_pending_workload
from .harness import drop_database, progress, psql, rotations, settle, times_by_label

TARGET_W1_VS_FLOOR = 2.5  # #10
TARGET_ASSIGN_VS_BASELINE = 1.3  # #6
TARGET_PREVIEW = 1.2  # #12

PREVIEW_CHECKSUM = """
SELECT '@', 'checksum:{label}', count(*) || ' ' || coalesce(md5(string_agg(lead || '>' || seller, ',' ORDER BY lead)), '-')
FROM preview_assignments();
"""

# The trigger layers an assignment UPDATE fires, switched on one at a time (cumulative). RI = the
# foreign-key checks on assignments (system triggers, off only under replica).
_USER_OFF = "ALTER TABLE lead_management.assignments DISABLE TRIGGER USER;\n"
_ON = "ALTER TABLE lead_management.assignments ENABLE TRIGGER {};\n"
_NO_HISTORY_AUDIT = "ALTER TABLE lead_management.assignment_records DISABLE TRIGGER audit_insert;\n"
W1_LAYERS = [
    # (variant, setup, what the step adds over the previous one)
    ("assign_leads_no_triggers", GREEDY + REPLICA, "assign_leads(), no triggers at all (replica)"),
    ("layer_ri", GREEDY + _USER_OFF, "+ foreign-key checks on assignments (RI triggers)"),
    ("layer_audit", GREEDY + _USER_OFF + _ON.format("audit_update"),
     "+ audit_update on assignments (audit of the assignments)"),
    ("layer_history", GREEDY + _USER_OFF + _ON.format("audit_update") + _ON.format("record_assignment_version_update")
     + _NO_HISTORY_AUDIT, "+ record_assignment_version_update (history rows)"),
    ("layer_history_audit", GREEDY + _USER_OFF + _ON.format("audit_update")
     + _ON.format("record_assignment_version_update"), "+ audit_insert on assignment_records (audit of history)"),
    ("assign_leads", GREEDY, "+ track_assignment_state_update (derived state) = all on"),
]
W1_VARIANTS = {
    "assign_leads": (GREEDY, ASSIGN),
    "floor": (REPLICA, FIRST_FIT_UPDATE),
    "baseline": ("", FIRST_FIT_UPDATE),
    "assign_leads_no_triggers": (GREEDY + REPLICA, ASSIGN),
    "assign_leads_rules": (GREEDY + RULES_ON, ASSIGN),
    "preview": (GREEDY, "SELECT count(*) FROM preview_assignments()"),
}
W1_DIAGNOSTIC = {label: (setup, ASSIGN) for label, setup, _ in W1_LAYERS if label.startswith("layer_")}
W1_DESCRIPTIONS = {
    "assign_leads": "SELECT assign_leads()  (all triggers on)",
    "floor": "floor: first-fit UPDATE, session_replication_role=replica",
    "baseline": "set-based first-fit UPDATE, all triggers on (#6)",
    "assign_leads_no_triggers": "assign_leads(), replica (no triggers)",
    "assign_leads_rules": "assign_leads(), every rule configured (#11)",
    "preview": "SELECT count(*) FROM preview_assignments() (#12)",
}
NO_CHECKSUM = {"preview"}


def run(args, report):
    db = "bench_w1"
    n, m = args.leads, args.sellers
    progress(f"W1: loading {n} pending leads, {m} sellers")
    load_pending_workload(db, n, m)
    progress("W1: sellers' time zones (for the rules variant)")
    psql(db, RULES_TIME_ZONES + "VACUUM ANALYZE lead_management.sellers;\nCHECKPOINT;\n")
    variants = dict(W1_VARIANTS)
    if args.diagnostics:
        variants.update(W1_DIAGNOSTIC)
    names = list(variants)
    # Round 0 is an untimed warm-up: after it every variant meets the same table and index state
    # (rolled-back versions vacuumed away) instead of the first one getting a pristine table.
    rows = []
    for r, order in enumerate([names] + rotations(names, args.reps)):
        progress(f"W1: {'warm-up' if r == 0 else f'repetition {r}/{args.reps}'}: {len(order)} variants")
        script = "LOAD 'lead_assigner';\n"
        if r == 0:  # what preview_assignments() says, with and without the rules, before any run
            script += ("BEGIN;\n" + GREEDY + PREVIEW_CHECKSUM.format(label="preview") + "ROLLBACK;\n"
                       + "BEGIN;\n" + GREEDY + RULES_ON + PREVIEW_CHECKSUM.format(label="preview_rules")
                       + "ROLLBACK;\n" + settle(ASSIGN_TABLES))
        for variant in order:
            setup, statement = variants[variant]
            label = variant if r else "warmup"
            script += timed_transaction(label, setup, statement, checksum=r > 0 and variant not in NO_CHECKSUM)
        rows += [row for row in psql(db, script) if not row[0].endswith("warmup")]
    times = times_by_label([row for row in rows if not row[0].startswith("checksum:")])
    checksums = {}
    for label, value in rows:
        if label.startswith("checksum:"):
            checksums.setdefault(label.split(":", 1)[1], set()).add(value)
    med = {variant: statistics.median(times[variant]) for variant in variants}
    all_checksums = set().union(*checksums.values())
    assigned = int(next(iter(all_checksums)).split()[0]) if len(all_checksums) == 1 else None
    same = len(all_checksums) == 1 and assigned == n
    report["w1"] = dict(times=times, median=med, same=same, checksums=checksums, n=n, m=m,
                        max_leads=-(-2 * n // m))
    if args.memory:
        w5.measure(db, report)
    drop_database(db)


def show(report):
    w = report["w1"]
    med, n = w["median"], w["n"]
    print(f"\nW1  (#10, #11, #12) assign {n} pending leads; data: {w['m']} sellers over 4 business lines, "
          f"max_leads_count {w['max_leads']} (room for all twice over), leads' lines hashed so document_number "
          f"order interleaves them, all Pending, fresh statistics; strategy greedy")
    print(f"    (median of {len(w['times']['assign_leads'])}; BEGIN ... ROLLBACK; order rotated)")
    print(f"    {'variant':<58}{'ms':>10}{'µs/lead':>10}{'× floor':>9}   runs (ms)")
    for variant, description in W1_DESCRIPTIONS.items():
        runs = " ".join(f"{t:.0f}" for t in w["times"][variant])
        print(f"    {description:<58}{med[variant]:>10.1f}{1000 * med[variant] / n:>10.2f}"
              f"{med[variant] / med['floor']:>9.2f}   {runs}")
    print(f"    assign_leads / floor = {med['assign_leads'] / med['floor']:.2f} (#10 target <= {TARGET_W1_VS_FLOOR})    "
          f"assign_leads / set-based baseline = {med['assign_leads'] / med['baseline']:.2f}")
    print(f"    rules: assign_leads with every rule / without = "
          f"{med['assign_leads_rules'] / med['assign_leads']:.2f}  ({RULES_DESCRIPTION})")
    print(f"    preview_assignments() / assign_leads() without triggers = "
          f"{med['preview'] / med['assign_leads_no_triggers']:.2f}: the nearest observable of assign_leads()'s "
          f"planning part is the whole run with no trigger (locks, reads, plan, one UPDATE, run row, notify); "
          f"preview does the reads and the plan only")
    if w["same"]:
        detail = next(iter(set().union(*w["checksums"].values())))
    else:
        detail = "; ".join(f"{k}={sorted(v)}" for k, v in w["checksums"].items())
    print(f"    same assignments in every variant that writes them, preview included, rules or not: "
          f"{'yes' if w['same'] else 'NO'}  (count + md5 of (lead, seller) pairs: {detail})")
    if "layer_ri" in med:
        print("    where assign_leads()'s time goes (one trigger layer added per line, cumulative; median):")
        print(f"      {'floor: first-fit UPDATE, no triggers':<62}{med['floor']:>10.1f} ms")
        previous = "floor"
        for label, _, description in W1_LAYERS:
            step = f"{1000 * (med[label] - med[previous]) / n:+8.2f} µs/lead"
            print(f"      {description:<62}{med[label]:>10.1f} ms {step}  {med[label] / med['floor']:5.2f}× floor")
            previous = label
    if "w5" in report:
        w5.show(report)


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    w, med = report["w1"], report["w1"]["median"]
    rows.append(("#10", med["assign_leads"] / med["floor"] <= TARGET_W1_VS_FLOOR and w["same"],
                 f"W1 assign_leads() of {w['n']} leads <= {TARGET_W1_VS_FLOOR}× the floor, same assignments: "
                 f"{med['assign_leads'] / med['floor']:.2f}×, same: {'yes' if w['same'] else 'no'}"))
    rows.append(("#6", med["assign_leads"] / med["baseline"] <= TARGET_ASSIGN_VS_BASELINE,
                 f"W1 assign_leads() <= {TARGET_ASSIGN_VS_BASELINE}× the set-based baseline with the same triggers: "
                 f"{med['assign_leads'] / med['baseline']:.2f}×"))
    ratio = med["assign_leads_rules"] / med["assign_leads"]
    rows.append(("#11", ratio <= TARGET_RULES, f"W1 with every rule <= {TARGET_RULES}× without: {ratio:.2f}×"))
    ratio = med["preview"] / med["assign_leads_no_triggers"]
    rows.append(("#12", ratio <= TARGET_PREVIEW,
                 f"preview_assignments() <= {TARGET_PREVIEW}× assign_leads() without triggers (W1 data): {ratio:.2f}×"))
    return rows
