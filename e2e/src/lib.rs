//! Helpers for the end-to-end tests: they drive a real server started by `scripts/e2e`
//! (pg_cron preloaded, the extension installed) over real connections.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use postgres::{Client, NoTls};

/// Port of the server `scripts/e2e` started.
pub fn port() -> u16 {
    std::env::var("LEAD_ASSIGNER_E2E_PORT")
        .expect("LEAD_ASSIGNER_E2E_PORT is not set: run the end-to-end tests with scripts/e2e")
        .parse()
        .expect("LEAD_ASSIGNER_E2E_PORT must be a port number")
}

/// The directory of the server's programs (pg_ctl, pg_dump, psql): PostgreSQL PG_MAJOR's, the
/// major scripts/e2e started (15 when unset).
pub fn pg_bin(program: &str) -> std::path::PathBuf {
    let major = std::env::var("PG_MAJOR").unwrap_or_else(|_| "15".to_owned());
    std::path::Path::new(&format!("/usr/lib/postgresql/{major}/bin")).join(program)
}

/// The database pg_cron works in (cron.database_name); the only one where jobs can run.
pub fn cron_database() -> String {
    std::env::var("LEAD_ASSIGNER_E2E_CRON_DB").unwrap_or_else(|_| "lead_e2e".to_owned())
}

/// A superuser connection over TCP to `database`.
pub fn connect(database: &str) -> Client {
    connect_as(database, "postgres")
}

pub fn connect_as(database: &str, user: &str) -> Client {
    Client::connect(
        &format!("host=127.0.0.1 port={} user={user} dbname={database} application_name=lead_e2e", port()),
        NoTls,
    )
    .unwrap_or_else(|error| panic!("cannot connect to {database} as {user}: {error}"))
}

/// A superuser connection over the unix socket in /tmp.
pub fn connect_socket(database: &str) -> Client {
    Client::connect(&format!("host=/tmp port={} user=postgres dbname={database}", port()), NoTls)
        .unwrap_or_else(|error| panic!("cannot connect to {database} over the socket: {error}"))
}

/// A new empty database with `CREATE EXTENSION lead_assigner CASCADE`, named after the test.
/// Tests in one binary run in parallel threads, so each gets its own database.
pub fn fresh_database(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let name = format!("e2e_{}_{}_{}", test, std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut admin = connect("postgres");
    // Two calls: DROP/CREATE DATABASE refuse the implicit transaction of a multi-statement batch.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).expect("drop database");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
    // Parallel tests install into several databases at once: the extension must cope (its roles
    // are cluster-wide).
    connect(&name).batch_execute("CREATE EXTENSION lead_assigner CASCADE").expect("create extension");
    name
}

/// The original seed's four sellers (capacities 50/30/40/25 on business lines 1, 2, 3, 1).
pub const SEED_SELLERS: &str = "INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, business_line_id) VALUES
    ('1001', 'Ana', 'Lopez', '+1-555-0100', 'ana.lopez@example.com', 50, 1),
    ('1002', 'Bruno', 'Silva', '+1-555-0101', 'bruno.silva@example.com', 30, 2),
    ('1003', 'Carla', 'Gomez', '+1-555-0102', 'carla.gomez@example.com', 40, 3),
    ('1004', 'David', 'Smith', '+1-555-0103', 'david.smith@example.com', 25, 1)";

/// Rows that break an invariant of the data model; each query must return no row.
pub const INVARIANT_VIOLATIONS: &[(&str, &str)] = &[
    (
        "a seller above max_leads_count",
        "SELECT s.document_number FROM lead_management.sellers s
         JOIN lead_management.assignments a ON a.seller_document_number = s.document_number
         JOIN lead_management.assignment_statuses st USING (assignment_status_id)
         WHERE st.occupies_capacity GROUP BY s.document_number, s.max_leads_count
         HAVING count(*) > s.max_leads_count",
    ),
    (
        "a lead assigned across business lines",
        "SELECT a.lead_document_number FROM lead_management.assignments a
         JOIN lead_management.leads l ON l.document_number = a.lead_document_number
         JOIN lead_management.sellers s ON s.document_number = a.seller_document_number
         WHERE l.business_line_id <> s.business_line_id",
    ),
    (
        "an open lead held by an inactive seller",
        "SELECT a.lead_document_number FROM lead_management.assignments a
         JOIN lead_management.sellers s ON s.document_number = a.seller_document_number
         JOIN lead_management.assignment_statuses st USING (assignment_status_id)
         WHERE st.occupies_capacity AND NOT s.is_active",
    ),
    (
        "an open lead held by a seller whose territory does not include its country",
        "SELECT a.lead_document_number FROM lead_management.assignments a
         JOIN lead_management.leads l ON l.document_number = a.lead_document_number
         JOIN lead_management.assignment_statuses st USING (assignment_status_id)
         WHERE st.occupies_capacity
           AND a.seller_document_number IN (SELECT seller_document_number FROM lead_management.seller_countries)
           AND (a.seller_document_number, l.country_id) NOT IN
               (SELECT seller_document_number, country_id FROM lead_management.seller_countries)",
    ),
    (
        "a lead without exactly one assignments row",
        "SELECT l.document_number FROM lead_management.leads l
         LEFT JOIN lead_management.assignments a ON a.lead_document_number = l.document_number
         GROUP BY l.document_number HAVING count(a.assignment_id) <> 1",
    ),
    (
        "an open status without a seller",
        "SELECT a.lead_document_number FROM lead_management.assignments a
         JOIN lead_management.assignment_statuses st USING (assignment_status_id)
         WHERE st.occupies_capacity AND a.seller_document_number IS NULL",
    ),
    (
        "an assignment whose current version is missing from assignment_records",
        "SELECT a.assignment_id FROM lead_management.assignments a WHERE NOT EXISTS (
            SELECT FROM lead_management.assignment_records r
            WHERE r.assignment_id = a.assignment_id
              AND r.assignment_status_id = a.assignment_status_id
              AND r.seller_document_number IS NOT DISTINCT FROM a.seller_document_number)",
    ),
];

