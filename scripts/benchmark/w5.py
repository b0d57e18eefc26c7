"""W5: peak backend memory (VmHWM from /proc, and PostgreSQL's memory contexts) of a fresh backend
running W1's assign_leads() on W1's data, next to one running the set-based baseline. Runs inside W1
(--only w5 runs W1 too); reported, no target."""

from .assignment import ASSIGN_TABLES, ASSIGN_VS_BASELINE
from .harness import progress, psql, settle

MEMORY_PROBE = """
SELECT '@', '{label}',
       (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+) kB'))[1],
       (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\\s+(\\d+) kB'))[1],
       (SELECT sum(total_bytes) FROM pg_backend_memory_contexts);
"""


def measure(db, report):
    """A fresh backend per variant: VmHWM (peak RSS, shared buffers it touched included) before
    and after one W1 run, for assign_leads() and for the set-based baseline."""
    result = {}
    for variant in ("assign_leads", "baseline"):
        progress(f"W5: peak memory of a backend running {variant}")
        setup, statement = ASSIGN_VS_BASELINE[variant]
        rows = psql(db, "LOAD 'lead_assigner';\n" + MEMORY_PROBE.format(label="before")
                    + "BEGIN;\n" + setup + statement + ";\n" + MEMORY_PROBE.format(label="after") + "ROLLBACK;\n"
                    + settle(ASSIGN_TABLES))
        result[variant] = {label: (int(hwm), int(rss), int(ctx)) for label, hwm, rss, ctx in rows}
    report["w5"] = result


def show(report):
    w = report["w5"]
    n = report["w1"]["n"]
    print(f"\nW5  peak backend memory during W1 ({n} leads): /proc/<backend>/status VmHWM, fresh backend per row")
    print(f"    {'variant':<16}{'VmHWM before':>14}{'VmHWM after':>13}{'peak delta':>12}"
          f"{'mem contexts before':>21}{'after':>9}")
    for variant, probe in w.items():
        (hwm0, _, ctx0), (hwm1, _, ctx1) = probe["before"], probe["after"]
        print(f"    {variant:<16}{hwm0 / 1024:>11.1f} MB{hwm1 / 1024:>10.1f} MB{(hwm1 - hwm0) / 1024:>9.1f} MB"
              f"{ctx0 / 2**20:>18.1f} MB{ctx1 / 2**20:>6.1f} MB")
    delta = {v: (p["after"][0] - p["before"][0]) / 1024 for v, p in w.items()}
    print(f"    VmHWM counts the shared buffers a backend touched as well; assign_leads peak minus "
          f"baseline peak = {delta['assign_leads'] - delta['baseline']:.1f} MB "
          f"(≈ {1024 * 1024 * (delta['assign_leads'] - delta['baseline']) / n:.0f} bytes/lead)")
