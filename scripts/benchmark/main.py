"""Options, the workloads in the order they run and are reported, and the run itself."""

import argparse
import os
import shutil
import signal
import sys
import time

from . import __doc__ as OVERVIEW
from . import audit, backlog, bulk, explain, ha, harness, oninsert, seed, territories, w1, w2, w3, w4
from .harness import CLUSTER_DIR, cluster, cpu_snapshot, machine, others_cpu, progress, start_cluster
from .report import print_report

# Each workload module has run(args, report), show(report) and targets(report). w5 (the peak memory
# of W1's backend) is measured in W1's database and shown with W1: --only w5 runs w1 with it.
# ha (a Patroni cluster of its own, root, about 3 minutes) runs only when named.
WORKLOADS = {"w1": w1, "seed": seed, "w2": w2, "w3": w3, "w4": w4, "backlog": backlog, "bulk": bulk,
             "oninsert": oninsert, "explain": explain, "audit": audit, "territories": territories, "ha": ha}
NAMES = list(WORKLOADS) + ["w5"]
ONLY_WHEN_NAMED = {"ha"}
DEFAULT = [name for name in NAMES if name not in ONLY_WHEN_NAMED]
ALIASES = {"rules": {"w1", "w4"}, "insight": {"w1", "w4", "explain"}, "insert": {"oninsert"},
           "w1-seed": {"seed"}, "w1seed": {"seed"}, "all": set(DEFAULT)}