/// Panics naming every broken invariant: the queries above, written independently of the
/// extension, and every row of the extension's own check_invariants() (which also compares the
/// maintained seller loads and queue with a recount).
pub fn assert_invariants(client: &mut Client) {
    let mut broken: Vec<String> = client
        .query("SELECT invariant, violations FROM check_invariants() WHERE violations <> 0", &[])
        .unwrap_or_else(|error| panic!("check_invariants(): {}", describe(&error)))
        .iter()
        .map(|row| format!("check_invariants: {}: {} rows", row.get::<_, String>(0), row.get::<_, i64>(1)))
        .collect();
    for (name, query) in INVARIANT_VIOLATIONS {
        let rows = client.query(*query, &[]).unwrap_or_else(|error| panic!("checking {name}: {error}"));
        if !rows.is_empty() {
            broken.push(format!("{name}: {} rows", rows.len()));
        }
    }
    assert!(broken.is_empty(), "invariants broken: {broken:#?}");
}

/// The first column of the one row `sql` returns.
pub fn scalar<T: for<'a> postgres::types::FromSql<'a>>(client: &mut Client, sql: &str) -> T {
    client.query_one(sql, &[]).unwrap_or_else(|error| panic!("{sql}: {}", describe(&error))).get(0)
}

/// The first column of every row `sql` returns, as text.
pub fn texts(client: &mut Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .unwrap_or_else(|error| panic!("{sql}: {}", describe(&error)))
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// An error with its SQLSTATE and hint, for assertion messages.
pub fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!(
            "SQLSTATE {} {}: {}{}",
            db.code().code(),
            db.severity(),
            db.message(),
            db.hint().map(|hint| format!(" (hint: {hint})")).unwrap_or_default()
        ),
        None => error.to_string(),
    }
}

/// Asserts that `result` is a server error with SQLSTATE `expected`; returns it for more checks.
pub fn expect_sql_state<T: std::fmt::Debug>(
    result: Result<T, postgres::Error>,
    expected: &str,
    what: &str,
) -> postgres::error::DbError {
    let error = match result {
        Ok(value) => panic!("{what}: expected SQLSTATE {expected}, but it succeeded with {value:?}"),
        Err(error) => error,
    };
    let db_error = error.as_db_error().unwrap_or_else(|| panic!("{what}: expected SQLSTATE {expected}, got {error}"));
    assert_eq!(db_error.code().code(), expected, "{what}: wrong SQLSTATE for \"{}\"", db_error.message());
    db_error.clone()
}

/// Calls `probe` every `every` until it returns Some; panics naming `what` after `timeout`.
pub fn wait_for<T>(
    what: &str,
    timeout: std::time::Duration,
    every: std::time::Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(every);
    }
}

