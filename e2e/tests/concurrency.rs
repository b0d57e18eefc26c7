//! Many sessions calling the API at the same time: no call fails or deadlocks, no seller goes
//! over capacity, no capacity is left idle, and the audit trail and the assignment history
//! account for every change the sessions made.
//!
//! The stress test runs for LEAD_ASSIGNER_STRESS_SECONDS (default 20). A soak is the same test
//! with a longer budget, e.g. ten minutes:
//!   LEAD_ASSIGNER_STRESS_SECONDS=600 timeout 1500 scripts/e2e --test concurrency stress

use std::collections::HashMap;
use std::thread;
use std::time::{Duration, Instant};

use lead_assigner_e2e::{assert_invariants, connect, describe, fresh_database, scalar, Client};
use postgres::error::SqlState;
use rand::seq::IteratorRandom;
use rand::Rng;

/// Twelve sellers over the four business lines with 3 to 8 slots each; S5 and S10 inactive.
const TWELVE_SELLERS: &str = "INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, business_line_id, is_active)
    SELECT 'S' || i, 'Seller', 'No' || i, '+1-555-0' || lpad(i::text, 3, '0'), 's' || i || '@example.com',
           3 + i % 6, 1 + i % 4, i % 5 <> 0
    FROM generate_series(1, 12) AS i";

const STRATEGY_SESSIONS: usize = 16;
const STRATEGY_ROUNDS: usize = 20;

#[test]
fn parallel_assign_greedy() {
    parallel_assign("greedy");
}

#[test]
fn parallel_assign_balanced() {
    parallel_assign("balanced");
}

#[test]
fn parallel_assign_round_robin() {
    parallel_assign("round_robin");
}

/// What one session's calls reported.
#[derive(Default)]
struct Tally {
    inserted: i64,
    assigned: i64,
}

/// 16 sessions insert leads and call assign_leads() (some simulate_cycle(3)) under `strategy`.
fn parallel_assign(strategy: &str) {
    let database = fresh_database(&format!("parallel_{strategy}"));
    connect(&database).batch_execute(TWELVE_SELLERS).expect("insert the sellers");

    let tallies = run_sessions(STRATEGY_SESSIONS, |session| {
        let mut client = session_client(&database, strategy);
        let mut tally = Tally::default();
        for round in 0..STRATEGY_ROUNDS {
            // Manual leads only go to lines 1-3, so line 4 (a few simulated leads only) ends below
            // its capacity of 18 while the others end full: both sides of min(demand, capacity).
            let line = 1 + (session + round) % 3;
            let count = 1 + (session * 7 + round) % 3;
            let tag = format!("P{session}-{round}");
            tally.inserted += insert_leads(&mut client, &tag, count, line)
                .unwrap_or_else(|error| panic!("session {session}: inserting leads: {}", describe(&error)));
            tally.assigned += i64::from(scalar::<i32>(&mut client, "SELECT assign_leads()"));
            // Few simulated leads (about 30, a quarter of them on line 4), see above.
            if session % 8 == 0 && round % 4 == 0 {
                let row = client
                    .query_one("SELECT inserted, assigned FROM simulate_cycle(3)", &[])
                    .unwrap_or_else(|error| panic!("session {session}: simulate_cycle(3): {}", describe(&error)));
                tally.inserted += i64::from(row.get::<_, i32>(0));
                tally.assigned += i64::from(row.get::<_, i32>(1));
            }
        }
        tally
    });

    let mut client = connect(&database);
    assert_invariants(&mut client);
    let inserted: i64 = tallies.iter().map(|tally| tally.inserted).sum();
    let assigned: i64 = tallies.iter().map(|tally| tally.assigned).sum();
    assert_eq!(
        table_rows(&mut client, "leads"),
        inserted,
        "{strategy}: leads in the table vs leads the sessions inserted"
    );
    assert_eq!(
        table_rows(&mut client, "assignments"),
        inserted,
        "{strategy}: every lead must have exactly one assignments row"
    );
    assert_eq!(
        scalar::<i64>(
            &mut client,
            "SELECT count(*) FROM lead_management.assignments WHERE seller_document_number IS NOT NULL"
        ),
        assigned,
        "{strategy}: assigned leads vs the sum of what assign_leads()/simulate_cycle() reported"
    );
    assert_no_idle_capacity(&mut client, strategy);
}

/// Runs `session(0..count)` on its own thread each and returns their results; a panic in any
/// session fails the test.
fn run_sessions<T: Send>(count: usize, session: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let session = &session;
    thread::scope(|scope| {
        let handles: Vec<_> = (0..count).map(|i| scope.spawn(move || session(i))).collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, handle)| {
                handle.join().unwrap_or_else(|_| panic!("session {i} failed (its panic is printed above)"))
            })
            .collect()
    })
}

