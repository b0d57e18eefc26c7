//! The engine seen from applications over real connections: LISTEN/NOTIFY after COMMIT only,
//! routing on arrival (one run per statement, rolled back with its statement, no waiting across
//! business lines, no over-assignment within one), and explain_lead() agreeing with the run that
//! follows on randomised databases.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use lead_assigner_e2e::*;
use postgres::fallible_iterator::FallibleIterator;
use rand::Rng;

/// Twelve sellers over the four business lines with 3 to 8 slots each.
const SELLERS: &str = "INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
    SELECT 'S' || i, 'Seller', 'No' || i, '+1-555-0' || lpad(i::text, 3, '0'), 's' || i || '@example.com', 3 + i % 6, 1 + i % 4
    FROM generate_series(1, 12) AS i";

fn insert_leads(client: &mut Client, tag: &str, count: i32, line: i32) -> u64 {
    client
        .execute(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT $1 || '-' || i, 'Rita', 'Route', '+1-555-0199', lower($1) || '.' || i || '@example.com', $3, 1, 1
             FROM generate_series(1, $2) AS i",
            &[&tag, &count, &line],
        )
        .unwrap_or_else(|error| panic!("inserting {tag}: {}", describe(&error)))
}

/// Notifications the listener has received so far, as (channel, payload as JSON).
fn received(listener: &mut Client) -> Vec<(String, serde_json::Value)> {
    // Reading a result makes the client take in the notifications sent meanwhile.
    listener.batch_execute("SELECT 1").expect("poll");
    let mut messages = Vec::new();
    let mut notifications = listener.notifications();
    let mut pending = notifications.iter();
    while let Some(message) = pending.next().expect("reading notifications") {
        messages.push((message.channel().to_owned(), serde_json::from_str(message.payload()).expect("a JSON payload")));
    }
    messages
}

#[test]
fn notifications_arrive_after_commit_only() {
    let database = fresh_database("notify");
    let mut client = connect(&database);
    client.batch_execute(SELLERS).expect("sellers");
    let mut listener = connect(&database);
    listener.batch_execute("LISTEN lead_assigner_runs; LISTEN lead_assigner_assignments").expect("listen");

    insert_leads(&mut client, "N1", 3, 1);
    client.batch_execute("BEGIN; SELECT assign_leads(); ROLLBACK").expect("rolled-back run");
    assert!(received(&mut listener).is_empty(), "nothing is heard of a rolled-back run");

    client.batch_execute("BEGIN; SELECT assign_leads();").expect("run");
    assert!(received(&mut listener).is_empty(), "nothing before COMMIT");
    client.batch_execute("COMMIT").expect("commit");
    let messages = received(&mut listener);
    assert_eq!(messages.len(), 1, "one message per run, none per lead by default: {messages:?}");
    let (channel, run) = &messages[0];
    assert_eq!(channel, "lead_assigner_runs");
    assert_eq!(run["kind"], "assign");
    assert_eq!(run["assigned"], 3);
    assert_eq!(run["requeued"], 0);
    assert_eq!(run["strategy"], "greedy");
    let run_id: i64 = scalar(&mut client, "SELECT max(run_id) FROM lead_management.assignment_runs");
    assert_eq!(run["run_id"], run_id);

    insert_leads(&mut client, "N2", 2, 2);
    client.batch_execute("SET lead_assigner.notify_assignments = on; SELECT assign_leads()").expect("run");
    let messages = received(&mut listener);
    let per_lead: Vec<_> = messages.iter().filter(|(channel, _)| channel == "lead_assigner_assignments").collect();
    assert_eq!(per_lead.len(), 2, "{messages:?}");
    for (_, assignment) in per_lead {
        assert_eq!(assignment["business_line_id"], 2);
        assert_eq!(assignment["run_id"], run_id + 1);
        let lead = assignment["lead"].as_str().expect("lead");
        let seller: String = client
            .query_one(
                "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = $1",
                &[&lead],
            )
            .expect("assignment")
            .get(0);
        assert_eq!(assignment["seller"], seller);
    }
}

#[test]
fn routing_on_arrival_is_one_run_per_statement_and_rolls_back_with_it() {
    let database = fresh_database("on_insert");
    let mut client = connect(&database);
    client
        .batch_execute(&format!("{SELLERS}; ALTER DATABASE {database} SET lead_assigner.assign_on_insert = on"))
        .expect("setup");
    let mut client = connect(&database);

    let row = client
        .query_one(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('WEB-1', 'Web', 'Form', '+1-555-0199', 'web1@example.com', 1, 1, 1) RETURNING document_number",
            &[],
        )
        .expect("insert");
    assert_eq!(row.get::<_, String>(0), "WEB-1");
    let seller: Option<String> = scalar(
        &mut client,
        "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = 'WEB-1'",
    );
    // Line 1's sellers are S4, S8 and S12; document numbers compare bytewise, so S12 comes first.
    assert_eq!(seller.as_deref(), Some("S12"), "greedy: the first seller of line 1 in document order");

    let runs_before: i64 =
        scalar(&mut client, "SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert'");
    assert_eq!(insert_leads(&mut client, "BULK", 10_000, 2), 10_000);
    let runs_after: i64 =
        scalar(&mut client, "SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert'");
    assert_eq!(runs_after - runs_before, 1, "one run for a 10,000-row statement");

    let fingerprint = table_fingerprints(&mut client);
    client.batch_execute("BEGIN").expect("begin");
    insert_leads(&mut client, "GONE", 5, 3);
    client.batch_execute("ROLLBACK").expect("rollback");
    assert_eq!(table_fingerprints(&mut client), fingerprint, "a rolled-back insert leaves no row anywhere");
    assert_invariants(&mut client);
}

