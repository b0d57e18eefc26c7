//! The extension as an installed, dumped and restored object: the audit trail's client address
//! per transport, DROP/CREATE EXTENSION, and a pg_dump/psql round trip.

use std::process::Command;

use lead_assigner_e2e::*;

/// Inserts one lead and returns the client address of every audit row its transaction wrote
/// (the lead, its Pending assignment, and that assignment's history row).
fn audited_addresses(client: &mut Client, document_number: &str) -> Vec<Option<String>> {
    let email = format!("{}@example.com", document_number.to_lowercase());
    client
        .execute(
            "INSERT INTO lead_management.leads
                (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ($1, 'Ines', 'Install', '+1-555-0700', $2, 1, 1, 1)",
            &[&document_number, &email],
        )
        .expect("insert a lead");
    client
        .query(
            "SELECT host(ip_address) FROM lead_management.audit_logs WHERE transaction_id = (
                 SELECT transaction_id FROM lead_management.audit_logs
                 WHERE table_name = 'leads' AND new_value->>'document_number' = $1)
             ORDER BY audit_log_id",
            &[&document_number],
        )
        .expect("audit rows")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn audit_records_the_client_address_per_transport() {
    let database = fresh_database("install_transport");
    // No client address exists over a unix socket.
    assert_eq!(audited_addresses(&mut connect_socket(&database), "SOCKET-1"), [None, None, None]);
    let tcp = Some("127.0.0.1".to_owned());
    assert_eq!(audited_addresses(&mut connect(&database), "TCP-1"), [tcp.clone(), tcp.clone(), tcp]);
}

/// Everything lead_assigner installs in a database, counted from the catalogs.
fn installed_objects(client: &mut Client) -> (i64, i64, i64) {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'lead_management'),
                    (SELECT count(*) FROM pg_proc WHERE proname IN ('assign_leads', 'simulate_cycle', 'get_status_id',
                        'set_assignment_status', 'deactivate_seller', 'activate_seller', 'start_simulation',
                        'stop_simulation', 'simulation_status', 'audit_row_change', 'record_assignment_version',
                        'create_pending_assignment', 'refuse_history_rewrite')),
                    (SELECT count(*) FROM pg_extension WHERE extname = 'lead_assigner')",
            &[],
        )
        .expect("catalog counts");
    (row.get(0), row.get(1), row.get(2))
}

#[test]
fn drop_extension_removes_everything_and_create_works_again() {
    let database = fresh_database("install_drop");
    // One session throughout: the plans it kept for the first installation must not break the second.
    let mut client = connect(&database);
    client.batch_execute(&format!("{SEED_SELLERS}; SELECT * FROM simulate_cycle(5)")).expect("use the extension");
    // 14 functions: start_simulation() and start_simulation(interval) are two.
    assert_eq!(installed_objects(&mut client), (1, 14, 1));

    client.batch_execute("DROP EXTENSION lead_assigner").expect("DROP EXTENSION without CASCADE");
    assert_eq!(installed_objects(&mut client), (0, 0, 0), "DROP EXTENSION left objects behind");
    // The roles are cluster-wide and shared with other databases: they stay.
    assert_eq!(
        scalar::<i64>(
            &mut client,
            "SELECT count(*) FROM pg_roles WHERE rolname IN ('lead_assigner_app', 'lead_assigner_admin')"
        ),
        2
    );

    client.batch_execute("CREATE EXTENSION lead_assigner").expect("CREATE EXTENSION again");
    assert_eq!(installed_objects(&mut client), (1, 14, 1));
    assert_eq!(
        scalar::<i64>(&mut client, "SELECT count(*) FROM lead_management.countries"),
        5,
        "reference rows are back"
    );
    assert_eq!(scalar::<i64>(&mut client, "SELECT count(*) FROM lead_management.leads"), 0, "old data is gone");
    client.batch_execute(SEED_SELLERS).expect("seed the new installation");
    let inserted: i32 = scalar(&mut client, "SELECT inserted FROM simulate_cycle(5)");
    assert!(inserted > 0);
    assert_eq!(
        scalar::<i64>(&mut client, "SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'leads'"),
        i64::from(inserted),
        "the triggers of the new installation audit"
    );
    assert_invariants(&mut client);
}

