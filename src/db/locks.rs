//! Capacity is decided per business line, so changes to who holds open leads are serialised per
//! business line with transaction-scoped advisory locks. Locks are always taken in ascending
//! business_line_id order, so two sessions can never wait on each other in a cycle.

use pgrx::spi::SpiClient;
use pgrx::{pg_sys, PgSqlErrorCode};

use super::Statement;
use crate::errors::{raise, OrRaise};

/// First key of every lead_assigner advisory lock ("LEAD" in ASCII), so that our locks never
/// collide with an application's single-key advisory locks.
const LOCK_NAMESPACE: i32 = 0x4C45_4144;

static LOCK_ALL_BUSINESS_LINES: Statement = Statement {
    sql: "SELECT count(pg_advisory_xact_lock($1, business_line_id)) \
          FROM (SELECT business_line_id FROM lead_management.business_lines ORDER BY business_line_id) AS ordered",
    arg_types: &[pg_sys::INT4OID],
};

static LOCK_BUSINESS_LINE: Statement =
    Statement { sql: "SELECT pg_advisory_xact_lock($1, $2)", arg_types: &[pg_sys::INT4OID, pg_sys::INT4OID] };

/// Under REPEATABLE READ or SERIALIZABLE every statement sees the snapshot taken at the start of
/// the transaction, before any lock it takes.
pub fn snapshot_is_transaction_wide() -> bool {
    // SAFETY: reads a backend-local global.
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// Capacity read from a transaction-wide snapshot could be stale, so refuse.
fn refuse_transaction_snapshot() {
    if snapshot_is_transaction_wide() {
        raise(
            PgSqlErrorCode::ERRCODE_ACTIVE_SQL_TRANSACTION,
            "lead_assigner changes assignments only in READ COMMITTED transactions",
            "Run it outside an explicit REPEATABLE READ/SERIALIZABLE transaction: capacity is read after taking the business-line locks, which needs a fresh snapshot.",
        )
    }
}

/// assign_leads() decides for every business line at once.
pub fn lock_all_business_lines(client: &mut SpiClient<'_>) {
    refuse_transaction_snapshot();
    LOCK_ALL_BUSINESS_LINES.run(client, &[LOCK_NAMESPACE.into()]).or_raise("locking the business lines");
}

static LOCK_MAINTENANCE: Statement =
    Statement { sql: "SELECT pg_advisory_xact_lock($1, -1)", arg_types: &[pg_sys::INT4OID] };

/// maintain() runs one at a time (business line ids are positive, so -1 is free).
pub fn lock_maintenance(client: &mut SpiClient<'_>) {
    LOCK_MAINTENANCE.run(client, &[LOCK_NAMESPACE.into()]).or_raise("locking maintenance");
}

/// Single-lead and single-seller changes need only their own business line(s); pass them in any
/// order, they are locked in ascending order.
pub fn lock_business_lines(client: &mut SpiClient<'_>, business_line_ids: &[i32]) {
    refuse_transaction_snapshot();
    let mut ids = business_line_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for business_line_id in ids {
        lock_business_line(client, business_line_id);
    }
}

fn lock_business_line(client: &mut SpiClient<'_>, business_line_id: i32) {
    LOCK_BUSINESS_LINE
        .run(client, &[LOCK_NAMESPACE.into(), business_line_id.into()])
        .or_raise("locking the business line");
}
