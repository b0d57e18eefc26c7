"""W4 (#10, #11, #12): simulate_cycle(5) client-side latency (pgbench -c 1) on an open book of
100,000 and 1,000,000 Assigned leads over 1,000 sellers (4 lines), measured right after the committed
assign_leads() run that assigned them (no ANALYZE since), against an empty book with the same sellers;
the same with every routing rule configured (#11, alternating chunks); one more pg_notify interleaved,
for what the run notification costs (#12). Diagnostic: auto_explain profiles of the cycles."""

import re

from .assignment import ASSIGN
from .data import (PENDING_ROWS, REPAIR, RULES_DESCRIPTION, RULES_OFF, RULES_ON, RULES_TIME_ZONES,
                   TARGET_RULES, load_leads, load_sellers)
from .harness import drop_database, fresh_database, lat_summary, percentile, pgbench, progress, psql, run_psql, timed

TARGET_SIM_P50_MS = 3.0  # #10
TARGET_SIM_FLAT = 1.5  # #10: 1M open leads vs 100k
TARGET_NOTIFY = 0.02  # #12

SIMULATE = "SELECT * FROM simulate_cycle(5);\n"
# The run's notification, once more: the same channel and a payload built the same way.
SIMULATE_PLUS_NOTIFY = ("SELECT s.*, pg_notify('lead_assigner_runs', json_build_object('run_id', 0, 'kind', 'simulate', "
                        "'strategy', 'greedy', 'assigned', s.assigned, 'requeued', 0)::text) FROM simulate_cycle(5) s;\n")
SIMULATE_NO_NOTIFY = "SELECT s.*, NULL::text FROM simulate_cycle(5) s;\n"