fn session_client(database: &str, strategy: &str) -> Client {
    let mut client = connect(database);
    client.batch_execute(&format!("SET lead_assigner.strategy = {strategy}")).expect("set the strategy");
    client
}

/// Inserts `count` leads of `business_line` whose document numbers start with `tag` (unique per
/// caller); returns how many were inserted.
fn insert_leads(client: &mut Client, tag: &str, count: usize, business_line: usize) -> Result<i64, postgres::Error> {
    let (count, business_line) = (count as i32, business_line as i32);
    let inserted = client.execute(
        "INSERT INTO lead_management.leads
             (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
         SELECT $1::text || '-' || k, 'Manual', 'Lead', '+1-555-2000', lower($1::text) || '.' || k || '@leads.example.com',
                $3::int, 1, 1
         FROM generate_series(1, $2::int) AS k",
        &[&tag, &count, &business_line],
    )?;
    Ok(inserted as i64)
}

fn table_rows(client: &mut Client, table: &str) -> i64 {
    scalar(client, &format!("SELECT count(*) FROM lead_management.{table}"))
}

/// No lead may stay Pending while an active seller of its business line has room; with only
/// assignments since the start, that is: leads held per line == min(demand, capacity).
fn assert_no_idle_capacity(client: &mut Client, context: &str) {
    let rows = client
        .query(
            "SELECT b.business_line_id,
                    (SELECT count(*) FROM lead_management.assignments a
                       JOIN lead_management.leads l ON l.document_number = a.lead_document_number
                       JOIN lead_management.assignment_statuses st USING (assignment_status_id)
                      WHERE l.business_line_id = b.business_line_id AND st.name = 'Pending'),
                    (SELECT coalesce(sum(greatest(s.max_leads_count - (
                                SELECT count(*) FROM lead_management.assignments a
                                  JOIN lead_management.assignment_statuses st USING (assignment_status_id)
                                 WHERE a.seller_document_number = s.document_number AND st.occupies_capacity), 0)), 0)::bigint
                       FROM lead_management.sellers s
                      WHERE s.business_line_id = b.business_line_id AND s.is_active)
             FROM lead_management.business_lines b ORDER BY 1",
            &[],
        )
        .expect("read pending leads and free room per business line");
    let idle: Vec<String> = rows
        .iter()
        .filter(|row| row.get::<_, i64>(1) > 0 && row.get::<_, i64>(2) > 0)
        .map(|row| {
            format!(
                "line {}: {} pending, {} free slots",
                row.get::<_, i32>(0),
                row.get::<_, i64>(1),
                row.get::<_, i64>(2)
            )
        })
        .collect();
    assert!(idle.is_empty(), "{context}: leads left Pending while active sellers of their line have room: {idle:?}");
}

// ---- stress ----

const STRESS_SESSIONS: usize = 8;
const STRATEGIES: [&str; 3] = ["greedy", "balanced", "round_robin"];
const TARGET_STATUSES: [&str; 3] = ["In Progress", "Won", "Lost"];

/// Changes one stress session made, as the API reported them.
#[derive(Default, Debug)]
struct Changes {
    leads_inserted: i64,
    /// Every UPDATE of an assignments row: assigned by a run, moved by status, requeued.
    assignment_updates: i64,
    status_changes: i64,
    seller_updates: i64,
    deactivations: i64,
    /// assign_leads() and simulate_cycle() calls: one assignment_runs row each.
    runs: i64,
    retries: i64,
}

impl Changes {
    fn add(mut self, other: &Changes) -> Changes {
        self.leads_inserted += other.leads_inserted;
        self.assignment_updates += other.assignment_updates;
        self.status_changes += other.status_changes;
        self.seller_updates += other.seller_updates;
        self.deactivations += other.deactivations;
        self.runs += other.runs;
        self.retries += other.retries;
        self
    }
}

/// Eight sessions mix every API call for a bounded time, then the audit trail and history must
/// account for exactly what they did.
#[test]
fn stress() {
    let seconds: u64 = std::env::var("LEAD_ASSIGNER_STRESS_SECONDS")
        .map(|value| value.parse().expect("LEAD_ASSIGNER_STRESS_SECONDS must be a number of seconds"))
        .unwrap_or(20);
    let database = fresh_database("stress");
    let mut client = connect(&database);
    // One business line per session: only its owner changes statuses and sellers there, so a lead
    // the owner saw open is still open when it moves it (others only assign Pending leads).
    client
        .batch_execute(
            "INSERT INTO lead_management.business_lines (business_line_id, name, description)
                 SELECT i, 'Line ' || i, 'stress test' FROM generate_series(5, 8) AS i;
             INSERT INTO lead_management.sellers
                 (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
                 SELECT 'S' || i, 'Seller', 'No' || i, '+1-555-0' || lpad(i::text, 3, '0'), 's' || i || '@example.com',
                        3 + i % 6, 1 + i % 8
                 FROM generate_series(1, 24) AS i",
        )
        .expect("add business lines and sellers");
    let audit_before = audit_counts(&mut client);

    lead_assigner_e2e::progress("stress", &format!("{STRESS_SESSIONS} sessions for {seconds} s"));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let per_session = run_sessions(STRESS_SESSIONS, |session| stress_session(&database, session, deadline));
    let total = per_session.iter().fold(Changes::default(), Changes::add);
    println!("stress: {seconds} s, {STRESS_SESSIONS} sessions: {total:?}");
    assert!(
        total.leads_inserted > 0 && total.status_changes > 0 && total.deactivations > 0 && total.runs > 0,
        "the sessions should have done every kind of change: {total:?}"
    );

    assert_invariants(&mut client);
    let audit_after = audit_counts(&mut client);
    let added = |table: &str, action: &str| {
        let key = (table.to_owned(), action.to_owned());
        audit_after.get(&key).copied().unwrap_or(0) - audit_before.get(&key).copied().unwrap_or(0)
    };
    let leads = table_rows(&mut client, "leads");
    let records = table_rows(&mut client, "assignment_records");
    assert_eq!(leads, total.leads_inserted, "leads in the table vs leads the sessions inserted");
    assert_eq!(table_rows(&mut client, "assignments"), leads, "every lead must have exactly one assignments row");
    assert_eq!(added("leads", "INSERT"), leads, "audit INSERTs on leads vs leads");
    assert_eq!(added("assignments", "INSERT"), leads, "audit INSERTs on assignments vs assignments");
    assert_eq!(
        added("assignments", "UPDATE"),
        total.assignment_updates,
        "audit UPDATEs on assignments vs the updates the API reported"
    );
    assert_eq!(added("sellers", "UPDATE"), total.seller_updates, "audit UPDATEs on sellers vs (de)activations");
    assert_eq!(
        added("assignment_runs", "INSERT"),
        total.runs,
        "audit INSERTs on assignment_runs vs assign/simulate calls"
    );
    assert_eq!(table_rows(&mut client, "assignment_runs"), total.runs, "assignment_runs rows vs assign/simulate calls");
    assert_eq!(added("assignment_records", "INSERT"), records, "audit INSERTs on assignment_records vs its rows");
    assert_eq!(
        records,
        added("assignments", "INSERT") + added("assignments", "UPDATE"),
        "assignment_records rows vs audited INSERTs+UPDATEs of assignments"
    );
    let deletes: Vec<_> = audit_after.keys().filter(|(_, action)| action != "INSERT" && action != "UPDATE").collect();
    assert!(deletes.is_empty(), "nothing was deleted, yet the audit trail says so: {deletes:?}");
    assert_every_version_recorded(&mut client);

    // The sessions' last status changes may have freed slots after the last run: one more run,
    // then no capacity may be idle.
    scalar::<i32>(&mut client, "SELECT assign_leads()");
    assert_no_idle_capacity(&mut client, "stress, after a final assign_leads()");
    assert_invariants(&mut client);
}

/// Audit rows per (table_name, action).
fn audit_counts(client: &mut Client) -> HashMap<(String, String), i64> {
    client
        .query("SELECT table_name, action, count(*) FROM lead_management.audit_logs GROUP BY 1, 2", &[])
        .expect("count audit rows")
        .iter()
        .map(|row| ((row.get(0), row.get(1)), row.get(2)))
        .collect()
}

/// assignment_records holds every version: per assignment, 1 (the insert) + its audited updates.
fn assert_every_version_recorded(client: &mut Client) {
    let rows = client
        .query(
            "WITH versions AS (SELECT assignment_id, count(*) AS n FROM lead_management.assignment_records GROUP BY 1),
                  updates AS (SELECT (new_value ->> 'assignment_id')::bigint AS assignment_id, count(*) AS n
                                FROM lead_management.audit_logs
                               WHERE table_name = 'assignments' AND action = 'UPDATE' GROUP BY 1)
             SELECT a.assignment_id, coalesce(v.n, 0), coalesce(u.n, 0)
             FROM lead_management.assignments a
             LEFT JOIN versions v USING (assignment_id) LEFT JOIN updates u USING (assignment_id)
             WHERE coalesce(v.n, 0) <> 1 + coalesce(u.n, 0)
             LIMIT 10",
            &[],
        )
        .expect("compare versions with audited updates");
    let wrong: Vec<String> = rows
        .iter()
        .map(|row| {
            format!(
                "assignment {}: {} versions, {} updates",
                row.get::<_, i64>(0),
                row.get::<_, i64>(1),
                row.get::<_, i64>(2)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "assignment_records must hold 1 + (audited updates) versions per assignment: {wrong:?}");
}

/// One stress session until `deadline`: random calls, each counted by what it changed.
fn stress_session(database: &str, session: usize, deadline: Instant) -> Changes {
    let mut client = session_client(database, STRATEGIES[session % STRATEGIES.len()]);
    let own_line = session as i32 + 1;
    let mut rng = rand::thread_rng();
    let mut changes = Changes::default();
    let mut batch = 0;
    while Instant::now() < deadline {
        match rng.gen_range(0..20) {
            0..=3 => {
                let row = retrying(&mut changes, "simulate_cycle()", || {
                    client.query_one("SELECT inserted, assigned FROM simulate_cycle()", &[])
                });
                changes.leads_inserted += i64::from(row.get::<_, i32>(0));
                changes.assignment_updates += i64::from(row.get::<_, i32>(1));
                changes.runs += 1;
            }
            4..=7 => {
                let row = retrying(&mut changes, "assign_leads()", || client.query_one("SELECT assign_leads()", &[]));
                changes.assignment_updates += i64::from(row.get::<_, i32>(0));
                changes.runs += 1;
            }
            8..=10 => {
                batch += 1;
                let (tag, count, line) =
                    (format!("X{session}-{batch}"), rng.gen_range(1..=3), rng.gen_range(1..=STRESS_SESSIONS));
                let inserted =
                    retrying(&mut changes, "inserting leads", || insert_leads(&mut client, &tag, count, line));
                changes.leads_inserted += inserted;
            }
            11..=17 => move_open_lead(&mut client, &mut changes, own_line, &mut rng),
            _ => toggle_seller(&mut client, &mut changes, own_line),
        }
    }
    changes
}

/// Moves a random open lead of `line` to another status with set_assignment_status().
fn move_open_lead(client: &mut Client, changes: &mut Changes, line: i32, rng: &mut impl Rng) {
    let open = retrying(changes, "picking an open lead", || {
        client.query_opt(
            "SELECT a.lead_document_number, st.name FROM lead_management.assignments a
               JOIN lead_management.leads l ON l.document_number = a.lead_document_number
               JOIN lead_management.assignment_statuses st USING (assignment_status_id)
              WHERE l.business_line_id = $1 AND st.occupies_capacity
              ORDER BY random() LIMIT 1",
            &[&line],
        )
    });
    let Some(open) = open else { return };
    let (lead, current): (String, String) = (open.get(0), open.get(1));
    let target = TARGET_STATUSES.into_iter().filter(|status| *status != current).choose(rng).expect("another status");
    let row = retrying(changes, "set_assignment_status()", || {
        client.query_one("SELECT set_assignment_status($1, $2)", &[&lead, &target])
    });
    assert_eq!(row.get::<_, String>(0), target, "set_assignment_status('{lead}', '{target}') returns the status name");
    changes.assignment_updates += 1;
    changes.status_changes += 1;
}

/// Deactivates a random active seller of `line` (requeueing their open leads) or reactivates an
/// inactive one.
fn toggle_seller(client: &mut Client, changes: &mut Changes, line: i32) {
    let seller = retrying(changes, "picking a seller", || {
        client.query_one(
            "SELECT document_number, is_active FROM lead_management.sellers WHERE business_line_id = $1 ORDER BY random() LIMIT 1",
            &[&line],
        )
    });
    let (seller, active): (String, bool) = (seller.get(0), seller.get(1));
    if active {
        let requeued =
            retrying(changes, "deactivate_seller()", || client.query_one("SELECT deactivate_seller($1)", &[&seller]));
        changes.assignment_updates += i64::from(requeued.get::<_, i32>(0));
        changes.deactivations += 1;
    } else {
        let row = retrying(changes, "activate_seller()", || client.query_one("SELECT activate_seller($1)", &[&seller]));
        assert!(row.get::<_, bool>(0), "activate_seller('{seller}') on an inactive seller must report a change");
    }
    changes.seller_updates += 1;
}

/// Runs one autocommit statement, retrying only what PostgreSQL documents as retryable
/// (serialization failure, deadlock; neither is expected); any other error fails the test.
fn retrying<T>(changes: &mut Changes, what: &str, mut call: impl FnMut() -> Result<T, postgres::Error>) -> T {
    loop {
        match call() {
            Ok(value) => return value,
            Err(error)
                if [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED]
                    .iter()
                    .any(|code| error.code() == Some(code)) =>
            {
                changes.retries += 1;
            }
            Err(error) => panic!("{what} failed: {}", describe(&error)),
        }
    }
}
