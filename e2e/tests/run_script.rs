//! `make psql` (scripts/run psql) against the e2e server: it logs in as the admin role, for which
//! the audit trail is append-only, and `make psql-superuser` is the way to a superuser.

use std::process::{Command, Output};

use lead_assigner_e2e::*;

/// The database scripts/run works in.
const RUN_DATABASE: &str = "lead_management";

/// `scripts/run SUBCOMMAND ARGS` pointed at the e2e server (its data directory and port).
fn scripts_run(subcommand: &str, args: &[&str]) -> Output {
    let checkout = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checkout");
    let data = std::env::var("LEAD_ASSIGNER_E2E_DATA").expect("LEAD_ASSIGNER_E2E_DATA: run with scripts/e2e");
    Command::new("scripts/run")
        .arg(subcommand)
        .args(args)
        .env("LEAD_ASSIGNER_RUN_DIR", data)
        .env("LEAD_ASSIGNER_PORT", port().to_string())
        .current_dir(checkout)
        .output()
        .expect("run scripts/run")
}

fn psql_line(output: &Output) -> String {
    assert!(output.status.success(), "scripts/run failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn make_psql_is_the_admin_role_and_cannot_delete_audit_rows() {
    let mut superuser = connect("postgres");
    superuser.batch_execute(&format!("DROP DATABASE IF EXISTS {RUN_DATABASE}")).expect("drop database");
    superuser.batch_execute(&format!("CREATE DATABASE {RUN_DATABASE}")).expect("create database");
    let mut setup = connect(RUN_DATABASE);
    setup.batch_execute(&format!("CREATE EXTENSION lead_assigner CASCADE; {SEED_SELLERS}")).expect("install, seed");
    let audit_rows = "SELECT count(*) FROM lead_management.audit_logs";
    let before = scalar::<i64>(&mut setup, audit_rows);
    assert!(before > 0, "seeding wrote audit rows");

    let who = psql_line(&scripts_run(
        "psql",
        &["-tA", "-c", "SELECT current_user || ' ' || rolsuper || ' ' || pg_has_role('lead_assigner_admin', 'MEMBER') FROM pg_roles WHERE rolname = current_user"],
    ));
    assert_eq!(who, "lead_admin false true", "make psql: the login, superuser?, member of lead_assigner_admin?");

    let delete = scripts_run(
        "psql",
        &["-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", "DELETE FROM lead_management.audit_logs"],
    );
    let stderr = String::from_utf8_lossy(&delete.stderr);
    assert!(!delete.status.success() && stderr.contains("42501"), "make psql deleting audit rows: {stderr}");
    assert_eq!(scalar::<i64>(&mut setup, audit_rows), before, "no audit row deleted");

    let superuser_session = psql_line(&scripts_run("psql-superuser", &["-tA", "-c", "SHOW is_superuser"]));
    assert_eq!(superuser_session, "on", "make psql-superuser");
}