/// Runs a PostgreSQL client program against the test server's socket; panics with its stderr.
fn run(program: &str, args: &[&str], env: &[(&str, &str)]) {
    let port = port().to_string();
    let output = Command::new(pg_bin(program))
        .args(["-h", "/tmp", "-p", &port, "-U", "postgres"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    assert!(output.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn dump_and_restore_round_trips_every_table() {
    let source = fresh_database("install_dump");
    let mut client = connect(&source);
    client
        .batch_execute(&format!(
            "{SEED_SELLERS};
             SELECT * FROM simulate_cycle(30);
             INSERT INTO lead_management.countries (name, code) VALUES ('Chile', 'CL');
             SELECT get_status_id('Callback');
             INSERT INTO lead_management.seller_hours VALUES ('1001', 1, '09:00', '17:00'), ('1001', 2, '09:00', '17:00');
             SELECT count(*) FROM maintain();"
        ))
        .expect("seed");
    let lead: String = scalar(
        &mut client,
        "SELECT min(lead_document_number) FROM lead_management.assignments WHERE seller_document_number IS NOT NULL",
    );
    client.execute("SELECT set_assignment_status($1, 'Won')", &[&lead]).expect("close a lead");
    assert_eq!(scalar::<i32>(&mut client, "SELECT max(country_id) FROM lead_management.countries"), 6);
    let before = table_fingerprints(&mut client);
    for table in ["leads", "sellers", "assignments", "assignment_records", "audit_logs", "assignment_runs"] {
        assert!(before[table].0 > 0, "nothing to compare in {table}");
    }

    let file = std::env::temp_dir().join(format!("{source}.sql"));
    let file_name = file.to_str().expect("utf-8 path");
    run("pg_dump", &["-d", &source, "-f", file_name], &[]);
    let target = format!("{source}_restored");
    connect("postgres").batch_execute(&format!("CREATE DATABASE {target}")).expect("create the restore target");
    // replica: the extension's triggers must not fire again for the rows being loaded.
    run(
        "psql",
        &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &target, "-f", file_name],
        &[("PGOPTIONS", "-c session_replication_role=replica")],
    );
    std::fs::remove_file(&file).ok();

    let mut restored = connect(&target);
    let after = table_fingerprints(&mut restored);
    let differing: Vec<_> = before
        .keys()
        .filter(|table| before[*table] != after[*table])
        .map(|table| (table, &before[table], &after[table]))
        .collect();
    assert!(differing.is_empty(), "tables differ after restore (table, before, after): {differing:#?}");
    // Derived state comes back from the dump too (the triggers were off): the packed hours.
    let schedule: String = scalar(
        &mut restored,
        "SELECT windows::text FROM lead_management.seller_schedules WHERE seller_document_number = '1001'",
    );
    assert_eq!(
        schedule,
        format!("{{{},{}}}", (1i64 << 34) | (32_400 << 17) | 61_200, (2i64 << 34) | (32_400 << 17) | 61_200)
    );
    assert_invariants(&mut restored);

    // The sequences came back too: new rows get fresh ids, and the triggers fire again.
    let max_ids = "SELECT (SELECT max(assignment_id) FROM lead_management.assignments),
                          (SELECT max(audit_log_id) FROM lead_management.audit_logs),
                          (SELECT max(run_id) FROM lead_management.assignment_runs)";
    let old_ids: (i64, i64, i64) =
        restored.query_one(max_ids, &[]).map(|row| (row.get(0), row.get(1), row.get(2))).expect("ids");
    let generated: i32 = scalar(&mut restored, "SELECT generated FROM simulate_cycle(5)");
    assert_eq!(generated, 5);
    let new_ids: (i64, i64, i64) =
        restored.query_one(max_ids, &[]).map(|row| (row.get(0), row.get(1), row.get(2))).expect("ids");
    assert!(new_ids.0 > old_ids.0 && new_ids.1 > old_ids.1 && new_ids.2 > old_ids.2, "{old_ids:?} -> {new_ids:?}");
    restored
        .batch_execute("INSERT INTO lead_management.countries (name, code) VALUES ('Peru', 'PE')")
        .expect("the country sequence continues after the restored row 6");
    assert_invariants(&mut restored);
}
