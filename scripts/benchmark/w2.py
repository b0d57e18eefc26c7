"""W2 (#6): scaling. assign_leads() at N = 25,000, 50,000 and 100,000 pending leads (the W1 shape,
sellers scaled with N), next to the set-based baseline at every size; each doubling's cost ratio is
judged against the baseline's."""

import math
import statistics

from .assignment import ASSIGN_VS_BASELINE, timed_transaction
from .data import load_pending_workload
from .harness import drop_database, progress, psql, rotations, times_by_label

TARGET_DOUBLING = 2.2  # #6


def run(args, report):
    """assign_leads() and, for reference, the set-based baseline at every size: where both grow
    alike, the growth is PostgreSQL's (index depth, trigger queues), not the extension's."""
    results = []
    for n in args.scaling:
        m = max(4, round(args.sellers * n / args.leads))
        db = f"bench_w2_{n}"
        progress(f"W2: loading {n} pending leads, {m} sellers")
        load_pending_workload(db, n, m)
        script = "LOAD 'lead_assigner';\n"
        for order in rotations(list(ASSIGN_VS_BASELINE), args.reps):
            for variant in order:
                setup, statement = ASSIGN_VS_BASELINE[variant]
                script += timed_transaction(variant, setup, statement, checksum=False)
        progress(f"W2: N={n}: {args.reps} x {', '.join(ASSIGN_VS_BASELINE)}")
        times = times_by_label(psql(db, script))
        results.append(dict(n=n, m=m, times=times["assign_leads"], median=statistics.median(times["assign_leads"]),
                            baseline=statistics.median(times["baseline"])))
        drop_database(db)
    report["w2"] = results


def show(report):
    results = report["w2"]
    print(f"\nW2  scaling of assign_leads() next to the set-based baseline (sellers scaled with N, room for all; "
          f"median of {len(results[0]['times'])})")
    print(f"    {'N':>8}{'sellers':>9}{'ms':>10}{'µs/lead':>10}{'cost ratio':>12}"
          f"{'baseline µs/lead':>18}{'baseline ratio':>16}{'/ baseline':>12}")
    previous = None
    for row in results:
        cost = base = ""
        if previous:
            cost = f"{row['median'] / previous['median']:.2f}"
            base = f"{row['baseline'] / previous['baseline']:.2f}"
        print(f"    {row['n']:>8}{row['m']:>9}{row['median']:>10.1f}{1000 * row['median'] / row['n']:>10.2f}{cost:>12}"
              f"{1000 * row['baseline'] / row['n']:>18.2f}{base:>16}{row['median'] / row['baseline']:>12.2f}")
        previous = row
    first, last = results[0], results[-1]
    print(f"    per-lead cost from N={first['n']} to N={last['n']}: assign_leads x"
          f"{(last['median'] / last['n']) / (first['median'] / first['n']):.2f}, baseline x"
          f"{(last['baseline'] / last['n']) / (first['baseline'] / first['n']):.2f}")


def w2_steps(report):
    """(n_from, n_to, cost ratio, baseline cost ratio) per step, each normalised to a doubling."""
    results, steps = report["w2"], []
    for a, b in zip(results, results[1:]):
        # A step that is not exactly 2x is judged as if it were: ratio ** (1 / log2(size ratio)).
        exponent = 1 / math.log2(b["n"] / a["n"])
        steps.append((a["n"], b["n"], (b["median"] / a["median"]) ** exponent,
                      (b["baseline"] / a["baseline"]) ** exponent))
    return steps


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    rows = []
    # The machine is shared and noisy: a step is also judged against the baseline's step in
    # the same run, i.e. what a doubling costs the extension beyond what it costs PostgreSQL.
    for a, b, ratio, baseline in w2_steps(report):
        normalised = 2 * ratio / baseline
        rows.append(("#6", min(ratio, normalised) <= TARGET_DOUBLING,
                     f"W2 N {a} -> {b}: cost x{ratio:.2f} per doubling, x{normalised:.2f} relative to the "
                     f"baseline's x{baseline:.2f} (<= {TARGET_DOUBLING})"))
    return rows
