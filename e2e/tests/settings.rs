//! lead_assigner.* settings: a preloaded server (the one scripts/e2e starts) knows and checks them
//! from the first moment; a server that loads the library only on first use (a second cluster,
//! started here with `LEAD_ASSIGNER_PRELOAD=pg_cron`) is where PostgreSQL merely warns about values
//! set before the library loaded, and the functions must refuse to run on them.

use std::collections::BTreeSet;
use std::process::Command;

use lead_assigner_e2e::*;

const DATABASE: &str = "lead_settings";

/// A cluster without lead_assigner preloaded, on the e2e port + 1; stopped when dropped.
struct ServerLoadingOnFirstUse {
    directory: String,
    port: u16,
}

impl ServerLoadingOnFirstUse {
    fn start() -> Self {
        let directory = script_output(Command::new("scripts/cluster").args(["scratch", "e2e-no-preload"]));
        let port = port() + 1;
        // Always a new cluster: what a previous run left must not decide this one.
        let _ = Command::new("scripts/cluster").args(["stop", &directory]).current_dir(checkout()).status();
        std::fs::remove_dir_all(&directory).ok();
        script_output(
            Command::new("scripts/cluster")
                .args(["start", &directory, &port.to_string(), DATABASE])
                .env("LEAD_ASSIGNER_PRELOAD", "pg_cron"),
        );
        let server = ServerLoadingOnFirstUse { directory, port };
        server.connect().batch_execute("CREATE EXTENSION lead_assigner CASCADE").expect("create extension");
        server
    }

    /// A new session: the library is not loaded in it until a function is called.
    fn connect(&self) -> Client {
        Client::connect(&format!("host=127.0.0.1 port={} user=postgres dbname={DATABASE}", self.port), NoTls)
            .unwrap_or_else(|error| panic!("cannot connect to the server on port {}: {error}", self.port))
    }
}

impl Drop for ServerLoadingOnFirstUse {
    /// A passing test leaves nothing behind; a failing one keeps the cluster for a look.
    fn drop(&mut self) {
        let _ = Command::new("scripts/cluster").args(["stop", &self.directory]).current_dir(checkout()).status();
        if std::thread::panicking() {
            eprintln!("the cluster without preload and its server.log are kept in {}", self.directory);
        } else {
            std::fs::remove_dir_all(&self.directory).ok();
        }
    }
}

fn checkout() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checkout").to_owned()
}