/// The pg_cron database, ready for the scheduling tests: pg_cron, the extension, the seed
/// sellers, and no simulation job left by an earlier test.
pub fn prepare_cron_database() -> Client {
    let mut client = connect(&cron_database());
    client
        .batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS pg_cron;
             CREATE EXTENSION IF NOT EXISTS lead_assigner CASCADE;
             {SEED_SELLERS} ON CONFLICT DO NOTHING;
             SELECT stop_simulation();"
        ))
        .expect("prepare the pg_cron database");
    client
}

/// Every table of schema lead_management that holds data, for whole-database comparisons.
pub const DATA_TABLES: &[&str] = &[
    "countries",
    "document_types",
    "business_lines",
    "assignment_statuses",
    "leads",
    "sellers",
    "assignments",
    "assignment_records",
    "audit_logs",
    "assignment_runs",
    "round_robin_cursors",
    "seller_loads",
    "assignment_queue",
];

/// Per table of [`DATA_TABLES`]: row count and an md5 over every row's text; equal fingerprints
/// mean equal contents.
pub fn table_fingerprints(client: &mut Client) -> std::collections::BTreeMap<&'static str, (i64, Option<String>)> {
    DATA_TABLES
        .iter()
        .map(|&table| {
            let sql = format!(
                "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM lead_management.{table} t"
            );
            let row = client.query_one(&sql, &[]).unwrap_or_else(|error| panic!("{sql}: {}", describe(&error)));
            (table, (row.get(0), row.get(1)))
        })
        .collect()
}

/// A LOGIN role for one test, member of `member_of` (if any). Roles are cluster-wide, so the
/// name is unique per process and call; dropping the value drops the role and what it owns in
/// `database`.
pub struct TestRole {
    pub name: String,
    database: String,
}

impl TestRole {
    pub fn create(database: &str, label: &str, member_of: Option<&str>) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!("e2e_{label}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let membership = member_of.map(|role| format!(" IN ROLE {role}")).unwrap_or_default();
        connect(database).batch_execute(&format!("CREATE ROLE {name} LOGIN{membership}")).expect("create role");
        TestRole { name, database: database.to_owned() }
    }

    pub fn connect(&self) -> Client {
        connect_as(&self.database, &self.name)
    }
}

impl Drop for TestRole {
    // Runs during unwinding too: report, never panic.
    fn drop(&mut self) {
        let name = &self.name;
        let result =
            Client::connect(&format!("host=127.0.0.1 port={} user=postgres dbname={}", port(), self.database), NoTls)
                .and_then(|mut client| client.batch_execute(&format!("DROP OWNED BY {name}; DROP ROLE {name}")));
        if let Err(error) = result {
            eprintln!("could not drop role {name}: {error}");
        }
    }
}

/// Like [`connect`], but hands back the error: for waiting on a server that is restarting.
pub fn try_connect(database: &str) -> Result<Client, postgres::Error> {
    Client::connect(
        &format!("host=127.0.0.1 port={} user=postgres dbname={database} application_name=lead_e2e", port()),
        NoTls,
    )
}

/// cron.job's id of the simulation job, if it is scheduled.
pub fn simulation_job_id(client: &mut Client) -> Option<i64> {
    client
        .query_opt("SELECT jobid FROM cron.job WHERE jobname = 'lead_assigner_simulation'", &[])
        .unwrap_or_else(|error| panic!("reading cron.job: {}", describe(&error)))
        .map(|row| row.get(0))
}

/// Prints a progress line at once, even while libtest captures the test's output (it captures
/// the print macros, not writes to the stderr handle): long waits must not look like a hang.
pub fn progress(test: &str, message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "[e2e {test}] {message}");
}

