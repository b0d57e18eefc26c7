"""Backlog (#10): SELECT assign_leads() latency (pgbench -c 1) with 100,000 Pending leads in a line
whose sellers are all full (1,000 sellers over 4 lines, max_leads_count 4), against the same sellers
with no leads at all."""

from .data import LEAD_COLUMNS, PENDING_ROWS, REPAIR, load_leads, load_sellers
from .harness import alternate, drop_database, fresh_database, lat_summary, percentile, progress, psql

TARGET_BACKLOG_MS = 5.0  # #10

def run(args, report):
    n, m, calls = args.backlog_leads, args.sellers, args.backlog_calls
    full_max = 4
    result = {}
    for name in ("empty", "backlog"):
        db = f"bench_{name}"
        progress(f"backlog: loading database {name}")
        fresh_database(db)
        script = "SET session_replication_role = replica;\n" + load_sellers(m, full_max)
        if name == "backlog":
            # Line 1's sellers hold full_max open leads each (F leads); n Pending leads in line 1.
            script += f"""
INSERT INTO lead_management.leads {LEAD_COLUMNS}
SELECT 'F' || lpad(i::text, 9, '0'), 'Lead', 'Number' || i, '+1777' || lpad(i::text, 9, '0'),
       'f' || i || '@bench.example', 1, 1, 1
FROM generate_series(1, {full_max} * ({m} + 3) / 4) AS i;
INSERT INTO lead_management.assignments (lead_document_number, seller_document_number, assignment_status_id, assigned_at)
SELECT 'F' || lpad(i::text, 9, '0'), 'S' || lpad((1 + 4 * ((i - 1) / {full_max}))::text, 7, '0'), 2,
       now() - interval '2 days'
FROM generate_series(1, {full_max} * ({m} + 3) / 4) AS i;
""" + load_leads(n, business_lines=1) + PENDING_ROWS
        psql(db, script + REPAIR)
        result[name] = dict(db=db)
    lat = alternate({name: result[name]["db"] for name in result}, "SELECT assign_leads();\n", calls, "backlog")
    for name in result:
        (state,) = psql(result[name]["db"], "SELECT '@', count(*) FILTER (WHERE assignment_status_id = 1), "
                                            "count(*) FILTER (WHERE assignment_status_id = 2), "
                                            "(SELECT coalesce(sum(assigned), 0) FROM lead_management.assignment_runs) "
                                            "FROM lead_management.assignments;\n")
        result[name].update(lat=lat[name], pending=int(state[0]), open=int(state[1]), assigned=int(state[2]))
        drop_database(result[name]["db"])
    report["backlog"] = dict(n=n, m=m, full_max=full_max, result=result)


def show(report):
    w = report["backlog"]
    r = w["result"]
    print(f"\nBacklog  (#10) SELECT assign_leads() client-side latency (pgbench -c 1); data: {w['m']} sellers over 4 lines, "
          f"max_leads_count {w['full_max']}; line 1's sellers all full ({r['backlog']['open']} open leads), "
          f"{w['n']} Pending leads in line 1, the other lines' sellers with room and nothing pending; "
          f"baseline: the same sellers, no leads at all")
    for name in ("empty", "backlog"):
        print(f"    {name:<8} {lat_summary(r[name]['lat'])}   (after: {r[name]['pending']} pending, "
              f"{r[name]['assigned']} assigned by the runs)")
    print(f"    backlog p50 {percentile(r['backlog']['lat'], 0.5):.2f} ms (target < {TARGET_BACKLOG_MS} ms) = "
          f"{percentile(r['backlog']['lat'], 0.5) / percentile(r['empty']['lat'], 0.5):.2f}× the empty database")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    r = report["backlog"]["result"]
    p50 = percentile(r["backlog"]["lat"], 0.5)
    rows.append(("#10", p50 < TARGET_BACKLOG_MS,
                 f"assign_leads() with {report['backlog']['n']} Pending in a full line < {TARGET_BACKLOG_MS} ms: "
                 f"p50 {p50:.2f} ms ({p50 / percentile(r['empty']['lat'], 0.5):.2f}× an empty database)"))
    return rows
