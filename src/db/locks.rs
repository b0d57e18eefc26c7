//! Capacity is decided per business line, so changes to who holds open leads are serialised per
//! business line with transaction-scoped advisory locks. Locks are always taken in ascending
//! business_line_id order, so two sessions can never wait on each other in a cycle.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::Statement;
use crate::errors::OrRaise;

/// First key of every lead_assigner advisory lock ("LEAD" in ASCII), so that our locks never
/// collide with an application's single-key advisory locks.
const LOCK_NAMESPACE: i32 = 0x4C45_4144;

static LOCK_ALL_BUSINESS_LINES: Statement = Statement {
    sql: "SELECT count(pg_advisory_xact_lock($1, business_line_id)) \
          FROM (SELECT business_line_id FROM lead_management.business_lines ORDER BY business_line_id) AS ordered",
    arg_types: &[pg_sys::INT4OID],
};

static LOCK_BUSINESS_LINE: Statement = Statement {
    sql: "SELECT pg_advisory_xact_lock($1, $2)",
    arg_types: &[pg_sys::INT4OID, pg_sys::INT4OID],
};

/// assign_leads() decides for every business line at once.
pub fn lock_all_business_lines(client: &mut SpiClient<'_>) {
    LOCK_ALL_BUSINESS_LINES.run(client, &[LOCK_NAMESPACE.into()]).or_raise("locking the business lines");
}

/// Single-lead and single-seller changes need only their own business line.
pub fn lock_business_line(client: &mut SpiClient<'_>, business_line_id: i32) {
    LOCK_BUSINESS_LINE
        .run(client, &[LOCK_NAMESPACE.into(), business_line_id.into()])
        .or_raise("locking the business line");
}
