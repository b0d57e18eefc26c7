//! The maintained seller loads and queue stay equal to a recount through every write path, each
//! committed on its own over a real connection: the engine, the lifecycle functions, the rule
//! trigger, a status's occupies_capacity flip, and a superuser's direct UPDATE and DELETE on
//! assignments; and the packed working hours through concurrent changes.

use lead_assigner_e2e::*;

/// Per seller: the maintained load next to a recount from assignments, where they differ.
const LOADS_VS_RECOUNT: &str = "
    SELECT coalesce(m.seller_document_number, r.seller_document_number), m.open_leads, r.open_leads
    FROM lead_management.seller_loads m
    FULL JOIN (SELECT a.seller_document_number, count(*)::int AS open_leads
               FROM lead_management.assignments a JOIN lead_management.assignment_statuses st USING (assignment_status_id)
               WHERE st.occupies_capacity GROUP BY 1) r USING (seller_document_number)
    WHERE coalesce(m.open_leads, 0) <> coalesce(r.open_leads, 0)";

#[test]
fn every_write_path_keeps_loads_equal_to_a_recount() {
    let database = fresh_database("derived_state");
    let mut client = connect(&database);
    client
        .batch_execute(&format!(
            "{SEED_SELLERS};
             INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT 'D' || i, 'Dora', 'Derived', '+1-555-0199', 'd' || i || '@example.com', 1 + i % 3, 1, 1
             FROM generate_series(1, 60) AS i"
        ))
        .expect("setup");
    for (path, sql) in [
        ("assign_leads()", "SELECT assign_leads()"),
        ("simulate_cycle()", "SELECT * FROM simulate_cycle(10)"),
        ("set_assignment_status() to Won", "SELECT set_assignment_status('D3', 'Won')"),
        ("set_assignment_status() to In Progress", "SELECT set_assignment_status('D6', 'In Progress')"),
        ("set_assignment_status() to Pending", "SELECT set_assignment_status('D9', 'Pending')"),
        ("deactivate_seller()", "SELECT deactivate_seller('1004')"),
        ("activate_seller() and a run", "SELECT activate_seller('1004'); SELECT assign_leads()"),
        ("a lead moved to another business line", "UPDATE lead_management.leads SET business_line_id = 2 WHERE document_number = 'D12'"),
        // 1002 has closed no lead: a closed lead keeps its seller, whose line it then would not match.
        ("a seller deactivated by UPDATE", "UPDATE lead_management.sellers SET is_active = false WHERE document_number = '1002'"),
        ("a seller moved to another business line", "UPDATE lead_management.sellers SET business_line_id = 3, is_active = true WHERE document_number = '1002'"),
        ("a run after the moves", "SELECT assign_leads()"),
        ("occupies_capacity flipped on an unused status", "UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE name = 'Lost'"),
        ("a lead moved to the flipped status", "SELECT set_assignment_status('D15', 'Lost')"),
        ("a superuser's direct UPDATE of assignments", "UPDATE lead_management.assignments SET seller_document_number = '1004' WHERE seller_document_number = '1003' AND assignment_status_id = 2 AND lead_document_number IN (SELECT lead_document_number FROM lead_management.assignments a JOIN lead_management.leads l ON l.document_number = a.lead_document_number WHERE l.business_line_id = 1)"),
        ("a superuser's direct UPDATE back to Pending", "UPDATE lead_management.assignments SET seller_document_number = NULL, assigned_at = NULL, assignment_status_id = 1 WHERE lead_document_number IN ('D18', 'D21')"),
        ("a superuser's direct DELETE of assignments (and their leads)", "DELETE FROM lead_management.assignments WHERE lead_document_number IN ('D24', 'D27'); DELETE FROM lead_management.leads WHERE document_number IN ('D24', 'D27')"),
        ("a lead deleted (cascade)", "DELETE FROM lead_management.leads WHERE document_number = 'D30'"),
        ("a seller renamed (cascade)", "UPDATE lead_management.sellers SET document_number = '2004' WHERE document_number = '1004'"),
    ] {
        client.batch_execute(sql).unwrap_or_else(|error| panic!("{path}: {}", describe(&error)));
        let differing: Vec<(String, Option<i32>, Option<i32>)> = client
            .query(LOADS_VS_RECOUNT, &[])
            .expect("loads vs recount")
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect();
        assert!(differing.is_empty(), "after {path}: (seller, maintained, recount) {differing:?}");
        assert_invariants(&mut client);
    }
}

/// Two sessions changing one seller's working hours at once: the second packs the seller's
/// schedule after the first commits and with its window, so none is lost.
#[test]
fn concurrent_changes_of_one_sellers_hours_keep_its_schedule_exact() {
    let database = fresh_database("derived_state_hours");
    let mut first = connect(&database);
    let mut second = connect(&database);
    first.batch_execute(SEED_SELLERS).expect("setup");
    first
        .batch_execute("BEGIN; INSERT INTO lead_management.seller_hours VALUES ('1001', 1, '09:00', '12:00')")
        .expect("first session's window");
    let waiting = std::thread::spawn(move || {
        second
            .batch_execute("INSERT INTO lead_management.seller_hours VALUES ('1001', 2, '13:00', '17:00')")
            .expect("second session's window");
        second
    });
    // The second session waits on the seller's row lock until the first commits.
    let (timeout, every) = (std::time::Duration::from_secs(10), std::time::Duration::from_millis(20));
    wait_for("the second session waiting on the first", timeout, every, || {
        let waiting: i64 = scalar(
            &mut connect(&database),
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query LIKE 'INSERT INTO lead_management.seller_hours%'",
        );
        (waiting == 1).then_some(())
    });
    first.batch_execute("COMMIT").expect("commit");
    let mut second = waiting.join().expect("second session");
    let windows: i64 = scalar(
        &mut second,
        "SELECT cardinality(windows)::bigint FROM lead_management.seller_schedules WHERE seller_document_number = '1001'",
    );
    assert_eq!(windows, 2, "both windows are in the seller's schedule");
    assert_invariants(&mut second);
}

