"""Explain (#12): SELECT count(*) FROM explain_lead(a random lead), pgbench -c 1, with 1,000 sellers
all in the lead's line (capacity 10, the first half full) and 10,000 leads, half assigned, half
Pending; interleaved at random with a plain SQL listing of the line's sellers and their loads."""

from .data import PENDING_ROWS, REPAIR, load_leads, load_sellers
from .harness import drop_database, fresh_database, lat_summary, percentile, pgbench, progress, psql

TARGET_EXPLAIN_P50_MS = 2.0  # #12

def run(args, report):
    db = "bench_explain"
    m, n = args.explain_sellers, 10 * args.explain_sellers
    progress(f"explain: loading {m} sellers and {n} leads, all in business line 1")
    fresh_database(db)
    # Capacity 10 each: the first half of the sellers fill up, the rest keep room; then n/2 more
    # leads stay Pending. explain_lead() is asked about random leads, assigned or pending.
    psql(db, "SET session_replication_role = replica;\n" + load_sellers(m, 10, business_lines=1)
         + load_leads(n // 2, business_lines=1) + PENDING_ROWS + REPAIR
         + "SELECT assign_leads();\nRESET session_replication_role;\n" + load_leads(n - n // 2, n // 2 + 1, business_lines=1)
         + "VACUUM ANALYZE;\nCHECKPOINT;\n")
    pick = f"\\set i random(1, {n})\n"
    explain = pick + "SELECT count(*) FROM explain_lead('L' || lpad(:i::text, 9, '0'));\n"
    listing = pick + """
SELECT count(*) FROM (
    SELECT s.document_number, s.is_active AND coalesce(l.open_leads, 0) < s.max_leads_count
    FROM lead_management.sellers s
    LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number
    WHERE s.business_line_id = (SELECT business_line_id FROM lead_management.leads
                                WHERE document_number = 'L' || lpad(:i::text, 9, '0'))
    ORDER BY s.document_number) x;
"""
    lat = pgbench(db, [("explain_lead", explain), ("sql_listing", listing)], 2 * args.explain_calls, "explain")
    (rows,) = psql(db, "SELECT '@', count(*), count(*) FILTER (WHERE eligible) FROM explain_lead('L000000001');\n")
    report["explain"] = dict(m=m, n=n, lat=lat, rows=rows)
    drop_database(db)


def show(report):
    w = report["explain"]
    e, s = w["lat"]["explain_lead"], w["lat"]["sql_listing"]
    print(f"\nExplain  (#12) SELECT count(*) FROM explain_lead(a random lead), pgbench -c 1; data: {w['m']} sellers, "
          f"all in business line 1, capacity 10; {w['n']} leads in that line, half assigned (the first half of "
          f"the sellers full), half Pending ({w['rows'][0]} rows per call, {w['rows'][1]} eligible for the first lead)")
    print(f"    explain_lead()                                   {lat_summary(e)}")
    print(f"    baseline: SQL listing of the line's sellers+loads {lat_summary(s)}")
    print(f"    explain_lead p50 {percentile(e, 0.5):.2f} ms (target < {TARGET_EXPLAIN_P50_MS} ms) = "
          f"{percentile(e, 0.5) / percentile(s, 0.5):.2f}× the plain listing (interleaved at random)")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    e = report["explain"]["lat"]
    p50 = percentile(e["explain_lead"], 0.5)
    rows.append(("#12", p50 < TARGET_EXPLAIN_P50_MS,
                 f"explain_lead() p50 < {TARGET_EXPLAIN_P50_MS} ms with {report['explain']['m']} sellers in the line: "
                 f"{p50:.2f} ms ({p50 / percentile(e['sql_listing'], 0.5):.2f}× a plain SQL listing)"))
    return rows
