//! The extension's roles over real logins: what the app and admin roles may do, what nobody but
//! a superuser may do (rewrite history, bypass triggers, raise the cycle cap), and that the
//! catalog is hardened (pinned search_path) and documented (comments).

use lead_assigner_e2e::*;

/// Each statement on `client` must fail with `code`; returns every mismatch, so one run lists
/// all holes at once.
fn refused(client: &mut Client, code: &str, statements: &[&str]) -> Vec<String> {
    statements
        .iter()
        .filter_map(|sql| match client.batch_execute(sql) {
            Ok(()) => Some(format!("{sql}: succeeded, expected SQLSTATE {code}")),
            Err(error) => match error.as_db_error() {
                Some(db) if db.code().code() == code && !db.message().is_empty() => None,
                _ => Some(format!("{sql}: expected SQLSTATE {code}, got {}", describe(&error))),
            },
        })
        .collect()
}

/// Nobody but a superuser may rewrite history or switch triggers off.
const HISTORY_REWRITES: &[&str] = &[
    "UPDATE lead_management.audit_logs SET db_user = 'someone else'",
    "DELETE FROM lead_management.audit_logs",
    "INSERT INTO lead_management.audit_logs (table_name, action) VALUES ('leads', 'INSERT')",
    "TRUNCATE lead_management.audit_logs",
    "UPDATE lead_management.assignment_records SET seller_document_number = NULL",
    "DELETE FROM lead_management.assignment_records",
    "INSERT INTO lead_management.assignment_records (lead_document_number, assignment_status_id, updated_at, assignment_id)
     VALUES ('APP-1', 1, now(), 1)",
    "TRUNCATE lead_management.assignment_records",
    "ALTER TABLE lead_management.audit_logs DISABLE TRIGGER ALL",
    "ALTER TABLE lead_management.leads DISABLE TRIGGER audit_row_change",
    "ALTER TABLE lead_management.assignments DISABLE TRIGGER record_assignment_version",
    "DROP TABLE lead_management.audit_logs",
    "SET session_replication_role = replica",
    "SELECT set_config('session_replication_role', 'replica', false)",
    // Only once the library is loaded does PostgreSQL know this setting is superuser-only (see
    // app_role_cannot_raise_the_cycle_cap); LOAD itself is superuser-only, a call loads it too.
    "SELECT get_status_id('Pending'); SET lead_assigner.max_leads_per_cycle = 1000000",
];

/// A database with the seed sellers and the max audit_log_id so far, so a test can look at the
/// audit rows written after it.
fn seeded(test: &str) -> (String, Client, i64) {
    let database = fresh_database(test);
    let mut admin = connect(&database);
    admin.batch_execute(SEED_SELLERS).expect("seed sellers");
    let mark = scalar::<i64>(&mut admin, "SELECT coalesce(max(audit_log_id), 0) FROM lead_management.audit_logs");
    (database, admin, mark)
}

/// Who wrote the audit rows after `mark`, and how many rows per table.
fn audit_since(client: &mut Client, mark: i64) -> (Vec<String>, Vec<(String, i64)>) {
    let users = client
        .query("SELECT DISTINCT db_user FROM lead_management.audit_logs WHERE audit_log_id > $1 ORDER BY 1", &[&mark])
        .expect("audit users")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let tables = client
        .query(
            "SELECT table_name, count(*) FROM lead_management.audit_logs WHERE audit_log_id > $1 GROUP BY 1 ORDER BY 1",
            &[&mark],
        )
        .expect("audit tables")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    (users, tables)
}

