"""HA (#24): the HA tier's figures, from one run of scripts/test-ha (e2e/tests/ha.rs). Only with
--only ha, never in the default run: it takes about 3 minutes, needs root (iptables) and installs
Patroni and etcd on first use (scripts/ha); HA_PG_PORT, HA_REST_PORT, HA_ETCD_PORT and HA_DIR are
passed on to it.

Data: a scripts/ha cluster (etcd, three Patroni nodes of the installed PostgreSQL on loopback
addresses 127.0.0.11-13, synchronous_mode on), the demo sellers and the simulation job every
minute, under a load through the multi-host connection string (two sessions of simulate_cycle(3),
one inserting leads routed on arrival, one moving assigned leads to Won). Three faults in turn:
the leader killed (SIGKILL), a planned switchover, the leader partitioned (iptables) then healed.
Per fault: failover time (fault to the first acknowledged write on the new leader), acknowledged
writes lost (target: 0), the gap in the simulation job's runs, the old leader's rejoin time. Then
simulate_cycle(5) p50 on the leader over 200 calls with synchronous replication vs without, same
run (reported)."""

import os
import re
import subprocess
import tempfile

from .harness import ROOT, progress

FAULT = re.compile(r"\[ha\] (?P<name>.+?): acknowledged writes (?P<acknowledged>\d+) .*?\), lost (?P<lost>\d+), "
                   r"failover (?P<failover>[\d.]+) s .*?, simulation gap (?P<gap>\d+) s, node\d+ back as a "
                   r"caught-up replica within (?P<rejoin>[\d.]+) s of (?P<rejoin_from>.+)$")
SYNC_COST = re.compile(r"\[ha\] simulate_cycle\(5\) p50 on the leader, (?P<calls>\d+) calls each: synchronous "
                       r"replication (?P<sync>[\d.]+) ms, asynchronous (?P<async>[\d.]+) ms")
FAULTS = 3


def run(args, report):
    log = os.path.join(tempfile.gettempdir(), "lead_assigner-bench-ha.log")
    progress(f"ha: scripts/test-ha (a new Patroni cluster, three faults, about 3 minutes; output in {log})")
    with open(log, "w") as out:
        done = subprocess.run([os.path.join(ROOT, "scripts", "test-ha")], cwd=ROOT, stdout=out,
                              stderr=subprocess.STDOUT, timeout=1800)
    with open(log) as f:
        lines = f.read().splitlines()
    faults = [m.groupdict() for m in map(FAULT.search, lines) if m]
    costs = [m.groupdict() for m in map(SYNC_COST.search, lines) if m]
    if done.returncode != 0 or len(faults) != FAULTS or len(costs) != 1:
        raise SystemExit("\n".join(lines[-30:]) + f"\nscripts/test-ha failed (exit {done.returncode}, "
                         f"{len(faults)} of {FAULTS} fault lines, {len(costs)} of 1 cost line): see {log}")
    report["ha"] = dict(faults=[dict(name=f["name"], acknowledged=int(f["acknowledged"]), lost=int(f["lost"]),
                                     failover=float(f["failover"]), gap=int(f["gap"]), rejoin=float(f["rejoin"]),
                                     rejoin_from=f["rejoin_from"]) for f in faults],
                        calls=int(costs[0]["calls"]), sync=float(costs[0]["sync"]), async_=float(costs[0]["async"]))


def show(report):
    w = report["ha"]
    print("\nHA  (#24) scripts/test-ha: a Patroni cluster of three nodes (synchronous_mode on) under a load of "
          "four sessions (simulate_cycle(3) x2, leads routed on arrival, moves to Won), the simulation job every "
          "minute; failover = fault to the first write acknowledged by the new leader")
    for f in w["faults"]:
        print(f"    {f['name']}")
        print(f"        failover {f['failover']:5.1f} s   lost {f['lost']} of {f['acknowledged']} acknowledged writes   "
              f"simulation gap {f['gap']} s   old leader a caught-up replica within {f['rejoin']:.1f} s "
              f"of {f['rejoin_from']}")
    print(f"    simulate_cycle(5) p50 on the leader, {w['calls']} calls each: synchronous replication "
          f"{w['sync']:.2f} ms, asynchronous {w['async_']:.2f} ms = {w['sync'] / w['async_']:.2f}×")


def targets(report):
    """(issue, ok, text) for each target this workload is judged by."""
    w = report["ha"]
    rows = [("#24", f["lost"] == 0, f"acknowledged writes lost = 0, {f['name']}: {f['lost']} of {f['acknowledged']} "
                                    f"(failover {f['failover']:.1f} s, simulation gap {f['gap']} s)")
            for f in w["faults"]]
    rows.append(("#24", None, f"simulate_cycle(5) p50 with synchronous replication / without: "
                              f"{w['sync'] / w['async_']:.2f}× ({w['sync']:.2f} / {w['async_']:.2f} ms)"))
    return rows
