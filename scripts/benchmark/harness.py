"""The harness every workload runs in: the benchmark's own cluster, psql and pgbench plumbing,
timing (clock_timestamp() differences, client-side latencies), medians and percentiles, and the
notes on the machine and its load that the report starts with."""

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PG_BIN = f"/usr/lib/postgresql/{os.environ.get('PG_MAJOR', '15')}/bin"
CLUSTER_DIR = os.environ.get("BENCH_CLUSTER_DIR") or subprocess.run(
    [os.path.join(ROOT, "scripts", "cluster"), "scratch", "bench-cluster"], check=True, capture_output=True, text=True
).stdout.strip()
PORT = os.environ.get("BENCH_PORT", "5497")
MAIN_DB = "lead_bench"
KEEP = False  # --keep: leave the cluster running and the workload databases in it, to look around

started = time.monotonic()


def progress(message):
    print(f"[bench {time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# psql plumbing
# ---------------------------------------------------------------------------------------------

LIBRARY = subprocess.run([f"{PG_BIN}/pg_config", "--pkglibdir"], capture_output=True, text=True).stdout.strip() \
    + "/lead_assigner.so"
LIBRARY_MTIME = os.stat(LIBRARY).st_mtime if os.path.exists(LIBRARY) else None


def library_replaced():
    """A backend that has lead_assigner.so mapped dies with SIGBUS when the file is rewritten in
    place (cargo pgrx install / make install by someone else): say so instead of leaving a mystery."""
    if PRIVATE_LIBRARY is None and os.path.exists(LIBRARY) and os.stat(LIBRARY).st_mtime != LIBRARY_MTIME:
        return (f"\n{LIBRARY} was rewritten during the benchmark (an install ran meanwhile); "
                f"backends that had it loaded crash with SIGBUS. Run the benchmark again.")
    return ""


PSQL = [f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
        "-h", "/tmp", "-p", PORT, "-U", "postgres", "-d"]


def run_psql(db, script, timeout=1800):
    """Runs a psql script in one session (one backend); stops the benchmark if it fails."""
    done = subprocess.run(PSQL + [db], input=script, text=True, capture_output=True, timeout=timeout)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"psql failed in database {db} (exit {done.returncode}){library_replaced()}")
    return done


def psql(db, script, timeout=1800):
    """Runs a psql script in one session; returns the result rows tagged '@' as lists of fields.

    Only rows whose first column is '@' are results; everything else (e.g. the value a timed
    SELECT returns) is ignored."""
    out = run_psql(db, script, timeout).stdout
    return [line.split("\t")[1:] for line in out.splitlines() if line.startswith("@\t")]


def query(db, sql):
    """All rows of one query (no '@' tagging), as lists of text fields."""
    out = run_psql(db, sql.rstrip().rstrip(";") + ";\n").stdout
    return [line.split("\t") for line in out.splitlines() if line]


def timed(label, statement):
    """psql lines that run `statement` and emit '@ label milliseconds'."""
    return (f"SELECT clock_timestamp() AS t0 \\gset\n"
            f"{statement.rstrip().rstrip(';')};\n"
            f"SELECT '@', '{label}', 1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);\n")


# Cleans up what a rolled-back variant left behind (dead tuples, dirty buffers) before the next one.
def settle(tables):
    return f"VACUUM {', '.join(tables)};\nCHECKPOINT;\n"


EXT_VERSION = None  # the newest installed version of the extension; every database gets that one
PRIVATE_LIBRARY = None  # the benchmark's own copy of lead_assigner.so (see private_library())


