//! Territories end to end: every strategy routes each lead only to sellers who cover its
//! country and leaves no covered lead waiting while such a seller has room; sessions assigning
//! while others change territories keep every invariant.

use std::thread;

use lead_assigner_e2e::{assert_invariants, connect, describe, fresh_database, scalar, Client};
use rand::Rng;

/// Eight sellers in each of business lines 1 and 2 with 2 to 6 slots: per line, two cover
/// every country and six cover two of the five countries each (1-2, 2-3, ..., 5-1, 1-3).
const SELLERS: &str = "INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
    SELECT 'S' || i, 'Seller', 'No' || i, '+1-555-0' || lpad(i::text, 3, '0'), 's' || i || '@example.com',
           2 + i % 5, 1 + i % 2
    FROM generate_series(1, 16) AS i;
    INSERT INTO lead_management.seller_countries (seller_document_number, country_id)
    SELECT 'S' || i, 1 + (i / 2 + k) % 5 FROM generate_series(5, 16) AS i, generate_series(0, 1) AS k
    ON CONFLICT DO NOTHING";

/// `count` leads of `line`, their countries cycling through the five, document numbers `tag-k`.
fn insert_leads(client: &mut Client, tag: &str, count: i32, line: i32) -> Result<u64, postgres::Error> {
    client.execute(
        "INSERT INTO lead_management.leads
             (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
         SELECT $1::text || '-' || k, 'Manual', 'Lead', '+1-555-2000', lower($1::text) || '.' || k || '@leads.example.com',
                $3::int, 1 + k % 5, 1
         FROM generate_series(1, $2::int) AS k",
        &[&tag, &count, &line],
    )
}

/// Pending leads of a (line, country) that an active seller of the line covering the country
/// still has room for: a run must leave none.
fn idle_covered_capacity(client: &mut Client) -> Vec<String> {
    client
        .query(
            "SELECT format('line %s country %s', l.business_line_id, l.country_id)
             FROM lead_management.assignment_queue q JOIN lead_management.leads l ON l.document_number = q.lead_document_number
             WHERE EXISTS (SELECT FROM lead_management.seller_workload w JOIN lead_management.sellers s USING (document_number)
                           WHERE s.business_line_id = l.business_line_id AND s.is_active AND w.free_capacity > 0
                             AND (w.countries IS NULL
                                  OR (SELECT code FROM lead_management.countries c WHERE c.country_id = l.country_id) = ANY(w.countries)))
             GROUP BY 1 ORDER BY 1",
            &[],
        )
        .expect("read idle covered capacity")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

fn routes_by_country(strategy: &str) {
    let database = fresh_database(&format!("territories_{strategy}"));
    let mut client = connect(&database);
    client.batch_execute(SELLERS).expect("insert the sellers");
    client.batch_execute(&format!("SET lead_assigner.strategy = {strategy}")).expect("set the strategy");
    for round in 0..4 {
        insert_leads(&mut client, &format!("R{round}"), 25, 1 + round % 2).expect("insert leads");
        let preview: i64 = scalar(&mut client, "SELECT count(*) FROM preview_assignments()");
        let assigned: i32 = scalar(&mut client, "SELECT assign_leads()");
        assert_eq!(i64::from(assigned), preview, "{strategy}: the preview counts what the run assigns");
        assert_invariants(&mut client);
        assert_eq!(idle_covered_capacity(&mut client), Vec::<String>::new(), "{strategy}, round {round}");
    }
    // Some leads wait for a seller with room in their country, none for long: every line has
    // sellers for every country, so closing leads lets the next run take the waiting ones.
    client
        .batch_execute(
            "UPDATE lead_management.assignments SET assignment_status_id = 4 WHERE seller_document_number IS NOT NULL",
        )
        .expect("close every lead");
    let _: i32 = scalar(&mut client, "SELECT assign_leads()");
    assert_eq!(idle_covered_capacity(&mut client), Vec::<String>::new(), "{strategy}, after closing");
    assert_invariants(&mut client);
}

#[test]
fn territories_greedy() {
    routes_by_country("greedy");
}

#[test]
fn territories_balanced() {
    routes_by_country("balanced");
}

#[test]
fn territories_round_robin() {
    routes_by_country("round_robin");
}

#[test]
fn territories_proportional() {
    routes_by_country("proportional");
}

const ASSIGNING_SESSIONS: usize = 6;
const TERRITORY_SESSIONS: usize = 3;
const ROUNDS: usize = 30;

/// Sessions inserting leads and assigning them while others keep changing territories (with
/// set_seller_countries() and plain DML): no call fails or deadlocks, and every invariant,
/// "no open lead held by a seller outside its territory" among them, holds at the end.
#[test]
fn territories_change_while_sessions_assign() {
    let database = fresh_database("territories_concurrent");
    connect(&database).batch_execute(SELLERS).expect("insert the sellers");
    thread::scope(|scope| {
        for session in 0..ASSIGNING_SESSIONS {
            let database = &database;
            scope.spawn(move || {
                let mut client = connect(database);
                let strategy = ["greedy", "balanced", "round_robin", "proportional"][session % 4];
                client.batch_execute(&format!("SET lead_assigner.strategy = {strategy}")).expect("set the strategy");
                for round in 0..ROUNDS {
                    let line = 1 + ((session + round) % 2) as i32;
                    insert_leads(&mut client, &format!("P{session}-{round}"), 3, line)
                        .unwrap_or_else(|error| panic!("session {session}: inserting: {}", describe(&error)));
                    client
                        .query_one("SELECT assign_leads()", &[])
                        .unwrap_or_else(|error| panic!("session {session}: assign_leads(): {}", describe(&error)));
                    if round % 5 == 4 {
                        // Close this session's open leads so that sellers keep having room, one
                        // call per transaction (one statement closing leads of two lines would
                        // take their locks out of order).
                        let open = client
                            .query(
                                "SELECT lead_document_number FROM lead_management.assignments
                                 WHERE lead_document_number LIKE $1 AND seller_document_number IS NOT NULL",
                                &[&format!("P{session}-%")],
                            )
                            .unwrap_or_else(|error| panic!("session {session}: reading: {}", describe(&error)));
                        for row in open {
                            let lead: String = row.get(0);
                            client
                                .query_one("SELECT set_assignment_status($1, 'Won')", &[&lead])
                                .unwrap_or_else(|error| panic!("session {session}: closing: {}", describe(&error)));
                        }
                    }
                }
            });
        }
        for session in 0..TERRITORY_SESSIONS {
            let database = &database;
            scope.spawn(move || {
                let mut client = connect(database);
                let mut rng = rand::thread_rng();
                let codes = ["US", "CA", "MX", "CO", "BR"];
                for round in 0..ROUNDS {
                    let seller = format!("S{}", rng.gen_range(1..=16));
                    if (session + round) % 3 == 0 {
                        // Plain DML: one country more or less.
                        let country = rng.gen_range(1..=5);
                        client
                            .execute(
                                "WITH gone AS (DELETE FROM lead_management.seller_countries
                                               WHERE seller_document_number = $1 AND country_id = $2 RETURNING 1)
                                 INSERT INTO lead_management.seller_countries
                                 SELECT $1, $2 WHERE NOT EXISTS (SELECT FROM gone) ON CONFLICT DO NOTHING",
                                &[&seller, &country],
                            )
                            .unwrap_or_else(|error| panic!("territory session {session}: DML: {}", describe(&error)));
                    } else {
                        let picked: Vec<&str> = codes.iter().copied().filter(|_| rng.gen_bool(0.4)).collect();
                        client
                            .query_one("SELECT set_seller_countries($1, $2)", &[&seller, &picked])
                            .unwrap_or_else(|error| panic!("territory session {session}: set: {}", describe(&error)));
                    }
                }
            });
        }
    });
    let mut client = connect(&database);
    assert_invariants(&mut client);
    let _: i32 = scalar(&mut client, "SELECT assign_leads()");
    assert_eq!(idle_covered_capacity(&mut client), Vec::<String>::new());
    assert_invariants(&mut client);
}