#[test]
fn routing_on_arrival_in_parallel_sessions() {
    let database = fresh_database("on_insert_parallel");
    connect(&database)
        .batch_execute(&format!("{SELLERS}; ALTER DATABASE {database} SET lead_assigner.assign_on_insert = on"))
        .expect("setup");

    // Different business lines never wait on each other: the first session keeps its line-1
    // insert open while the second inserts into line 2.
    let mut first = connect(&database);
    let mut second = connect(&database);
    first.batch_execute("BEGIN").expect("begin");
    insert_leads(&mut first, "L1OPEN", 2, 1);
    second.batch_execute("SET statement_timeout = '5s'").expect("timeout");
    let started = Instant::now();
    insert_leads(&mut second, "L2FREE", 2, 2);
    assert!(started.elapsed() < Duration::from_secs(2), "an insert into line 2 waited on line 1");
    first.batch_execute("COMMIT").expect("commit");

    // The same line from eight sessions at once: never more than capacity.
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|session| {
            let (database, barrier) = (database.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut client = connect(&database);
                barrier.wait();
                for round in 0..10 {
                    let line = 1 + (session + round) % 2;
                    insert_leads(&mut client, &format!("P{session}-{round}"), 1 + round % 3, line);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a session failed");
    }
    let mut client = connect(&database);
    assert_invariants(&mut client);
    let full: i64 = scalar(
        &mut client,
        "SELECT count(*) FROM lead_management.seller_workload WHERE business_line IN ('Insurance', 'Banking') AND free_capacity > 0",
    );
    assert_eq!(full, 0, "lines 1 and 2 got more leads than room: every seller ends full");
}

#[test]
fn explain_agrees_with_the_next_run_on_random_databases() {
    let mut rng = rand::thread_rng();
    for round in 0..6 {
        let database = fresh_database("explain_agrees");
        let mut client = connect(&database);
        let strategy = ["greedy", "balanced", "round_robin", "proportional"][round % 4];
        client
            .batch_execute(&format!(
                "{SELLERS};
                 UPDATE lead_management.sellers SET
                    is_active = random() > 0.15,
                    away_until = CASE WHEN random() < 0.2 THEN now() + interval '1 hour' END,
                    daily_cap = CASE WHEN random() < 0.3 THEN (random() * 3)::int END,
                    weight = 1 + (random() * 4)::int,
                    time_zone = (ARRAY['UTC', 'America/Bogota', 'Asia/Tokyo', 'Pacific/Kiritimati'])[1 + (random() * 3)::int];
                 INSERT INTO lead_management.seller_hours (seller_document_number, weekday, starts_at, ends_at)
                 SELECT document_number, extract(isodow FROM now() AT TIME ZONE time_zone),
                        CASE WHEN random() < 0.5 THEN '00:00'::time ELSE '23:59'::time END, '23:59:59'
                 FROM lead_management.sellers WHERE random() < 0.3;
                 ALTER DATABASE {database} SET lead_assigner.strategy = '{strategy}'"
            ))
            .expect("random rules");
        let mut client = connect(&database);
        for line in 1..=4 {
            insert_leads(&mut client, &format!("R{line}"), rng.gen_range(0..12), line);
        }
        let pending: Vec<String> = client
            .query("SELECT lead_document_number FROM lead_management.assignment_queue", &[])
            .expect("queue")
            .iter()
            .map(|row| row.get(0))
            .collect();
        let mut eligible_for = std::collections::HashMap::new();
        for lead in &pending {
            let sellers: Vec<String> = client
                .query("SELECT seller FROM explain_lead($1) WHERE eligible", &[lead])
                .expect("explain")
                .iter()
                .map(|row| row.get(0))
                .collect();
            eligible_for.insert(lead.clone(), sellers);
        }
        client.batch_execute("SELECT assign_leads()").expect("run");
        for lead in &pending {
            let seller: Option<String> = client
                .query_one(
                    "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = $1",
                    &[lead],
                )
                .expect("assignment")
                .get(0);
            // A lead with no eligible seller can then not have been assigned either.
            if let Some(seller) = seller {
                assert!(
                    eligible_for[lead].contains(&seller),
                    "{strategy}: {lead} went to {seller}, which explain_lead() did not mark eligible: {:?}",
                    eligible_for[lead]
                );
            }
        }
        assert_invariants(&mut client);
    }
}
