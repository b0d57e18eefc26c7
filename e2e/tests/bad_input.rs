//! Hostile input against every SQL entry point: each case must fail with the exact SQLSTATE (or
//! change nothing), and after all of them the seeded data must be byte-for-byte unchanged.

use lead_assigner_e2e::*;
use Outcome::{NoOp, Refused, Rejected};

#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// Refused by lead_assigner itself: this SQLSTATE, and a HINT that says what to do instead.
    Refused(&'static str),
    /// Rejected by PostgreSQL (constraint, cast, GUC machinery, executor): this SQLSTATE.
    Rejected(&'static str),
    /// Accepted, and changes nothing.
    NoOp,
}

struct Case {
    what: &'static str,
    /// Runs first on the same connection and must succeed (SET, BEGIN, SET ROLE...).
    setup: &'static str,
    sql: &'static str,
    outcome: Outcome,
    /// Text the HINT must contain ("": any hint a Refused outcome requires).
    hint: &'static str,
}

const fn case(what: &'static str, sql: &'static str, outcome: Outcome) -> Case {
    Case { what, setup: "", sql, outcome, hint: "" }
}

impl Case {
    const fn after(self, setup: &'static str) -> Case {
        Case { setup, ..self }
    }

    const fn hinting(self, hint: &'static str) -> Case {
        Case { hint, ..self }
    }
}

/// Leads the cases point at: E2E-OPEN gets a seller (business line 2 has one), E2E-PENDING
/// cannot (nobody sells business line 4), so it stays Pending.
const KNOWN_LEADS: &str = "INSERT INTO lead_management.leads
    (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id) VALUES
    ('E2E-OPEN', 'Olga', 'Open', '+1-555-0200', 'olga.open@example.com', 2, 1, 1),
    ('E2E-PENDING', 'Pablo', 'Pending', '+1-555-0201', 'pablo.pending@example.com', 4, 1, 1)";

// Custom GUCs are validated only once the library is loaded in the session; before that SET
// stores an unchecked placeholder (see guc_values_set_before_the_library_loads_never_apply).
const LOADED: &str = "LOAD 'lead_assigner'";
const LOADED_AS_APP: &str = "LOAD 'lead_assigner'; SET ROLE lead_assigner_app";

const CASES: &[Case] = &[
    // NULL arguments
    case("NULL lead", "SELECT set_assignment_status(NULL, 'Won')", Refused("22004")),
    case("NULL status", "SELECT set_assignment_status('E2E-OPEN', NULL)", Refused("22004")),
    case("NULL seller to deactivate", "SELECT deactivate_seller(NULL)", Refused("22004")),
    case("NULL seller to activate", "SELECT activate_seller(NULL)", Refused("22004")),
    case("NULL status name", "SELECT get_status_id(NULL)", Refused("22004")),
    case("NULL simulation interval", "SELECT start_simulation(NULL)", Refused("22004")),
    // empty and whitespace strings
    case("empty lead", "SELECT set_assignment_status('', 'Won')", Refused("P0002")),
    case("blank lead", "SELECT set_assignment_status('   ', 'Won')", Refused("P0002")),
    case("empty status", "SELECT set_assignment_status('E2E-OPEN', '')", Refused("22023")),
    case("whitespace status", "SELECT set_assignment_status('E2E-OPEN', E' \\t\\n ')", Refused("22023")),
    case("empty seller to deactivate", "SELECT deactivate_seller('')", Refused("P0002")),
    case("blank seller to activate", "SELECT activate_seller('   ')", Refused("P0002")),
    case("empty status name", "SELECT get_status_id('')", Refused("22023")),
    case("whitespace status name", "SELECT get_status_id(E' \\t\\n ')", Refused("22023")),
    // 10 kB strings
    case("10 kB lead", "SELECT set_assignment_status(repeat('x', 10000), 'Won')", Refused("P0002")),
    case("10 kB status", "SELECT set_assignment_status('E2E-OPEN', repeat('x', 10000))", Refused("22023")),
    case("10 kB status name", "SELECT get_status_id(repeat('x', 10000))", Refused("22001")),
    case("10 kB seller", "SELECT deactivate_seller(repeat('x', 10000))", Refused("P0002")),
    // unknown objects
    case("unknown lead", "SELECT set_assignment_status('NO-SUCH-LEAD', 'Won')", Refused("P0002")),
    case("unknown seller to deactivate", "SELECT deactivate_seller('NO-SUCH-SELLER')", Refused("P0002")),
    case("unknown seller to activate", "SELECT activate_seller('NO-SUCH-SELLER')", Refused("P0002")),
    case("unknown status", "SELECT set_assignment_status('E2E-OPEN', 'Nonexistent')", Refused("22023")),
    case("open status for a lead without seller", "SELECT set_assignment_status('E2E-PENDING', 'In Progress')", Refused("55000"))
        .hinting("explain_lead('E2E-PENDING')"),
    // SQL injection: arguments are data, never SQL
    case(
        "injection as status",
        "SELECT set_assignment_status('E2E-OPEN', 'x''); DROP TABLE lead_management.leads; --')",
        Refused("22023"),
    ),
    case(
        "injection as lead",
        "SELECT set_assignment_status('x''); DROP TABLE lead_management.leads; --', 'Won')",
        Refused("P0002"),
    ),
    case("injection as seller to deactivate", "SELECT deactivate_seller('1001''; DROP TABLE lead_management.sellers; --')", Refused("P0002")),
    case("injection as seller to activate", "SELECT activate_seller('1001'' OR ''1''=''1')", Refused("P0002")),
    // simulate_cycle() sizes
    case("negative cycle", "SELECT * FROM simulate_cycle(-1)", Refused("22023")),
    case("int max cycle", "SELECT * FROM simulate_cycle(2147483647)", Refused("54000")),
    case("cycle just over the default cap", "SELECT * FROM simulate_cycle(100001)", Refused("54000")),
    case("cycle over a lowered cap", "SELECT * FROM simulate_cycle(6)", Refused("54000")).after("SET lead_assigner.max_leads_per_cycle = 5"),
    case("cycle size not a number", "SELECT * FROM simulate_cycle('abc')", Rejected("22P02")),
    case("cycle size beyond int", "SELECT * FROM simulate_cycle(2147483648)", Rejected("42883")),
    case("leads_min above leads_max", "SELECT * FROM simulate_cycle()", Refused("22023"))
        .after("SET lead_assigner.leads_min = 10; SET lead_assigner.leads_max = 2"),
    // settings
    case("negative leads_min", "SET lead_assigner.leads_min = -1", Refused("22023")).after(LOADED).hinting("pg_settings"),
    case("leads_max not a number", "SET lead_assigner.leads_max = 'many'", Refused("22023")).after(LOADED),
    case("unknown strategy", "SET lead_assigner.strategy = 'random'", Refused("22023")).after(LOADED),
    case("negative accept_timeout", "SET lead_assigner.accept_timeout = '-1s'", Refused("22023"))
        .after(LOADED)
        .hinting("'15min'"),
    case("accept_timeout not a duration", "SET lead_assigner.accept_timeout = 'soon'", Refused("22023"))
        .after(LOADED)
        .hinting("'15min'"),
    case("accept_timeout beyond int", "SET lead_assigner.accept_timeout = '100000000000s'", Refused("22023")).after(LOADED),
    case("accept_timeout set by the app role", "SET lead_assigner.accept_timeout = '1s'", Refused("42501"))
        .after(LOADED_AS_APP)
        .hinting("lead_assigner_admin"),
    case("cycle cap raised by a non-superuser", "SET lead_assigner.max_leads_per_cycle = 1000000", Refused("42501"))
        .after(LOADED_AS_APP)
        .hinting("only a superuser"),
    case(
        "cycle cap raised through set_config by a non-superuser",
        "SELECT set_config('lead_assigner.max_leads_per_cycle', '1000000', false)",
        Rejected("42501"),
    )
    .after(LOADED_AS_APP),
    // transactions that cannot write or would read stale capacity
    case("assign in a read-only transaction", "SELECT assign_leads()", Rejected("25006")).after("BEGIN READ ONLY"),
    case("simulate in a read-only transaction", "SELECT * FROM simulate_cycle(1)", Rejected("25006")).after("BEGIN READ ONLY"),
    case("status change in a read-only transaction", "SELECT set_assignment_status('E2E-OPEN', 'Won')", Rejected("25006"))
        .after("BEGIN READ ONLY"),
    case("deactivate in a read-only transaction", "SELECT deactivate_seller('1001')", Rejected("25006")).after("BEGIN READ ONLY"),
    case("assign under SERIALIZABLE", "SELECT assign_leads()", Refused("25001")).after("BEGIN ISOLATION LEVEL SERIALIZABLE"),
    case("simulate under REPEATABLE READ", "SELECT * FROM simulate_cycle(1)", Refused("25001"))
        .after("BEGIN ISOLATION LEVEL REPEATABLE READ"),
    // scheduling, in a database without pg_cron
    case("schedule without pg_cron", "SELECT start_simulation('1 minute')", Refused("0A000")),
    // leads breaking constraints
    case(
        "duplicate lead document number",
        "INSERT INTO lead_management.leads VALUES ('E2E-OPEN', 'A', 'B', '+1-555-0300', 'dup.doc@example.com', 1, 1, 1)",
        Rejected("23505"),
    ),
    case(
        "duplicate lead email",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', '+1-555-0300', 'olga.open@example.com', 1, 1, 1)",
        Rejected("23505"),
    ),
    case(
        "lead with unknown business line",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', '+1-555-0300', 'new@example.com', 99, 1, 1)",
        Rejected("23503"),
    ),
    case(
        "lead with unknown country",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', '+1-555-0300', 'new@example.com', 1, 99, 1)",
        Rejected("23503"),
    ),
    case(
        "lead with unknown document type",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', '+1-555-0300', 'new@example.com', 1, 1, 99)",
        Rejected("23503"),
    ),
    case(
        "lead with empty document number",
        "INSERT INTO lead_management.leads VALUES ('', 'A', 'B', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with 10 kB document number",
        "INSERT INTO lead_management.leads VALUES (repeat('x', 10000), 'A', 'B', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with injection as document number",
        "INSERT INTO lead_management.leads VALUES ('x''); DROP TABLE lead_management.leads; --', 'A', 'B', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with NULL given name",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', NULL, 'B', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23502"),
    ),
    case(
        "lead with blank surname",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', '   ', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with 10 kB given name",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', repeat('x', 10000), 'B', '+1-555-0300', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with bad email",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', '+1-555-0300', 'not-an-email', 1, 1, 1)",
        Rejected("23514"),
    ),
    case(
        "lead with bad phone",
        "INSERT INTO lead_management.leads VALUES ('E2E-NEW', 'A', 'B', 'call me', 'new@example.com', 1, 1, 1)",
        Rejected("23514"),
    ),
    // sellers breaking constraints
    case(
        "seller with negative capacity",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
         VALUES ('2001', 'A', 'B', '+1-555-0400', 's2001@example.com', -1, 1)",
        Refused("23514"),
    ),
    case(
        "seller with NULL surname",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('2001', 'A', NULL, '+1-555-0400', 's2001@example.com', 1)",
        Rejected("23502"),
    ),
    case(
        "seller with blank given name",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('2001', ' ', 'B', '+1-555-0400', 's2001@example.com', 1)",
        Rejected("23514"),
    ),
    case(
        "seller with bad email",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('2001', 'A', 'B', '+1-555-0400', 'a@b', 1)",
        Rejected("23514"),
    ),
    case(
        "seller with 10 kB surname",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('2001', 'A', repeat('x', 10000), '+1-555-0400', 's2001@example.com', 1)",
        Rejected("23514"),
    ),
    case(
        "duplicate seller document number",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('1001', 'A', 'B', '+1-555-0400', 's2001@example.com', 1)",
        Rejected("23505"),
    ),
    case(
        "seller with unknown business line",
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
         VALUES ('2001', 'A', 'B', '+1-555-0400', 's2001@example.com', 99)",
        Rejected("23503"),
    ),
    case("capacity lowered below zero", "UPDATE lead_management.sellers SET max_leads_count = -1 WHERE document_number = '1001'", Refused("23514")),
    case("weight 0", "UPDATE lead_management.sellers SET weight = 0 WHERE document_number = '1001'", Refused("23514")).hinting("1 to 100"),
    case("daily cap -1", "UPDATE lead_management.sellers SET daily_cap = -1", Refused("23514")).hinting("NULL for no daily cap"),
    case(
        "hours window ending before it starts",
        "INSERT INTO lead_management.seller_hours VALUES ('1001', 1, '18:00', '09:00')",
        Refused("23514"),
    )
    .hinting("night shift"),
    case("weekday 8", "INSERT INTO lead_management.seller_hours VALUES ('1001', 8, '09:00', '17:00')", Refused("23514"))
        .hinting("1 = Monday"),
    // reference data breaking constraints
    case("status differing only in case and spaces", "INSERT INTO lead_management.assignment_statuses (name) VALUES (' pending ')", Rejected("23505")),
    case("10 kB status row", "INSERT INTO lead_management.assignment_statuses (name) VALUES (repeat('x', 10000))", Rejected("23514")),
    case("country with a bad code", "INSERT INTO lead_management.countries (name, code) VALUES ('Atlantis', 'atl')", Rejected("23514")),
    // accepted, but nothing to do
    case("activate an active seller", "SELECT activate_seller('1001')", NoOp),
    case("pending lead to ' PENDING '", "SELECT set_assignment_status('E2E-PENDING', ' PENDING ')", NoOp),
    case("assigned lead to 'assigned'", "SELECT set_assignment_status('E2E-OPEN', 'assigned')", NoOp),
    case("existing status looked up with odd case and spaces", "SELECT get_status_id('  wON ')", NoOp),
];

/// Runs one case on a new connection (so no setting or failed transaction leaks into the next
/// one); returns what went wrong, if anything.
fn check(database: &str, case: &Case) -> Option<String> {
    let mut client = connect(database);
    if let Err(error) = client.batch_execute(case.setup) {
        return Some(format!("setup failed: {}", describe(&error)));
    }
    let result = client.batch_execute(case.sql);
    let (code, hint_required) = match case.outcome {
        NoOp => return result.err().map(|error| format!("expected success, got {}", describe(&error))),
        Refused(code) => (code, true),
        Rejected(code) => (code, false),
    };
    let Err(error) = result else {
        return Some(format!("expected SQLSTATE {code}, but it succeeded"));
    };
    let Some(db_error) = error.as_db_error() else {
        return Some(format!("expected SQLSTATE {code}, got {error}"));
    };
    if db_error.code().code() != code {
        return Some(format!("expected SQLSTATE {code}, got {}", describe(&error)));
    }
    if db_error.message().trim().is_empty() {
        return Some("empty error message".to_owned());
    }
    if hint_required && db_error.hint().is_none_or(|hint| hint.trim().is_empty()) {
        return Some(format!("no HINT on {}", describe(&error)));
    }
    if !db_error.hint().unwrap_or_default().contains(case.hint) {
        return Some(format!("the HINT does not say \"{}\": {}", case.hint, describe(&error)));
    }
    None
}

#[test]
fn hostile_input_is_refused_and_changes_nothing() {
    let database = fresh_database("bad_input");
    let mut client = connect(&database);
    client.batch_execute(&format!("{SEED_SELLERS}; {KNOWN_LEADS}; SELECT * FROM simulate_cycle(20)")).expect("seed");
    assert_eq!(
        scalar::<Option<i32>>(
            &mut client,
            "SELECT assignment_status_id FROM lead_management.assignments WHERE lead_document_number = 'E2E-OPEN'"
        ),
        Some(2),
        "E2E-OPEN must start Assigned"
    );
    let before = table_fingerprints(&mut client);

    let mut failures = Vec::new();
    let mut last = before.clone();
    for case in CASES {
        if let Some(problem) = check(&database, case) {
            failures.push(format!("{} ({}): {problem}", case.what, case.sql));
        }
        // Compared after every case with the state just before it, so a change is blamed on
        // the case that made it and on no later one.
        let now = table_fingerprints(&mut client);
        let changed: Vec<_> = last.keys().filter(|table| last[*table] != now[*table]).collect();
        if !changed.is_empty() {
            failures.push(format!("{} ({}): changed {changed:?}", case.what, case.sql));
        }
        last = now;
    }
    assert!(CASES.len() >= 35, "only {} cases", CASES.len());
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
    assert_eq!(table_fingerprints(&mut client), before, "data changed");
    assert_invariants(&mut client);
}

/// pg_cron is only usable in its own database, so interval checks run there; the job table
/// must be untouched by every refused call.
#[test]
fn bad_simulation_intervals_are_refused() {
    const INTERVAL_CASES: &[Case] = &[
        case("NULL interval", "SELECT start_simulation(NULL)", Refused("22004")),
        case("negative interval", "SELECT start_simulation(interval '-1 minute')", Refused("22023")),
        case("zero interval", "SELECT start_simulation(interval '0 seconds')", Refused("22023")),
        case("interval in months", "SELECT start_simulation(interval '1 month')", Refused("22023")),
        case("fractional seconds", "SELECT start_simulation(interval '1.5 seconds')", Refused("22023")),
        case("minutes that do not divide an hour", "SELECT start_simulation(interval '7 minutes')", Refused("22023")),
        case("not an interval", "SELECT start_simulation('soon')", Rejected("22007")),
    ];
    let mut client = prepare_cron_database();
    let jobs = "SELECT count(*), md5(string_agg(j::text, '|' ORDER BY j::text)) FROM cron.job j";
    let before: (i64, Option<String>) = client.query_one(jobs, &[]).map(|row| (row.get(0), row.get(1))).expect("jobs");

    let failures: Vec<String> = INTERVAL_CASES
        .iter()
        .filter_map(|case| {
            check(&cron_database(), case).map(|problem| format!("{} ({}): {problem}", case.what, case.sql))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let after: (i64, Option<String>) = client.query_one(jobs, &[]).map(|row| (row.get(0), row.get(1))).expect("jobs");
    assert_eq!(after, before, "a refused start_simulation() changed cron.job");
}

/// Arguments reach SQL only as parameters: an injection string becomes a status literally named
/// after it, and the table it tries to drop is still there.
#[test]
fn injection_strings_are_stored_as_data() {
    const INJECTION: &str = "x'); DROP TABLE lead_management.leads; --";
    let database = fresh_database("bad_input_injection");
    let mut client = connect(&database);
    client.batch_execute(&format!("{SEED_SELLERS}; {KNOWN_LEADS}; SELECT assign_leads()")).expect("seed");

    let id: i32 = client.query_one("SELECT get_status_id($1)", &[&INJECTION]).expect("get_status_id").get(0);
    let name: String = client
        .query_one("SELECT name FROM lead_management.assignment_statuses WHERE assignment_status_id = $1", &[&id])
        .expect("status row")
        .get(0);
    assert_eq!(name, INJECTION);
    let set: String =
        client.query_one("SELECT set_assignment_status('E2E-OPEN', $1)", &[&INJECTION]).expect("set status").get(0);
    assert_eq!(set, INJECTION);
    assert_eq!(scalar::<i64>(&mut client, "SELECT count(*) FROM lead_management.leads"), 2, "leads survived");
    assert_invariants(&mut client);
}

/// Capacity read from a REPEATABLE READ snapshot taken before the lock would be stale: reopening a
/// closed lead then could miss leads assigned meanwhile and overfill the seller. Every function
/// that takes the business-line locks must refuse such a transaction (25001).
#[test]
fn reopening_under_repeatable_read_cannot_exceed_capacity() {
    let database = fresh_database("bad_input_snapshot");
    let mut setup = connect(&database);
    setup
        .batch_execute(
            "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
             VALUES ('1001', 'Ana', 'Lopez', '+1-555-0100', 'ana.lopez@example.com', 1, 1);
             INSERT INTO lead_management.leads VALUES ('L1', 'A', 'B', '+1-555-0300', 'l1@example.com', 1, 1, 1);
             SELECT assign_leads();
             SELECT set_assignment_status('L1', 'Won');
             INSERT INTO lead_management.leads VALUES ('L2', 'A', 'B', '+1-555-0300', 'l2@example.com', 1, 1, 1);",
        )
        .expect("seed: 1001 has room for one lead, L1 closed, L2 pending");

    let mut stale = connect(&database);
    stale
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM lead_management.assignments")
        .expect("snapshot");
    // Fills 1001's only slot after `stale` took its snapshot.
    assert_eq!(scalar::<i32>(&mut setup, "SELECT assign_leads()"), 1);
    let reopened = stale.batch_execute("SELECT set_assignment_status('L1', 'In Progress'); COMMIT");
    if let Err(error) = &reopened {
        // Refusing is a fix; it must say why with one of these.
        let code = error.as_db_error().map(|db| db.code().code().to_owned());
        assert!(matches!(code.as_deref(), Some("25001" | "40001" | "55000")), "unexpected {}", describe(error));
    }
    assert_invariants(&mut setup);
}
