"""On insert (#15): lead_assigner.assign_on_insert. A bulk INSERT ... SELECT of 100,000 leads with
the option on, against the same INSERT with it off followed by SELECT assign_leads() (1,000 sellers
over 4 lines with room for all twice over, no leads before, strategy greedy; both must write the same
assignments); and single-lead INSERT latency, committed, option on against off interleaved at random
in one pgbench."""

from .assignment import ASSIGNMENT_CHECKSUM, GREEDY
from .bulk import run_inserts
from .data import LEAD_COLUMNS
from .harness import lat_summary, percentile, pgbench, psql

TARGET_ON_INSERT_BULK = 1.3  # #15

ON_INSERT = "SET LOCAL lead_assigner.assign_on_insert = on;\n"
ONINSERT_VARIANTS = {
    "load_then_assign": (GREEDY, "{insert};\nSELECT assign_leads()"),
    "load_on_insert": (GREEDY + ON_INSERT, "{insert}"),
}
RUNS_OF_KIND = ("SELECT '@', 'runs:{label}', count(*) || ' runs, ' || coalesce(sum(assigned), 0) || ' assigned' "
                "FROM lead_management.assignment_runs WHERE kind = '{kind}';\n")


def checks(variant):
    """The assignments each variant wrote, and the runs the insert trigger made."""
    return (ASSIGNMENT_CHECKSUM.format(label=variant)
            + (RUNS_OF_KIND.format(label=variant, kind="insert") if variant == "load_on_insert" else ""))


def single_inserts(args, db, entry):
    """Single-lead INSERT, committed, the option off and on interleaved at random."""
    single = ("\\set line random(1, 4)\nBEGIN;\nSET LOCAL lead_assigner.assign_on_insert = {};\n"
              f"INSERT INTO lead_management.leads {LEAD_COLUMNS}\n"
              "SELECT 'P' || lpad(i::text, 9, '0'), 'Lead', 'Single' || i, '+1888' || lpad(i::text, 9, '0'), "
              "'p' || i || '@bench.example', :line, 1 + i % 5, 1 + i % 4 FROM (SELECT nextval('bench.lead_seq') AS i) s;\n"
              "COMMIT;\n")
    entry["single"] = pgbench(db, [("off", single.format("off")), ("on", single.format("on"))],
                              2 * args.insert_calls, "on-insert single")
    (state,) = psql(db, "SELECT '@', count(*) FILTER (WHERE a.assignment_status_id = 2), count(*), "
                        "(SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert') "
                        "FROM lead_management.assignments a WHERE a.lead_document_number LIKE 'P%';\n")
    entry["single_state"] = [int(x) for x in state]


def run(args, report):
    run_inserts(args, report, ONINSERT_VARIANTS, "oninsert", checks, single_inserts)


def show(report):
    w = report["oninsert"]
    med, n = w["median"], w["n"]
    print(f"\nOn insert  (#15) lead_assigner.assign_on_insert; data: {w['m']} sellers over 4 lines with room for "
          f"{2 * n} leads, no leads before; strategy greedy")
    print(f"    bulk INSERT ... SELECT of {n} leads with the option on  {med['load_on_insert']:>9.1f} ms   runs: "
          + " ".join(f"{t:.0f}" for t in w["times"]["load_on_insert"]))
    print(f"    the same INSERT (option off) + SELECT assign_leads()     {med['load_then_assign']:>9.1f} ms   runs: "
          + " ".join(f"{t:.0f}" for t in w["times"]["load_then_assign"]))
    print(f"    on / insert + assign = {med['load_on_insert'] / med['load_then_assign']:.2f} "
          f"(target <= {TARGET_ON_INSERT_BULK}); same assignments: {'yes' if oninsert_same(report) else 'NO'} "
          f"({'; '.join(f'{k}: {sorted(v)}' for k, v in sorted(w['extra'].items()))})")
    off, on = w["single"]["off"], w["single"]["on"]
    assigned, total, runs = w["single_state"]
    print(f"    single-lead INSERT ... (BEGIN; SET LOCAL; INSERT; COMMIT), committed, interleaved at random:")
    print(f"      option off  {lat_summary(off)}")
    print(f"      option on   {lat_summary(on)}   on/off: p50 {percentile(on, 0.5) / percentile(off, 0.5):.2f}×, "
          f"p99 {percentile(on, 0.99) / percentile(off, 0.99):.2f}×")
    print(f"      (of the {total} single leads, {assigned} were assigned on insert, in {runs} runs of kind 'insert')")


def oninsert_same(report):
    sums = {k: v for k, v in report["oninsert"]["extra"].items() if k.startswith("checksum:")}
    values = set().union(*sums.values())
    return len(values) == 1 and int(next(iter(values)).split()[0]) == report["oninsert"]["n"]


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    w = report["oninsert"]
    ratio = w["median"]["load_on_insert"] / w["median"]["load_then_assign"]
    rows.append(("#15", ratio <= TARGET_ON_INSERT_BULK and oninsert_same(report),
                 f"bulk insert of {w['n']} leads with assign_on_insert <= {TARGET_ON_INSERT_BULK}× insert + "
                 f"assign_leads(), same assignments: {ratio:.2f}×"))
    off, on = w["single"]["off"], w["single"]["on"]
    rows.append(("#15", None, f"single-lead INSERT with assign_on_insert: p50 {percentile(on, 0.5):.2f} ms, "
                              f"p99 {percentile(on, 0.99):.2f} ms vs off p50 {percentile(off, 0.5):.2f} ms, p99 "
                              f"{percentile(off, 0.99):.2f} ms ({percentile(on, 0.5) / percentile(off, 0.5):.2f}× "
                              f"at p50; reported, no target)"))
    return rows