def load_open_book(db, n, m, calls, setup=""):
    """n pending leads over 4 lines, m sellers with room for them twice over (plus what the calls
    add), and `setup` (SQL: territories, say); fresh statistics; then one committed assign_leads()
    run that assigns them all, and no ANALYZE after it (autovacuum is off): the state right after a
    big run. Returns its time in ms."""
    max_leads = -(-2 * n // m) + 5 * calls // m + 100
    fresh_database(db)
    psql(db, "SET session_replication_role = replica;\n" + load_sellers(m, max_leads)
         + (load_leads(n) + PENDING_ROWS if n else "") + REPAIR + RULES_TIME_ZONES + setup
         + "VACUUM lead_management.sellers;\n")
    (row,) = psql(db, "LOAD 'lead_assigner';\nSET lead_assigner.strategy = greedy;\n" + timed("assign", ASSIGN)
                  + "SELECT '@', 'open', count(*) FROM lead_management.assignments WHERE assignment_status_id = 2;\n"
                    "CHECKPOINT;\n")[:1]
    return float(row[1])


def run(args, report):
    m, calls = args.sim_sellers, args.sim_calls
    result = {}
    for n in [0] + args.sim_leads:
        db = f"bench_w4_{n}"
        progress(f"W4: loading {n} pending leads, {m} sellers, and assigning them (committed)")
        assign_ms = load_open_book(db, n, m, calls)
        (state,) = psql(db, "SELECT '@', count(*) FILTER (WHERE assignment_status_id = 2), count(*) "
                            "FROM lead_management.assignments;\n")
        entry = dict(n=n, assign_ms=assign_ms, open=int(state[0]), total=int(state[1]))
        entry["lat"] = pgbench(db, [("simulate", SIMULATE)], calls, f"W4 n={n}")["simulate"]
        if n == args.sim_leads[0]:
            # #12: the run notification. Both scripts wrap simulate_cycle(5) the same way; one adds a
            # second pg_notify on the same channel with the same kind of payload, so the difference
            # of the medians is what one run notification costs (no listener connected).
            entry["notify"] = pgbench(db, [("plain", SIMULATE_NO_NOTIFY), ("extra_notify", SIMULATE_PLUS_NOTIFY)],
                                      2 * calls, f"W4 n={n} notify")
            # #11: rules on and off, committed, in alternating chunks.
            rules = {"rules_off": [], "rules_on": []}
            chunk = max(20, calls // 2)
            for r in range(2):
                for variant in (("rules_off", "rules_on") if r % 2 == 0 else ("rules_on", "rules_off")):
                    psql(db, (RULES_ON if variant == "rules_on" else RULES_OFF)
                         + "VACUUM ANALYZE lead_management.sellers, lead_management.seller_hours;\n"
                           "CHECKPOINT;\n")
                    rules[variant] += pgbench(db, [(variant, SIMULATE)], chunk, f"W4 n={n} {variant}")[variant]
                psql(db, RULES_OFF)
            entry["rules"] = {k: sorted(v) for k, v in rules.items()}
        if args.diagnostics and n:
            progress(f"W4: n={n}: diagnostic profile, {args.profile_calls} x simulate_cycle(5) under auto_explain")
            entry["profile"] = profile_w4(db, args.profile_calls)
        (state,) = psql(db, """
SELECT '@', count(*) FILTER (WHERE assignment_status_id = 1), count(*),
       (SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'simulate'),
       (SELECT sum(assigned) FROM lead_management.assignment_runs WHERE kind = 'simulate')
FROM lead_management.assignments;
""")
        entry.update(pending_after=int(state[0]), leads_after=int(state[1]), runs=int(state[2]),
                     assigned=int(state[3] or 0))
        result[n] = entry
        drop_database(db)
    report["w4"] = dict(m=m, calls=calls, sizes=result, small=args.sim_leads[0], big=args.sim_leads[-1])


def profile_w4(db, calls):
    """Runs `calls` more cycles with auto_explain logging every nested statement to the client,
    and sums the durations per statement text: (calls, [(text, (executions, total ms))] by total)."""
    script = ("LOAD 'auto_explain';\nSET auto_explain.log_min_duration = 0;\n"
              "SET auto_explain.log_nested_statements = on;\nSET client_min_messages = log;\n"
              + SIMULATE * calls)
    totals = {}
    lines = run_psql(db, script, timeout=600).stderr.splitlines()
    for i, line in enumerate(lines):
        found = re.search(r"LOG:  duration: ([0-9.]+) ms  plan:", line)
        if found and i + 1 < len(lines) and lines[i + 1].startswith("Query Text: "):
            text = " ".join(lines[i + 1][len("Query Text: "):].split())
            text = text if len(text) <= 90 else text[:87] + "..."
            count, total = totals.get(text, (0, 0.0))
            totals[text] = (count + 1, total + float(found.group(1)))
    return calls, sorted(totals.items(), key=lambda item: -item[1][1])


def w4_p50(report, n):
    return percentile(report["w4"]["sizes"][n]["lat"], 0.5)


def show(report):
    w = report["w4"]
    small, big = w["small"], w["big"]
    print(f"\nW4  (#10) simulate_cycle(5) client-side latency (pgbench -c 1, one transaction per call, "
          f"synchronous_commit on); data: an open book of N Assigned leads over {w['m']} sellers (4 lines), "
          f"measured right after the committed assign_leads() run that assigned them (statistics from before "
          f"that run, no ANALYZE since); N = 0 is the baseline (same sellers, empty book)")
    base = w4_p50(report, 0)
    for n, entry in w["sizes"].items():
        p50 = percentile(entry["lat"], 0.5)
        print(f"    N={n:>8} open={entry['open']:>8}  {lat_summary(entry['lat'])}  "
              f"p50 {p50 / base:5.2f}× empty book   (the run that opened them: {entry['assign_ms']:.0f} ms)")
    print(f"    p50 at N={big} / p50 at N={small} = {w4_p50(report, big) / w4_p50(report, small):.2f} "
          f"(#10 target < {TARGET_SIM_FLAT}); p50 at N={small}: {w4_p50(report, small):.2f} ms "
          f"(#10 target < {TARGET_SIM_P50_MS} ms)")
    entry = w["sizes"][small]
    if "rules" in entry:
        off, on = entry["rules"]["rules_off"], entry["rules"]["rules_on"]
        print(f"    (#11) rules, N={small}, two alternating chunks each: without {lat_summary(off)}")
        print(f"                                          with    {lat_summary(on)}")
        print(f"          p50 with / without = {percentile(on, 0.5) / percentile(off, 0.5):.2f} "
              f"(target <= {TARGET_RULES}); {RULES_DESCRIPTION}")
    if "notify" in entry:
        plain, extra = entry["notify"]["plain"], entry["notify"]["extra_notify"]
        print(f"    (#12) run notification, N={small}, interleaved at random in one pgbench: "
              f"simulate_cycle(5)                       {lat_summary(plain)}")
        print(f"          {'':<66}simulate_cycle(5) + one more pg_notify  {lat_summary(extra)}")
        print(f"          one run notification ≈ p50 difference = "
              f"{1000 * (percentile(extra, 0.5) - percentile(plain, 0.5)):.0f} µs = {notify_share(report):+.1%} "
              f"of a cycle (target < {TARGET_NOTIFY:.0%}; no LISTEN client connected; the run's own "
              f"notification is in both)")
    for n, entry in w["sizes"].items():
        if "profile" in entry:
            calls, profile = entry["profile"]
            print(f"    where the time goes at N={n} (diagnostic: {calls} more calls under auto_explain, nested "
                  f"statements; times are inclusive: a statement's triggers count in it too):")
            print(f"      {'statement':<92}{'per call':>9}{'mean µs':>9}{'ms/call':>9}")
            for text, (count, total_ms) in profile[:10]:
                print(f"      {text:<92}{count / calls:>9.1f}{1000 * total_ms / count:>9.1f}{total_ms / calls:>9.3f}")


def notify_share(report):
    notify = report["w4"]["sizes"][report["w4"]["small"]]["notify"]
    plain = percentile(notify["plain"], 0.5)
    return (percentile(notify["extra_notify"], 0.5) - plain) / plain


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    w = report["w4"]
    small, big = w["small"], w["big"]
    p50 = w4_p50(report, small)
    rows.append(("#10", p50 < TARGET_SIM_P50_MS,
                 f"W4 simulate_cycle(5) p50 < {TARGET_SIM_P50_MS} ms at {small} open leads: {p50:.2f} ms "
                 f"({p50 / w4_p50(report, 0):.2f}× the empty book)"))
    if big != small:
        ratio = w4_p50(report, big) / p50
        rows.append(("#10", ratio < TARGET_SIM_FLAT,
                     f"W4 p50 at {big} open leads < {TARGET_SIM_FLAT}× the p50 at {small}: {ratio:.2f}×"))
    entry = w["sizes"][small]
    ratio = percentile(entry["rules"]["rules_on"], 0.5) / percentile(entry["rules"]["rules_off"], 0.5)
    rows.append(("#11", ratio <= TARGET_RULES,
                 f"simulate_cycle(5) with every rule <= {TARGET_RULES}× without (p50, {small} open): {ratio:.2f}×"))
    share = notify_share(report)
    rows.append(("#12", share < TARGET_NOTIFY,
                 f"the run notification adds < {TARGET_NOTIFY:.0%} to simulate_cycle(5): {share:+.1%}"))
    return rows