def parse_args():
    env = os.environ.get
    p = argparse.ArgumentParser(description=OVERVIEW.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", default=env("BENCH_QUICK", "") not in ("", "0"),
                   help="tiny sizes, one repetition: a smoke run of a minute or two")
    p.add_argument("--leads", type=int, default=env("BENCH_LEADS"), help="W1 pending leads (100000)")
    p.add_argument("--sellers", type=int, default=env("BENCH_SELLERS"),
                   help="sellers in W1, seed, backlog, bulk, oninsert (1000)")
    p.add_argument("--scaling", default=env("BENCH_SCALING"), help="W2 sizes (25000,50000,100000)")
    p.add_argument("--reps", type=int, default=env("BENCH_REPS"), help="repetitions, median reported (3)")
    p.add_argument("--seed-leads", type=int, default=env("BENCH_SEED_LEADS"), help="seed comparison leads (10000)")
    p.add_argument("--audit-rows", type=int, default=env("BENCH_AUDIT_ROWS"), help="W3 rows updated (100000)")
    p.add_argument("--sim-leads", default=env("BENCH_SIM_LEADS"),
                   help="W4 open-book sizes, the first one judged at p50 < 3 ms (100000,1000000)")
    p.add_argument("--sim-sellers", type=int, default=env("BENCH_SIM_SELLERS"), help="W4 sellers (1000)")
    p.add_argument("--sim-calls", type=int, default=env("BENCH_SIM_CALLS"), help="W4 calls per measure (1000)")
    p.add_argument("--backlog-leads", type=int, default=env("BENCH_BACKLOG_LEADS"), help="backlog pending (100000)")
    p.add_argument("--backlog-calls", type=int, default=env("BENCH_BACKLOG_CALLS"), help="backlog calls (400)")
    p.add_argument("--bulk-leads", type=int, default=env("BENCH_BULK_LEADS"), help="bulk/oninsert leads (100000)")
    p.add_argument("--insert-calls", type=int, default=env("BENCH_INSERT_CALLS"),
                   help="single-lead INSERTs per variant (1000)")
    p.add_argument("--explain-sellers", type=int, default=env("BENCH_EXPLAIN_SELLERS"),
                   help="sellers in the explained lead's line (1000)")
    p.add_argument("--explain-calls", type=int, default=env("BENCH_EXPLAIN_CALLS"), help="explain_lead calls (1000)")
    p.add_argument("--audit-existing", type=int, default=env("BENCH_AUDIT_EXISTING"),
                   help="existing audit rows at the last stage, half of it at the middle one (10000000)")
    p.add_argument("--audit-batch", type=int, default=env("BENCH_AUDIT_BATCH"),
                   help="audit rows per timed statement (20000)")
    p.add_argument("--only", default=env("BENCH_ONLY", ",".join(DEFAULT)),
                   help=f"workloads to run ({','.join(NAMES)}; by default all but {','.join(ONLY_WHEN_NAMED)}; "
                        f"aliases {','.join(ALIASES)})")
    p.add_argument("--no-diagnostics", dest="diagnostics", action="store_false",
                   help="skip the diagnostics (W1 trigger-layer breakdown, W4 auto_explain profiles)")
    p.add_argument("--keep", action="store_true",
                   help="leave the benchmark cluster running at the end, with the workload databases")
    args = p.parse_args()
    quick = dict(leads=5000, sellers=100, scaling="2500,5000,10000", reps=1, seed_leads=1000,
                 audit_rows=5000, sim_leads="5000,20000", sim_sellers=100, sim_calls=200, backlog_leads=5000,
                 backlog_calls=100, bulk_leads=5000, insert_calls=100, explain_sellers=200, explain_calls=200,
                 audit_existing=200000, audit_batch=2000)
    full = dict(leads=100000, sellers=1000, scaling="25000,50000,100000", reps=3, seed_leads=10000,
                audit_rows=100000, sim_leads="100000,1000000", sim_sellers=1000, sim_calls=1000,
                backlog_leads=100000, backlog_calls=400, bulk_leads=100000, insert_calls=1000,
                explain_sellers=1000, explain_calls=1000, audit_existing=10000000, audit_batch=20000)
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.scaling = [int(x) for x in str(args.scaling).split(",") if x.strip()]
    args.sim_leads = [int(x) for x in str(args.sim_leads).split(",") if x.strip()]
    only = set()
    for name in (x.strip().lower() for x in args.only.split(",") if x.strip()):
        if name in ALIASES:
            only |= ALIASES[name]
        elif name in NAMES:
            only.add(name)
        else:
            p.error(f"unknown workload {name!r} (known: {', '.join(NAMES)}; aliases {', '.join(ALIASES)})")
    args.only = only
    args.memory = "w5" in args.only
    args.profile_calls = 50 if args.quick else 200
    if "w5" in args.only:
        args.only.add("w1")
    if args.sellers < 4 or args.sim_sellers < 4:
        p.error("need at least 4 sellers (one per business line)")
    return args


def check_disk(args):
    """The audit workload's existing rows take about 400 bytes each on disk (heap, index, WAL):
    refuse up front rather than fill the disk half-way."""
    if "audit" not in args.only:
        return
    free = shutil.disk_usage(os.path.dirname(CLUSTER_DIR)).free
    need = 400 * args.audit_existing + 4 * 2**30
    if free < need:
        raise SystemExit(f"the audit workload needs about {need / 2**30:.0f} GB free where the cluster lives, "
                         f"{free / 2**30:.0f} GB are: pass --audit-existing N with a smaller N (say so when reporting)")

def main():
    args = parse_args()
    harness.KEEP = args.keep
    check_disk(args)
    report, load = {}, []

    def stop(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through the finally below, which stops the cluster
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        start_cluster()
        info = machine()
        for name, workload in WORKLOADS.items():
            if name in args.only:
                before = cpu_snapshot()
                t0 = time.monotonic()
                workload.run(args, report)
                load.append((name, others_cpu(before, cpu_snapshot()), time.monotonic() - t0))
    finally:
        if not args.keep:
            progress("stopping the benchmark cluster")
            try:
                cluster("stop", CLUSTER_DIR)
            except Exception as error:  # noqa: BLE001 - still report what was measured
                print(f"could not stop the cluster: {error}", file=sys.stderr)

    print_report(info, load, args, report, WORKLOADS, NAMES)
