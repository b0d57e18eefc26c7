//! Faults inside a running assignment: a backend killed mid-run must leave nothing behind,
//! and the next run must do the whole job. (The server crash restart is in restart.rs.)

use std::thread;
use std::time::Duration;

use lead_assigner_e2e::{assert_invariants, connect, describe, fresh_database, scalar, wait_for, Client};
use postgres::error::SqlState;

/// Enough for assign_leads() to run well over a second (about 1.5 s in a release build on
/// 2 cores), so the kill at 200 ms always lands mid-run.
const LEADS: i32 = 20_000;

#[test]
fn killed_assignment_run_leaves_nothing_behind() {
    let database = fresh_database("killed_run");
    let mut observer = connect(&database);
    observer
        .execute(
            "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
             SELECT 'S' || i, 'Seller', 'No' || i, '+1-555-0100', 's' || i || '@example.com', $1::int, 1 + i % 4
             FROM generate_series(1, 8) AS i",
            &[&LEADS],
        )
        .expect("insert sellers with room for every lead");
    observer
        .execute(
            "INSERT INTO lead_management.leads
                 (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT 'L' || i, 'Lead', 'No' || i, '+1-555-0200', 'l' || i || '@example.com', 1 + i % 4, 1, 1
             FROM generate_series(1, $1::int) AS i",
            &[&LEADS],
        )
        .expect("insert pending leads");
    let history_before = history(&mut observer);

    let mut victim = connect(&database);
    let pid: i32 = scalar(&mut victim, "SELECT pg_backend_pid()");
    // The simple query protocol: the extended one's Parse round trip comes first, and PostgreSQL 18
    // already shows the statement in pg_stat_activity then, as idle, before it runs.
    let run = thread::spawn(move || victim.simple_query("SELECT assign_leads()").map(|messages| messages.len()));
    wait_for("assign_leads() to be running for 200 ms", Duration::from_secs(30), Duration::from_millis(20), || {
        let row = observer
            .query_one(
                "SELECT state, query = 'SELECT assign_leads()', clock_timestamp() - query_start >= interval '200 ms'
                 FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .expect("read pg_stat_activity");
        let (state, ours, long_enough): (Option<String>, bool, bool) = (row.get(0), row.get(1), row.get(2));
        assert!(
            !(ours && state.as_deref() == Some("idle")),
            "assign_leads() finished before it could be killed: raise LEADS"
        );
        (ours && state.as_deref() == Some("active") && long_enough).then_some(())
    });
    // The second argument makes pg_terminate_backend() wait until the backend is gone.
    assert!(
        scalar::<bool>(&mut observer, &format!("SELECT pg_terminate_backend({pid}, 10000)")),
        "pg_terminate_backend() must end the running assign_leads()"
    );

    match run.join().expect("the victim thread") {
        Ok(_) => panic!("the killed assign_leads() must fail, yet it returned"),
        Err(error) => assert_eq!(
            error.code(),
            Some(&SqlState::ADMIN_SHUTDOWN),
            "the killed session must be told why (57P01 admin_shutdown), got {}",
            describe(&error)
        ),
    }
    assert_eq!(
        scalar::<i64>(
            &mut observer,
            "SELECT count(*) FROM lead_management.assignments WHERE seller_document_number IS NOT NULL"
        ),
        0,
        "a killed run must not leave any lead assigned"
    );
    assert_eq!(history(&mut observer), history_before, "a killed run must leave no audit, history or run-log rows");

    assert_eq!(scalar::<i32>(&mut observer, "SELECT assign_leads()"), LEADS, "the next run assigns every lead");
    assert_invariants(&mut observer);
}

/// Row counts of audit_logs, assignment_records and assignment_runs.
fn history(client: &mut Client) -> [i64; 3] {
    ["audit_logs", "assignment_records", "assignment_runs"]
        .map(|table| scalar(client, &format!("SELECT count(*) FROM lead_management.{table}")))
}
