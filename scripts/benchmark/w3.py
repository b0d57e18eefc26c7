"""W3 (#10): audit cost per row of UPDATE lead_management.leads SET phone = ... on 100,000 leads (4
lines, no assignments): the statement-level Rust audit trigger against the seed's per-row PL/pgSQL
trigger and against no audit trigger at all."""

import statistics

from .data import load_leads
from .harness import drop_database, fresh_database, progress, psql, rotations, settle, timed, times_by_label

TARGET_AUDIT_VS_PLPGSQL = 0.5  # #10

PLPGSQL_AUDIT = """
CREATE SCHEMA bench;
-- The seed's PL/pgSQL audit trigger, per row.
CREATE FUNCTION bench.plpgsql_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_management.audit_logs(table_name, action, old_value, new_value)
    VALUES (TG_TABLE_NAME, TG_OP, row_to_json(OLD), row_to_json(NEW));
    RETURN NULL;
END
$$;
"""

PHONE_UPDATE = "UPDATE lead_management.leads SET phone = phone || '9'"
NO_RUST_AUDIT = "ALTER TABLE lead_management.leads DISABLE TRIGGER audit_update;\n"
W3_VARIANTS = {
    "rust": "",
    "plpgsql": NO_RUST_AUDIT + "CREATE TRIGGER bench_plpgsql_audit AFTER UPDATE ON lead_management.leads "
                               "FOR EACH ROW EXECUTE FUNCTION bench.plpgsql_audit();\n",
    "none": NO_RUST_AUDIT,
    # Diagnostic: the same Rust trigger without SECURITY DEFINER and its SET search_path clause.
    "rust_invoker": "ALTER FUNCTION lead_management.audit_row_change() SECURITY INVOKER RESET ALL;\n",
}


def run(args, report):
    db = "bench_w3"
    n = args.audit_rows
    progress(f"W3: loading {n} leads")
    fresh_database(db)
    psql(db, "SET session_replication_role = replica;\n" + load_leads(n)
         + "RESET session_replication_role;\nSELECT * FROM maintain();\n" + PLPGSQL_AUDIT + "VACUUM ANALYZE;\nCHECKPOINT;\n")
    tables = ["lead_management.leads", "lead_management.audit_logs"]
    variants = [v for v in W3_VARIANTS if args.diagnostics or v != "rust_invoker"]
    script = "LOAD 'lead_assigner';\n"
    # One untimed warm-up of each variant (plans, caches, page pruning), then the timed rounds.
    for r, order in enumerate([variants] + rotations(variants, args.reps)):
        for variant in order:
            label = variant if r > 0 else "warmup"
            script += "BEGIN;\n" + W3_VARIANTS[variant] + timed(label, PHONE_UPDATE) + "ROLLBACK;\n" + settle(tables)
    progress(f"W3: {args.reps} x {len(variants)} variants of a {n}-row UPDATE")
    times = times_by_label(psql(db, script))
    report["w3"] = dict(n=n, times=times, median={v: statistics.median(times[v]) for v in variants})
    drop_database(db)


def w3_ratio(report):
    med = report["w3"]["median"]
    return (med["rust"] - med["none"]) / (med["plpgsql"] - med["none"])


def show(report):
    w = report["w3"]
    med, n = w["median"], w["n"]
    overhead = {v: 1000 * (med[v] - med["none"]) / n for v in med}
    print(f"\nW3  (#10) audit cost per row; data: {n} leads (4 lines), no assignments; "
          f"UPDATE lead_management.leads SET phone = ... on all {n} rows "
          f"(median of {len(w['times']['rust'])}; BEGIN ... ROLLBACK; order rotated)")
    print(f"    {'variant':<66}{'ms':>10}{'µs/row':>9}{'audit µs/row':>14}   runs (ms)")
    descriptions = {
        "rust": "(a) Rust statement-level audit_update (as installed)",
        "plpgsql": "(b) the seed's per-row PL/pgSQL trigger instead",
        "none": "(c) no audit trigger",
        "rust_invoker": "(d) diagnostic: (a) without SECURITY DEFINER/SET search_path",
    }
    for variant, description in descriptions.items():
        if variant not in med:
            continue
        runs = " ".join(f"{t:.0f}" for t in w["times"][variant])
        print(f"    {description:<66}{med[variant]:>10.1f}{1000 * med[variant] / n:>9.2f}"
              f"{overhead[variant] if variant != 'none' else 0:>14.2f}   {runs}")
    print(f"    audit cost per row: Rust {overhead['rust']:.2f} µs, PL/pgSQL {overhead['plpgsql']:.2f} µs, "
          f"Rust/PLpgSQL = {w3_ratio(report):.2f} (#10 target <= {TARGET_AUDIT_VS_PLPGSQL})")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    ratio = w3_ratio(report)
    rows.append(("#10", ratio <= TARGET_AUDIT_VS_PLPGSQL,
                 f"W3 audit cost per row <= {TARGET_AUDIT_VS_PLPGSQL}× the per-row PL/pgSQL trigger: {ratio:.2f}×"))
    return rows