fn script_output(command: &mut Command) -> String {
    let output = command.current_dir(checkout()).output().expect("run scripts/cluster");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn setting_names(client: &mut Client) -> BTreeSet<String> {
    client
        .query("SELECT name FROM pg_settings WHERE name LIKE 'lead\\_assigner.%'", &[])
        .expect("read pg_settings")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Asserts that `sql`, run in `session`, is refused with 22023 naming `setting`, with a hint.
fn assert_refused(session: &mut Client, sql: &str, setting: &str) {
    let error = expect_sql_state(session.batch_execute(sql), "22023", sql);
    assert!(error.message().contains(setting), "{sql}: the error must name {setting}: {}", error.message());
    assert!(error.hint().is_some(), "{sql}: the error must carry a hint");
}

#[test]
fn values_set_before_the_library_loaded_are_refused_not_ignored() {
    let server = ServerLoadingOnFirstUse::start();

    // A session's SET before the first call: PostgreSQL keeps it as text, then only warns.
    let mut session = server.connect();
    session.batch_execute("SET lead_assigner.strategy = 'nonsense'").expect("a placeholder takes any value");
    assert_refused(&mut session, "SELECT assign_leads()", "lead_assigner.strategy");
    assert_refused(&mut session, "SELECT * FROM simulate_cycle(1)", "lead_assigner.strategy");
    assert_refused(&mut session, "SELECT activate_seller('nobody')", "lead_assigner.strategy");
    // A valid SET in the session overrides the rejected value.
    session.batch_execute("SET lead_assigner.strategy = 'balanced'").expect("a valid value");
    assert_eq!(scalar::<i32>(&mut session, "SELECT assign_leads()"), 0);

    // A valid value set before loading applies, unremarked.
    let mut session = server.connect();
    session.batch_execute("SET lead_assigner.strategy = 'round_robin'").expect("a placeholder");
    assert_eq!(scalar::<i32>(&mut session, "SELECT assign_leads()"), 0);
    assert_eq!(scalar::<String>(&mut session, "SHOW lead_assigner.strategy"), "round_robin");

    let mut session = server.connect();
    session.batch_execute("SET lead_assigner.leads_min = -3").expect("a placeholder takes any value");
    assert_refused(&mut session, "SELECT * FROM simulate_cycle()", "lead_assigner.leads_min");

    // A superuser-only setting a role may not set: refused when applied, so refused here too.
    let mut superuser = server.connect();
    superuser
        .batch_execute("DROP ROLE IF EXISTS settings_app; CREATE ROLE settings_app LOGIN IN ROLE lead_assigner_app")
        .unwrap();
    let mut app =
        Client::connect(&format!("host=127.0.0.1 port={} user=settings_app dbname={DATABASE}", server.port), NoTls)
            .expect("connect as the app role");
    app.batch_execute("SET lead_assigner.max_leads_per_cycle = 1000000").expect("a placeholder takes any value");
    assert_refused(&mut app, "SELECT * FROM simulate_cycle(1)", "lead_assigner.max_leads_per_cycle");

    // A misspelt name set before loading, then refused by the reserved prefix after it.
    let mut session = server.connect();
    session.batch_execute("SET lead_assigner.stratgy = 'balanced'").expect("a placeholder takes any name");
    assert_refused(&mut session, "SELECT assign_leads()", "lead_assigner.stratgy");
    expect_sql_state(session.batch_execute("SET lead_assigner.stratgy = 'balanced'"), "42602", "misspelt after load");

    // ALTER DATABASE ... SET in a session that never loaded the library: every new session of
    // that database (a pg_cron job's too) gets the bad value.
    server
        .connect()
        .batch_execute(&format!("ALTER DATABASE {DATABASE} SET lead_assigner.leads_max = 'many'"))
        .expect("a placeholder takes any value");
    assert_refused(&mut server.connect(), "SELECT * FROM simulate_cycle()", "lead_assigner.leads_max");
    server.connect().batch_execute(&format!("ALTER DATABASE {DATABASE} SET lead_assigner.leads_max = 3")).unwrap();
    assert_eq!(scalar::<i32>(&mut server.connect(), "SELECT assign_leads()"), 0, "a valid database value");
    server.connect().batch_execute(&format!("ALTER DATABASE {DATABASE} RESET lead_assigner.leads_max")).unwrap();
    assert_eq!(scalar::<i32>(&mut server.connect(), "SELECT assign_leads()"), 0);

    // Loaded on first use, the library defines the same settings the preloaded server lists.
    let mut loaded = server.connect();
    loaded.batch_execute("LOAD 'lead_assigner'").expect("load the library");
    assert_eq!(setting_names(&mut connect("postgres")), setting_names(&mut loaded));
}

#[test]
fn a_preloaded_server_knows_and_checks_every_setting_from_the_start() {
    let mut session = connect("postgres");
    let names = setting_names(&mut session);
    for name in [
        "lead_assigner.strategy",
        "lead_assigner.leads_min",
        "lead_assigner.leads_max",
        "lead_assigner.max_leads_per_cycle",
    ] {
        assert!(names.contains(name), "a new session lists {name} in pg_settings: {names:?}");
    }
    expect_sql_state(session.batch_execute("SET lead_assigner.strategy = 'nonsense'"), "22023", "bad value");
    expect_sql_state(session.batch_execute("SET lead_assigner.stratgy = 'balanced'"), "42602", "misspelt name");
    expect_sql_state(
        session.batch_execute("ALTER DATABASE postgres SET lead_assigner.leads_min = -3"),
        "22023",
        "bad database value",
    );
}