/// A run that empties a business line gives it a watermark, and the next run reads only the
/// leads queued since. A lead queued by a transaction still open during such a run is one the
/// run cannot see: the watermark stays at or below that transaction, so the next run after it
/// commits finds the lead.
#[test]
fn a_lead_queued_while_a_run_empties_its_line_is_assigned_by_the_next_run() {
    let database = fresh_database("derived_state_watermark");
    let mut client = connect(&database);
    let mut open = connect(&database);
    let insert_lead = |number: &str, line: i32| {
        format!(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('{number}', 'Wendy', 'Water', '+1-555-0199', '{number}@example.com', {line}, 1, 1)"
        )
    };
    let watermark = |client: &mut Client| -> i64 {
        scalar(
            client,
            "SELECT enqueued_since::text::bigint FROM lead_management.assignment_queue_watermarks WHERE business_line_id = 1",
        )
    };
    client.batch_execute(&format!("{SEED_SELLERS}; {}; SELECT assign_leads()", insert_lead("W1", 1))).expect("setup");
    let first = watermark(&mut client);

    open.batch_execute(&format!("BEGIN; {}", insert_lead("W2", 1))).expect("open transaction queues W2");
    let open_xid: i64 = scalar(&mut open, "SELECT pg_current_xact_id()::text::bigint");
    // This run sees a lead of line 2 but not W2: line 1 is empty to it.
    client.batch_execute(&format!("{}; SELECT assign_leads()", insert_lead("W3", 2))).expect("run while W2 is open");
    let second = watermark(&mut client);
    // Other tests' transactions on this server may hold it lower still.
    assert!(
        first <= second && second <= open_xid,
        "the watermark ({first} then {second}) stops at the open transaction ({open_xid})"
    );

    open.batch_execute("COMMIT").expect("commit W2");
    client.batch_execute("SELECT assign_leads()").expect("the next run");
    let status: String = scalar(
        &mut client,
        "SELECT st.name FROM lead_management.assignments a JOIN lead_management.assignment_statuses st USING (assignment_status_id)
         WHERE a.lead_document_number = 'W2'",
    );
    assert_eq!(status, "Assigned");
    assert_invariants(&mut client);
}

/// A session keeps the sellers between runs: what other sessions commit meanwhile (a seller
/// away, a new one, working hours, a change loaded with triggers off and repaired) is what its
/// next run sees, and what they have not committed yet is not.
#[test]
fn a_run_sees_what_other_sessions_changed_in_the_sellers_since_its_last_one() {
    let database = fresh_database("derived_state_roster");
    let mut runner = connect(&database);
    let mut admin = connect(&database);
    runner
        .batch_execute(&format!(
            "{SEED_SELLERS};
             INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('R1', 'Rita', 'Roster', '+1-555-0199', 'r1@example.com', 2, 1, 1)"
        ))
        .expect("setup");
    let mut next_seller = |step: &str| -> Option<String> {
        runner
            .query_opt("SELECT seller FROM preview_assignments()", &[])
            .unwrap_or_else(|error| panic!("{step}: {}", describe(&error)))
            .map(|row| row.get(0))
    };
    assert_eq!(next_seller("first run").as_deref(), Some("1002"));
    for (step, sql, expected) in [
        ("seller away", "UPDATE lead_management.sellers SET away_until = now() + interval '1 day' WHERE document_number = '1002'", None),
        (
            "a new seller",
            "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
             VALUES ('2002', 'Rosa', 'Nieve', '+1-555-0105', 'rosa.nieve@example.com', 5, 2)",
            Some("2002"),
        ),
        (
            "hours that exclude now, not committed yet",
            "BEGIN; INSERT INTO lead_management.seller_hours
             SELECT '2002', extract(isodow FROM now() AT TIME ZONE 'UTC')::int % 7 + 1, '09:00', '17:00'",
            Some("2002"),
        ),
        ("the hours committed", "COMMIT", None),
        (
            "a change loaded with triggers off, then repaired",
            "SET session_replication_role = replica;
             UPDATE lead_management.sellers SET away_until = NULL WHERE document_number = '1002';
             RESET session_replication_role;
             SELECT repair_assignments()",
            Some("1002"),
        ),
    ] {
        admin.batch_execute(sql).unwrap_or_else(|error| panic!("{step}: {}", describe(&error)));
        assert_eq!(next_seller(step).as_deref(), expected, "after {step}");
    }
    runner.batch_execute("SELECT assign_leads()").expect("the run");
    let seller: String = scalar(
        &mut runner,
        "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = 'R1'",
    );
    assert_eq!(seller, "1002");
    assert_invariants(&mut runner);
}
