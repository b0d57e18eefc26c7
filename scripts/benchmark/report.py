"""The report: notes on the machine, the server, the load and the run, then each workload's figures
and the targets with PASS/FAIL, in the order of main.WORKLOADS."""

import time

from . import harness


def print_report(info, load, args, report, workloads, names):
    """`workloads` (name: module) are shown in order, those that ran; `names` orders the run line."""
    pg = info["pg"]
    print(f"lead_assigner benchmark  {info['date']}")
    print(f"machine: {info['nproc']} CPUs ({info['model']}), {info['mem_gb']:.0f} GB RAM, Linux {info['kernel']}, "
          f"disk free at start {info['disk_free_gb']:.0f} GB")
    print(f"server:  PostgreSQL {pg[0]}, lead_assigner {harness.EXT_VERSION} (control file default {pg[5]}), shared_buffers={pg[1]} work_mem={pg[2]} "
          f"synchronous_commit={pg[3]} max_wal_size={pg[4]}, autovacuum off, checkpoint_timeout 1h")
    print(f"load:    CPUs kept busy by processes other than the benchmark's, on average (of {info['nproc']}), "
          f"and each workload's wall time: " + ", ".join(f"{w} {busy:.2f} ({secs:.0f} s)" for w, busy, secs in load))
    if load and max(busy for _, busy, _ in load) > 0.25:
        print("         other processes competed for the CPUs during the run: expect noisier numbers")
    print(f"run:     {'--quick ' if args.quick else ''}only={','.join(w for w in names if w in args.only)} "
          f"reps={args.reps} leads={args.leads} sellers={args.sellers} seed_leads={args.seed_leads} "
          f"scaling={','.join(map(str, args.scaling))} audit_rows={args.audit_rows} "
          f"sim_leads={','.join(map(str, args.sim_leads))} sim_sellers={args.sim_sellers} sim_calls={args.sim_calls} "
          f"backlog_leads={args.backlog_leads} bulk_leads={args.bulk_leads} explain_sellers={args.explain_sellers} "
          f"audit_existing={args.audit_existing} audit_batch={args.audit_batch}")
    for name, workload in workloads.items():
        if name in report:
            workload.show(report)
    print_targets([row for name, workload in workloads.items() if name in report for row in workload.targets(report)])
    print(f"\ntotal benchmark time {time.monotonic() - harness.started:.0f} s")


def print_targets(rows):
    """Rows of (issue, ok, text): ok is True, False, or None for a figure reported without a target."""
    print("\nTargets (each a ratio or figure from this run)")
    for issue, ok, text in rows:
        print(f"    {'PASS' if ok else 'info' if ok is None else 'FAIL'}  {issue:<4} {text}")