/// Waits (polling every 2 s, up to 150 s: pg_cron 1.4 runs jobs on minute boundaries) for a
/// succeeded run of `job` with a runid above `after_run`; returns that runid. Reports progress
/// every 20 s.
pub fn wait_for_succeeded_run(client: &mut Client, job: i64, after_run: i64) -> i64 {
    let started = std::time::Instant::now();
    let deadline = started + std::time::Duration::from_secs(150);
    let mut next_report = started + std::time::Duration::from_secs(20);
    progress(
        "cron",
        &format!("waiting up to 150 s for a pg_cron run of job {job} (on a minute boundary with pg_cron 1.4)"),
    );
    loop {
        let runs = client
            .query("SELECT runid, status, return_message FROM cron.job_run_details WHERE jobid = $1 AND runid > $2 ORDER BY runid", &[&job, &after_run])
            .unwrap_or_else(|error| panic!("reading cron.job_run_details: {}", describe(&error)));
        if let Some(run) = runs.iter().find(|run| run.get::<_, Option<&str>>(1) == Some("succeeded")) {
            return run.get(0);
        }
        let seen: Vec<(i64, Option<String>, Option<String>)> =
            runs.iter().map(|run| (run.get(0), run.get(1), run.get(2))).collect();
        assert!(
            std::time::Instant::now() < deadline,
            "no succeeded run of cron job {job} after run {after_run} within 150 s; runs seen: {seen:?}"
        );
        if std::time::Instant::now() >= next_report {
            progress("cron", &format!("still waiting for job {job} after {} s", started.elapsed().as_secs()));
            next_report += std::time::Duration::from_secs(20);
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
}

/// The checkout the tests run from (scripts/ is there).
pub fn checkout() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checkout").to_owned()
}

/// Runs `command` in the checkout; panics with its stderr unless it succeeds; returns its stdout.
pub fn script_output(command: &mut Command) -> String {
    let output = command.current_dir(checkout()).output().unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A PostgreSQL 15 server program, run as the postgres user (through sudo when the tests run as
/// root, as scripts/cluster does): the servers and their data directories belong to postgres.
pub fn server_program(program: &str) -> Command {
    let path = pg_bin(program);
    if running_as_root() {
        let mut command = Command::new("sudo");
        command.args(["-u", "postgres"]).arg(&path);
        command
    } else {
        Command::new(path)
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|me| me.uid() == 0).unwrap_or(false)
}

/// A streaming hot standby of the e2e server (pg_basebackup -R), on the e2e port + 2 (or
/// LEAD_ASSIGNER_E2E_STANDBY_PORT); stopped and deleted when dropped.
pub struct Standby {
    pub port: u16,
    directory: String,
}

impl Standby {
    pub fn start() -> Self {
        let directory = script_output(Command::new("scripts/cluster").args(["scratch", "e2e-standby"]));
        let port = std::env::var("LEAD_ASSIGNER_E2E_STANDBY_PORT")
            .map(|port| port.parse().expect("LEAD_ASSIGNER_E2E_STANDBY_PORT must be a port number"))
            .unwrap_or(port() + 2);
        // Always a new copy: what a previous run left must not decide this one.
        let standby = Standby { port, directory };
        standby.stop();
        // An empty data directory the postgres user owns, private as the server requires.
        let owner: &[&str] = if running_as_root() { &["-o", "postgres", "-g", "postgres"] } else { &[] };
        script_output(Command::new("install").args(["-d", "-m", "0700"]).args(owner).arg(&standby.directory));
        script_output(server_program("pg_basebackup").args([
            "-h",
            "127.0.0.1",
            "-p",
            &self::port().to_string(),
            "-U",
            "postgres",
            "-D",
            &standby.directory,
            "--write-recovery-conf",
            "--checkpoint=fast",
        ]));
        let log = format!("{}/server.log", standby.directory);
        script_output(server_program("pg_ctl").args([
            "-D",
            &standby.directory,
            "-l",
            &log,
            "-o",
            &format!("-p {port}"),
            "-w",
            "-t",
            "60",
            "start",
        ]));
        standby
    }

    pub fn connect(&self, database: &str) -> Client {
        Client::connect(
            &format!("host=127.0.0.1 port={} user=postgres dbname={database} application_name=lead_e2e", self.port),
            NoTls,
        )
        .unwrap_or_else(|error| panic!("cannot connect to the standby's {database}: {error}"))
    }

    /// Waits until the standby has replayed everything the primary has written so far.
    pub fn catch_up(&self, primary: &mut Client, standby: &mut Client) {
        let written: String = scalar(primary, "SELECT pg_current_wal_lsn()::text");
        wait_for(
            "the standby to replay the primary's WAL",
            std::time::Duration::from_secs(60),
            std::time::Duration::from_millis(100),
            || {
                let replayed: bool = standby
                    .query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&written])
                    .unwrap_or_else(|error| panic!("reading the standby's replay position: {}", describe(&error)))
                    .get(0);
                replayed.then_some(())
            },
        );
    }

    fn stop(&self) {
        let _ = server_program("pg_ctl").args(["-D", &self.directory, "-m", "immediate", "-w", "stop"]).output();
        std::fs::remove_dir_all(&self.directory).ok();
    }
}

impl Drop for Standby {
    fn drop(&mut self) {
        self.stop();
    }
}