#[test]
fn app_role_works_with_leads_but_cannot_rewrite_history() {
    let (database, mut superuser, mark) = seeded("privileges_app");
    let role = TestRole::create(&database, "app", Some("lead_assigner_app"));
    let mut app = role.connect();

    app.batch_execute(
        "INSERT INTO lead_management.leads
            (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
         VALUES ('APP-1', 'Ada', 'App', '+1-555-0500', 'ada.app@example.com', 1, 1, 1);
         UPDATE lead_management.leads SET given_name = 'Adah' WHERE document_number = 'APP-1'",
    )
    .expect("the app inserts and updates leads");
    assert!(scalar::<i32>(&mut app, "SELECT assign_leads()") >= 1, "APP-1 should be assigned");
    let simulated = app.query_one("SELECT generated, inserted FROM simulate_cycle(2)", &[]).expect("simulate_cycle(2)");
    assert_eq!(simulated.get::<_, i32>(0), 2);
    let simulated_leads = i64::from(simulated.get::<_, i32>(1));
    assert_eq!(scalar::<String>(&mut app, "SELECT set_assignment_status('APP-1', 'In Progress')"), "In Progress");
    assert_eq!(scalar::<i32>(&mut app, "SELECT get_status_id('won')"), 4);

    let mut holes = refused(&mut app, "42501", HISTORY_REWRITES);
    holes.extend(refused(
        &mut app,
        "42501",
        &[
            "DELETE FROM lead_management.leads",
            "UPDATE lead_management.sellers SET max_leads_count = 1000",
            "INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id) VALUES ('APP-1', 1)",
            "UPDATE lead_management.assignments SET seller_document_number = NULL",
            "SELECT deactivate_seller('1001')",
            "SELECT activate_seller('1001')",
            "SELECT start_simulation('1 minute')",
            "SELECT stop_simulation()",
        ],
    ));
    assert!(holes.is_empty(), "the app role was allowed or refused the wrong way:\n{}", holes.join("\n"));

    // Every change the app made is audited under its own name, including those made for it by
    // SECURITY DEFINER functions and triggers, which run as the extension owner.
    let (users, tables) = audit_since(&mut superuser, mark);
    assert_eq!(users, [role.name.as_str()]);
    let audited: Vec<&str> = tables.iter().map(|(table, _)| table.as_str()).collect();
    assert_eq!(audited, ["assignment_records", "assignment_runs", "assignments", "leads"]);
    // APP-1's insert and update, and the simulated leads.
    assert_eq!(tables.iter().find(|(table, _)| table == "leads").map(|(_, n)| *n), Some(2 + simulated_leads));
    assert_invariants(&mut superuser);
}

#[test]
fn admin_role_manages_sellers_but_cannot_rewrite_history() {
    let (database, mut superuser, mark) = seeded("privileges_admin");
    let role = TestRole::create(&database, "admin", Some("lead_assigner_admin"));
    let mut admin = role.connect();

    admin
        .batch_execute(
            "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
             VALUES ('ADM-1', 'Adam', 'Admin', '+1-555-0600', 'adam.admin@example.com', 4);
             INSERT INTO lead_management.countries (name, code) VALUES ('Chile', 'CL')",
        )
        .expect("the admin adds sellers and reference data");
    assert_eq!(scalar::<i32>(&mut admin, "SELECT generated FROM simulate_cycle(3)"), 3);
    scalar::<i32>(&mut admin, "SELECT deactivate_seller('ADM-1')");
    assert!(scalar::<bool>(&mut admin, "SELECT activate_seller('ADM-1')"));
    // Allowed to schedule: it gets past the privilege check to "pg_cron missing in this database".
    expect_sql_state(admin.batch_execute("SELECT start_simulation('1 minute')"), "0A000", "admin schedules");

    let holes = refused(&mut admin, "42501", HISTORY_REWRITES);
    assert!(holes.is_empty(), "the admin role was allowed or refused the wrong way:\n{}", holes.join("\n"));
    let (users, _) = audit_since(&mut superuser, mark);
    assert_eq!(users, [role.name.as_str()]);
    assert_invariants(&mut superuser);
}

#[test]
fn role_without_grants_can_call_nothing() {
    let (database, _superuser, _) = seeded("privileges_nobody");
    let role = TestRole::create(&database, "nobody", None);
    let mut nobody = role.connect();
    let holes = refused(
        &mut nobody,
        "42501",
        &[
            "SELECT assign_leads()",
            "SELECT * FROM simulate_cycle(1)",
            "SELECT get_status_id('Won')",
            "SELECT set_assignment_status('X', 'Won')",
            "SELECT deactivate_seller('1001')",
            "SELECT start_simulation('1 minute')",
            "SELECT count(*) FROM lead_management.leads",
            "INSERT INTO lead_management.leads (document_number) VALUES ('X')",
        ],
    );
    assert!(holes.is_empty(), "a role without grants got through:\n{}", holes.join("\n"));
}

/// The library is preloaded: PostgreSQL knows the cap is superuser-only from the first SET.
/// (Values set before the library loads, on a server that does not preload it: settings.rs.)
#[test]
fn app_role_cannot_raise_the_cycle_cap() {
    let (database, _superuser, _) = seeded("privileges_cap");
    let role = TestRole::create(&database, "cap", Some("lead_assigner_app"));
    let mut session = role.connect();
    expect_sql_state(session.batch_execute("SET lead_assigner.max_leads_per_cycle = 1000000"), "42501", "SET");
    expect_sql_state(session.batch_execute("SELECT * FROM simulate_cycle(100001)"), "54000", "cycle over the cap");
}

/// A run applies lead_assigner.accept_timeout to every Assigned lead of the database, so a
/// session of the app role cannot set it (42501, with a hint naming who can); the admin role
/// can, and so can a superuser for everyone with ALTER DATABASE ... SET, which the app role's
/// new sessions then run with.
#[test]
fn accept_timeout_is_set_by_administrators_only() {
    let (database, mut superuser, _) = seeded("privileges_accept_timeout");
    let app = TestRole::create(&database, "timeout_app", Some("lead_assigner_app"));
    let admin = TestRole::create(&database, "timeout_admin", Some("lead_assigner_admin"));
    let mut session = app.connect();
    let sql = "SET lead_assigner.accept_timeout = '1s'";
    let error = expect_sql_state(session.batch_execute(sql), "42501", sql);
    let hint = error.hint().unwrap_or_default();
    assert!(hint.contains("lead_assigner_admin") && hint.contains("ALTER DATABASE"), "{sql}: hint {hint:?}");
    let sql = "SELECT set_config('lead_assigner.accept_timeout', '1s', false)";
    expect_sql_state(session.batch_execute(sql), "42501", sql);
    assert_eq!(scalar::<String>(&mut session, "SHOW lead_assigner.accept_timeout"), "0");

    let mut admin_session = admin.connect();
    admin_session.batch_execute("SET lead_assigner.accept_timeout = '15min'").expect("the admin role sets it");
    assert_eq!(scalar::<String>(&mut admin_session, "SHOW lead_assigner.accept_timeout"), "15min");

    superuser
        .batch_execute(&format!("ALTER DATABASE {database} SET lead_assigner.accept_timeout = '2h'"))
        .expect("ALTER DATABASE ... SET by a superuser");
    assert_eq!(scalar::<String>(&mut app.connect(), "SHOW lead_assigner.accept_timeout"), "2h");
    assert!(scalar::<i32>(&mut app.connect(), "SELECT assign_leads()") >= 0, "runs go on with the database's value");
}

/// Every function that belongs to the extension, as regprocedure text.
const EXTENSION_FUNCTIONS: &str = "SELECT p.oid::regprocedure::text FROM pg_proc p
    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'lead_assigner'";

fn texts(client: &mut Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .unwrap_or_else(|error| panic!("{sql}: {}", describe(&error)))
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn security_definer_functions_pin_search_path() {
    let database = fresh_database("privileges_search_path");
    let mut client = connect(&database);
    // SECURITY DEFINER functions: the 4 API ones and the 3 writing triggers.
    let definers = texts(&mut client, &format!("{EXTENSION_FUNCTIONS} WHERE p.prosecdef ORDER BY 1"));
    assert!(definers.len() >= 7, "too few SECURITY DEFINER functions found: {definers:?}");
    let unpinned = texts(
        &mut client,
        &format!(
            "{EXTENSION_FUNCTIONS} WHERE p.prosecdef
             AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%') ORDER BY 1"
        ),
    );
    assert!(unpinned.is_empty(), "SECURITY DEFINER without a pinned search_path: {unpinned:?}");
}

#[test]
fn every_function_table_and_view_has_a_comment() {
    let database = fresh_database("privileges_comments");
    let mut client = connect(&database);
    assert!(texts(&mut client, EXTENSION_FUNCTIONS).len() >= 13, "9 API functions and 4 triggers expected");
    let undocumented_functions = texts(
        &mut client,
        &format!("{EXTENSION_FUNCTIONS} WHERE obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1"),
    );
    assert!(undocumented_functions.is_empty(), "functions without COMMENT: {undocumented_functions:?}");

    let relations = "SELECT c.oid::regclass::text FROM pg_class c
        WHERE c.relnamespace = 'lead_management'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')";
    assert!(texts(&mut client, relations).len() >= DATA_TABLES.len() + 3, "tables and 3 views expected");
    let undocumented_relations =
        texts(&mut client, &format!("{relations} AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1"));
    assert!(undocumented_relations.is_empty(), "tables or views without COMMENT: {undocumented_relations:?}");
}

/// Names of the invariants broken right now, as `client` sees them (inside its transaction).
fn broken_invariants(client: &mut Client) -> Vec<&'static str> {
    INVARIANT_VIOLATIONS
        .iter()
        .filter(|(_, query)| {
            !client.query(*query, &[]).unwrap_or_else(|error| panic!("{query}: {}", describe(&error))).is_empty()
        })
        .map(|(name, _)| *name)
        .collect()
}

/// Plain UPDATEs the app and admin roles are granted must not bypass the rules the API functions
/// enforce: the extension's rule trigger refuses them or requeues the affected leads, and the
/// invariants hold afterwards either way.
#[test]
fn granted_updates_cannot_break_invariants() {
    let (database, mut superuser, _) = seeded("privileges_dml");
    // Every seed seller with open leads: business lines 1, 2 and 3 get assigned leads.
    superuser.batch_execute("SELECT * FROM simulate_cycle(30)").expect("simulate");
    let open_lead = |client: &mut Client, seller: &str| -> String {
        scalar(
            client,
            &format!("SELECT min(lead_document_number) FROM lead_management.assignments WHERE seller_document_number = '{seller}'"),
        )
    };
    let lead = open_lead(&mut superuser, "1001");
    let app_role = TestRole::create(&database, "dml_app", Some("lead_assigner_app"));
    let admin_role = TestRole::create(&database, "dml_admin", Some("lead_assigner_admin"));
    let cases: [(&str, &TestRole, String); 5] = [
        (
            "app moves an assigned lead to another business line",
            &app_role,
            format!("UPDATE lead_management.leads SET business_line_id = 2 WHERE document_number = '{lead}'"),
        ),
        (
            "admin moves a seller with open leads to another business line",
            &admin_role,
            "UPDATE lead_management.sellers SET business_line_id = 2 WHERE document_number = '1001'".to_owned(),
        ),
        (
            "admin lowers a capacity below the open leads",
            &admin_role,
            "UPDATE lead_management.sellers SET max_leads_count = 0 WHERE document_number = '1001'".to_owned(),
        ),
        (
            "admin deactivates a seller without deactivate_seller()",
            &admin_role,
            "UPDATE lead_management.sellers SET is_active = false WHERE document_number = '1001'".to_owned(),
        ),
        (
            "admin makes Pending occupy capacity",
            &admin_role,
            "UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE assignment_status_id = 1"
                .to_owned(),
        ),
    ];

    let mut failures = Vec::new();
    for (what, role, sql) in &cases {
        let mut client = role.connect();
        client.batch_execute("BEGIN").expect("begin");
        // Refusing the statement is a fine fix; if it is accepted, the invariants must still hold.
        if client.batch_execute(sql).is_ok() {
            let broken = broken_invariants(&mut client);
            if !broken.is_empty() {
                failures.push(format!("{what} ({sql}): breaks {broken:?}"));
            }
        }
        client.batch_execute("ROLLBACK").expect("rollback");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