def newest_version():
    """The newest lead_assigner version installed (not the control file's default_version: an
    install in progress elsewhere, e.g. an upgrade test, may leave that at an older release)."""
    versions = [v for (v,) in query(MAIN_DB, "SELECT version FROM pg_available_extension_versions "
                                             "WHERE name = 'lead_assigner'")]
    if not versions:
        raise SystemExit("lead_assigner is not installed: run scripts/install (or make install) first")
    return max(versions, key=lambda v: [int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", v)])


TEMPLATE_DB = "bench_template"


def create_template():
    """The extension is created once, at the start, in a template database that every workload
    database is copied from: the install scripts in PostgreSQL's share directory may change under
    a long run (another engineer installing), the schema measured must not."""
    psql(MAIN_DB, f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}";\nCREATE DATABASE "{TEMPLATE_DB}";\n')
    psql(TEMPLATE_DB, f"CREATE EXTENSION lead_assigner VERSION '{EXT_VERSION}' CASCADE;\n")


def fresh_database(name):
    psql(MAIN_DB, f'DROP DATABASE IF EXISTS "{name}";\nCREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}";\n')


def drop_database(name):
    if not KEEP:
        psql(MAIN_DB, f'DROP DATABASE IF EXISTS "{name}";\n')


def times_by_label(rows):
    result = {}
    for label, ms in rows:
        result.setdefault(label, []).append(float(ms))
    return result


def rotations(variants, reps):
    """Variant order for each repetition: rotated by one each time, to spread order effects."""
    return [variants[r % len(variants):] + variants[:r % len(variants)] for r in range(reps)]


def percentile(values, p):
    """Linear interpolation between closest ranks (like percentile_cont) on sorted values."""
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def pgbench(db, scripts, transactions, what):
    """Runs the scripts ([(name, sql)]) in one connection (-c 1), `transactions` transactions in all,
    each one picking a script at random (equal weights): interleaved samples of every variant under
    the same load. Returns {name: sorted client-side latencies in ms}."""
    logdir = tempfile.mkdtemp(prefix="lead_bench_pgbench_")
    try:
        command = [f"{PG_BIN}/pgbench", "-n", "-c", "1", "-t", str(transactions)]
        for i, (_, sql) in enumerate(scripts):
            with open(os.path.join(logdir, f"s{i}.sql"), "w") as f:
                f.write(sql)
            command += ["-f", f"s{i}.sql@1" if len(scripts) > 1 else f"s{i}.sql"]
        command += ["-l", "--log-prefix", "latency", "-h", "/tmp", "-p", PORT, "-U", "postgres", db]
        progress(f"{what}: pgbench, {transactions} transactions of {', '.join(n for n, _ in scripts)}")
        done = subprocess.run(command, cwd=logdir, text=True, capture_output=True, timeout=1800)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"pgbench failed ({what}){library_replaced()}")
        result = {name: [] for name, _ in scripts}
        for name in os.listdir(logdir):
            if name.startswith("latency."):
                with open(os.path.join(logdir, name)) as f:
                    for line in f:
                        fields = line.split()
                        # client_id transaction_no time script_no time_epoch time_us; pgbench very
                        # rarely logs 0 µs, which no call can take: leave those out.
                        if len(fields) >= 4 and int(fields[2]) > 0:
                            result[scripts[int(fields[3])][0]].append(int(fields[2]) / 1000)
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    return {name: sorted(values) for name, values in result.items()}


def alternate(databases, sql, calls, what):
    """`sql` timed by pgbench in each database ({variant: db}), calls/2 each, then again in the
    reverse order: both variants meet the same machine load. Returns {variant: sorted latencies}."""
    lat = {variant: [] for variant in databases}
    for order in (list(databases), list(reversed(databases))):
        for variant in order:
            lat[variant] += pgbench(databases[variant], [(variant, sql)], calls // 2, f"{what} {variant}")[variant]
    return {variant: sorted(values) for variant, values in lat.items()}


def lat_summary(values):
    return (f"p50 {percentile(values, 0.5):7.2f} ms  p90 {percentile(values, 0.9):7.2f} ms  "
            f"p99 {percentile(values, 0.99):7.2f} ms  ({len(values)} calls)")


# ---------------------------------------------------------------------------------------------
# The cluster, the machine and its load
# ---------------------------------------------------------------------------------------------

def cluster(*command):
    subprocess.run([os.path.join(ROOT, "scripts", "cluster"), *command], check=True, timeout=180,
                   stdout=subprocess.DEVNULL)


def start_cluster():
    progress(f"recreating the benchmark cluster in {CLUSTER_DIR} (port {PORT})")
    if os.path.exists(CLUSTER_DIR):
        cluster("stop", CLUSTER_DIR)
        shutil.rmtree(CLUSTER_DIR)
    cluster("start", CLUSTER_DIR, PORT, MAIN_DB)
    # Every table is vacuumed and checkpointed explicitly between variants: autovacuum and
    # WAL-triggered checkpoints would only land at random inside timed statements. The largest
    # workload (200k leads, with their audit and history rows) fits in 2GB of shared buffers, so
    # the scaling series measures the extension, not the point where the data outgrows the cache.
    global EXT_VERSION, PRIVATE_LIBRARY
    EXT_VERSION = newest_version()
    PRIVATE_LIBRARY = private_library(EXT_VERSION)
    psql(MAIN_DB, "ALTER SYSTEM SET autovacuum = off;\nALTER SYSTEM SET max_wal_size = '8GB';\n"
                  "ALTER SYSTEM SET checkpoint_timeout = '1h';\nALTER SYSTEM SET shared_buffers = '2GB';\n"
                  f"ALTER SYSTEM SET dynamic_library_path = '{os.path.dirname(PRIVATE_LIBRARY)}:$libdir';\n")
    cluster("stop", CLUSTER_DIR)
    cluster("start", CLUSTER_DIR, PORT, MAIN_DB)
    create_template()


def private_library(version):
    """A private copy of a lead_assigner.so that has every symbol the version's install script
    names, loaded through dynamic_library_path: an install elsewhere meanwhile (another engineer's
    build, an upgrade test that installs an older release) can then neither crash the benchmark's
    backends nor swap the code under it. Prefers the installed library, then this checkout's
    packaged build (target/release/lead_assigner-pg15, left by scripts/install)."""
    sharedir = subprocess.run([f"{PG_BIN}/pg_config", "--sharedir"], capture_output=True, text=True).stdout.strip()
    with open(os.path.join(sharedir, "extension", f"lead_assigner--{version}.sql")) as f:
        symbols = set(re.findall(r"'MODULE_PATHNAME', '(\w+)'", f.read()))
    libdir = os.path.dirname(LIBRARY)
    candidates = [LIBRARY, os.path.join(ROOT, "target", "release", "lead_assigner-pg15" + libdir, "lead_assigner.so")]
    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        with open(candidate, "rb") as f:
            content = f.read()
        missing = [s for s in symbols if s.encode() not in content]
        if missing:
            progress(f"{candidate} lacks {len(missing)} of the {len(symbols)} functions of lead_assigner {version} "
                     f"(e.g. {sorted(missing)[0]}): not that version's build")
            continue
        target_dir = CLUSTER_DIR.rstrip("/") + "-lib"
        os.makedirs(target_dir, exist_ok=True)
        os.chmod(target_dir, 0o755)
        target = os.path.join(target_dir, "lead_assigner.so")
        shutil.copyfile(candidate, target + ".tmp")
        os.chmod(target + ".tmp", 0o755)
        os.replace(target + ".tmp", target)
        progress(f"using a private copy of {candidate} (lead_assigner {version}) at {target}")
        return target
    raise SystemExit(f"no lead_assigner.so with the functions of version {version} among {candidates}: "
                     f"run scripts/install")


def cpu_snapshot():
    """(wall seconds, CPU seconds busy on the whole machine, CPU seconds used by this benchmark:
    the server's processes, exited ones included via the postmaster's cutime, plus psql/pgbench)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    busy = (sum(fields) - fields[3] - fields[4]) / tick  # everything but idle and iowait
    ours = 0
    try:
        with open(os.path.join(CLUSTER_DIR, "postmaster.pid")) as f:
            postmaster = f.readline().strip()
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if pid == postmaster:
                ours += sum(int(x) for x in stat[11:15])  # utime stime cutime cstime
            elif stat[1] == postmaster:
                ours += int(stat[11]) + int(stat[12])
    except OSError:
        pass
    me = os.times()
    return time.monotonic(), busy, ours / tick + me.user + me.system + me.children_user + me.children_system


def others_cpu(before, after):
    """CPUs (on average) that other processes kept busy between two snapshots."""
    wall = after[0] - before[0]
    return max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / wall if wall > 0 else 0.0


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    (settings,) = psql(MAIN_DB, """
SELECT '@', current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem'),
       current_setting('synchronous_commit'), current_setting('max_wal_size'),
       (SELECT default_version FROM pg_available_extensions WHERE name = 'lead_assigner');
""")
    return dict(nproc=os.cpu_count(), model=model, mem_gb=mem_kb / 2**20,
                disk_free_gb=shutil.disk_usage(os.path.dirname(CLUSTER_DIR)).free / 2**30,
                date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"),
                kernel=platform.release(), pg=settings)
