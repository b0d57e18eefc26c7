//! `#[pg_test]`s: each runs inside a transaction that is rolled back, in a database where the
//! extension is installed.

mod assign;
mod audit;
mod constraints;
mod install;
mod rules;
mod schedule;
mod settings;
mod simulate;
mod state;
mod territories;

use pgrx::prelude::*;

/// Runs `sql` in a subtransaction (a PL/pgSQL exception block) and returns the SQLSTATE it
/// failed with, or None when it succeeded. The error never aborts the test's transaction.
pub fn sqlstate_of(sql: &str) -> Option<String> {
    Spi::run(
        "CREATE OR REPLACE FUNCTION pg_temp.sqlstate_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
         BEGIN EXECUTE statement; RETURN NULL; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$",
    )
    .expect("create sqlstate_of");
    Spi::get_one_with_args::<String>("SELECT pg_temp.sqlstate_of($1)", &[sql.into()]).expect("run sqlstate_of")
}

/// Asserts that `sql` fails with `expected` and that nothing it did survives.
pub fn assert_fails(sql: &str, expected: &str) {
    assert_eq!(sqlstate_of(sql).as_deref(), Some(expected), "SQLSTATE of: {sql}");
}

pub fn count(sql: &str) -> i64 {
    Spi::get_one::<i64>(sql).expect(sql).unwrap_or(0)
}

/// The original seed's four sellers: capacities 50/30/40/25 on business lines 1, 2, 3, 1.
pub fn insert_seed_sellers() {
    Spi::run(
        "INSERT INTO lead_management.sellers
            (document_number, given_name, surname, phone, email, max_leads_count, business_line_id) VALUES
            ('S1', 'Ana', 'Lopez', '+1-555-0100', 'ana@example.com', 50, 1),
            ('S2', 'Bruno', 'Silva', '+1-555-0101', 'bruno@example.com', 30, 2),
            ('S3', 'Carla', 'Gomez', '+1-555-0102', 'carla@example.com', 40, 3),
            ('S4', 'David', 'Smith', '+1-555-0103', 'david@example.com', 25, 1)",
    )
    .expect("insert seed sellers");
}

/// `per_line` leads in each of the given business lines, document numbers L<line><000n>.
pub fn insert_leads(business_lines: &[i32], per_line: i32) {
    for line in business_lines {
        Spi::run_with_args(
            "INSERT INTO lead_management.leads
                (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT format('L%s%s', $1, lpad(i::text, 5, '0')), 'Lead', 'Person', '+1-555-0199',
                    format('lead%s.%s@example.com', $1, i), $1, 1, 1
             FROM generate_series(1, $2) AS i",
            &[(*line).into(), per_line.into()],
        )
        .expect("insert leads");
    }
}

/// Open (capacity-occupying) leads held by a seller.
pub fn open_leads(seller: &str) -> i64 {
    Spi::get_one_with_args::<i64>(
        "SELECT count(*) FROM lead_management.assignments a JOIN lead_management.assignment_statuses s USING (assignment_status_id)
         WHERE a.seller_document_number = $1 AND s.occupies_capacity",
        &[seller.into()],
    )
    .expect("count open leads")
    .unwrap_or(0)
}

/// Runs `sql`; a failure fails the test with the statement.
pub fn run(sql: &str) {
    Spi::run(sql).unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The single text value `sql` returns.
pub fn text(sql: &str) -> Option<String> {
    Spi::get_one::<String>(sql).unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// Leads per seller, as "seller:count,..." in document order.
pub fn spread() -> String {
    text(
        "SELECT string_agg(seller_document_number || ':' || n, ',' ORDER BY seller_document_number)
         FROM (SELECT seller_document_number, count(*) AS n FROM lead_management.assignments
               WHERE seller_document_number IS NOT NULL GROUP BY 1) t",
    )
    .unwrap_or_default()
}

/// explain_lead() as "seller=reason,..." in the order it returns.
pub fn explain(lead: &str) -> String {
    text(&format!(
        "SELECT string_agg(coalesce(seller, '-') || '=' || reason || CASE WHEN eligible THEN '!' ELSE '' END, ',' ORDER BY n)
         FROM explain_lead('{lead}') WITH ORDINALITY AS e(seller, eligible, reason, n)"
    ))
    .unwrap_or_default()
}
