//! A hot standby of the e2e server (streaming replication): every read-only function and view
//! answers there exactly as on the primary for the same data, and every writing function refuses
//! with SQLSTATE 25006 and a hint that sends the caller to the primary.

use lead_assigner_e2e::*;

/// Every read-only function and view, each as one text per row (in the order it returns them).
fn reads(lead_pending: &str, lead_assigned: &str) -> Vec<(&'static str, String)> {
    vec![
        ("explain_lead (pending lead)", format!("SELECT t::text FROM explain_lead('{lead_pending}') t")),
        ("explain_lead (assigned lead)", format!("SELECT t::text FROM explain_lead('{lead_assigned}') t")),
        ("preview_assignments", "SELECT t::text FROM preview_assignments() t".to_owned()),
        ("seller_availability", "SELECT t::text FROM seller_availability() t".to_owned()),
        ("check_invariants", "SELECT t::text FROM check_invariants() t".to_owned()),
        ("seller_workload", "SELECT t::text FROM lead_management.seller_workload t".to_owned()),
        ("pending_by_business_line", "SELECT t::text FROM lead_management.pending_by_business_line t".to_owned()),
        ("recent_runs", "SELECT t::text FROM lead_management.recent_runs t".to_owned()),
    ]
}

/// Every writing function, called with arguments it would accept on the primary.
const WRITES: &[&str] = &[
    "SELECT assign_leads()",
    "SELECT * FROM simulate_cycle(5)",
    "SELECT get_status_id('Callback')",
    "SELECT set_assignment_status((SELECT min(lead_document_number) FROM lead_management.assignments), 'Won')",
    "SELECT deactivate_seller('1001')",
    "SELECT activate_seller('1001')",
    "SELECT set_seller_countries('1001', ARRAY['US'])",
    "SELECT * FROM repair_assignments()",
    "SELECT * FROM maintain()",
    "SELECT start_simulation('1 minute')",
    "SELECT start_simulation()",
    "SELECT stop_simulation()",
];

#[test]
fn reads_answer_on_a_hot_standby_as_on_the_primary_and_writes_are_refused() {
    let database = fresh_database("standby");
    let mut primary = connect(&database);
    let standby = Standby::start();
    let mut replica = standby.connect(&database);
    assert!(scalar::<bool>(&mut replica, "SELECT pg_is_in_recovery()"), "the standby must be in recovery");

    // More leads than room, then some closed: pending leads and free slots, so the preview
    // has pairs; one seller with working hours and a daily cap, so the rules read clocks and counts;
    // one with a territory, so runs, explanations and views read per country.
    primary
        .batch_execute(&format!(
            "{SEED_SELLERS};
             INSERT INTO lead_management.sellers
                 (document_number, given_name, surname, phone, email, max_leads_count, business_line_id, time_zone, daily_cap)
                 VALUES ('1005', 'Eva', 'Moreno', '+1-555-0104', 'eva.moreno@example.com', 20, 2, 'America/Sao_Paulo', 15);
             INSERT INTO lead_management.seller_hours (seller_document_number, weekday, starts_at, ends_at)
                 SELECT '1005', d, '00:00', '23:59:59' FROM generate_series(1, 7) d;
             SELECT set_seller_countries('1002', ARRAY['US', 'MX']);
             SELECT * FROM simulate_cycle(250);
             SELECT set_assignment_status(lead_document_number, 'Won') FROM (
                 SELECT lead_document_number FROM lead_management.assignments
                 WHERE seller_document_number IS NOT NULL ORDER BY lead_document_number LIMIT 12) won;
             SELECT set_assignment_status(lead_document_number, 'In Progress') FROM (
                 SELECT lead_document_number FROM lead_management.assignments
                 WHERE assignment_status_id = 2 ORDER BY lead_document_number LIMIT 5) started;"
        ))
        .unwrap_or_else(|error| panic!("load the data: {}", describe(&error)));
    let lead_pending: String = scalar(
        &mut primary,
        "SELECT min(lead_document_number) FROM lead_management.assignments WHERE seller_document_number IS NULL",
    );
    let lead_assigned: String = scalar(
        &mut primary,
        "SELECT min(lead_document_number) FROM lead_management.assignments WHERE assignment_status_id = 2",
    );
    standby.catch_up(&mut primary, &mut replica);

    for (what, sql) in reads(&lead_pending, &lead_assigned) {
        let on_primary = texts(&mut primary, &sql);
        assert!(!on_primary.is_empty(), "{what} returns rows on the primary");
        assert_eq!(texts(&mut replica, &sql), on_primary, "{what} on the standby must answer as on the primary");
    }
    assert!(
        !texts(&mut primary, "SELECT t::text FROM preview_assignments() t").is_empty(),
        "the data must leave something to preview"
    );

    for sql in WRITES {
        let error = expect_sql_state(replica.query(*sql, &[]), "25006", sql);
        let hint = error.hint().unwrap_or_default();
        assert!(
            hint.contains("primary") && hint.contains("target_session_attrs=read-write"),
            "{sql}: the hint must send the caller to the primary: {hint:?}"
        );
        assert!(!error.message().contains("TransactionId"), "{sql}: {}", error.message());
    }

    // simulation_status() needs pg_cron, which only the cron database has.
    let mut cron_primary = prepare_cron_database();
    scalar::<String>(&mut cron_primary, "SELECT start_simulation('1 day')");
    let mut cron_replica = standby.connect(&cron_database());
    standby.catch_up(&mut cron_primary, &mut cron_replica);
    let status = "SELECT t::text FROM simulation_status() t";
    let on_primary = texts(&mut cron_primary, status);
    assert!(on_primary[0].starts_with("(t,"), "the simulation is scheduled: {on_primary:?}");
    assert_eq!(texts(&mut cron_replica, status), on_primary, "simulation_status on the standby");
    assert!(scalar::<bool>(&mut cron_primary, "SELECT stop_simulation()"));
}
