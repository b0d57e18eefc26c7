//! Keeping the data model honest and the audit trail in shape: check_invariants(),
//! repair_assignments(), maintain().

use pgrx::prelude::*;

use crate::db::{audit_partitions, invariants, locks};
use crate::errors::refuse_on_standby;
use crate::gucs;

/// One row per invariant of the data model with the number of rows that break it (0 when it
/// holds). Reads the whole book: for tests, audits and after maintenance, not for every run.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn check_invariants() -> TableIterator<'static, (name!(invariant, String), name!(violations, i64))> {
    TableIterator::new(Spi::connect_mut(invariants::check))
}

/// After leads were loaded with triggers off (session_replication_role = replica, or triggers
/// disabled): gives them their Pending rows and sets the derived state to a recount. Takes every
/// business-line lock, so no run interleaves.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn repair_assignments() -> TableIterator<
    'static,
    (
        name!(pending_rows_created, i64),
        name!(seller_loads_corrected, i64),
        name!(queue_entries_corrected, i64),
        name!(schedules_corrected, i64),
        name!(released_outside_territory, i64),
    ),
> {
    refuse_on_standby("repair_assignments");
    let repaired = Spi::connect_mut(|client| {
        locks::lock_all_business_lines(client);
        invariants::repair(client)
    });
    TableIterator::once((
        repaired.pending_created,
        repaired.loads_corrected,
        repaired.queue_corrected,
        repaired.schedules_corrected,
        repaired.released_outside_territory,
    ))
}

/// Months of audit partitions kept ready beyond the current one.
const AUDIT_MONTHS_AHEAD: i32 = 2;

/// Daily upkeep (the pg_cron job lead_assigner_maintenance runs it): creates the audit_logs
/// partitions of this month and the next two (moving in any rows the DEFAULT partition caught),
/// forgets hourly assignment counts no daily cap reads any more, then drops whole months older
/// than lead_assigner.audit_retention, logging each drop in audit_logs. Returns one row per
/// partition created or dropped (and one for the hourly counts, when it removed any).
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn maintain() -> TableIterator<'static, (name!(action, String), name!(partition, String), name!(rows, i64))> {
    refuse_on_standby("maintain");
    gucs::refuse_rejected_values();
    let steps = Spi::connect_mut(|client| {
        locks::lock_maintenance(client);
        let mut steps = audit_partitions::create_ahead(client, AUDIT_MONTHS_AHEAD);
        steps.extend(audit_partitions::forget_old_hourly_counts(client));
        let retention = gucs::AUDIT_RETENTION.get();
        if retention > 0 {
            steps.extend(audit_partitions::drop_expired(client, retention));
        }
        steps
    });
    TableIterator::new(steps)
}
