//! Keeps the assignment rules true when leads, sellers or statuses are changed with a plain UPDATE
//! (which the admin and app roles may do), not only through the SQL API. Each change takes the
//! business-line locks assign_leads() takes, so it cannot interleave with a run.

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

use crate::db::{assignments, lifecycle, locks};
use crate::errors::{raise, OrRaise};

type Row<'a> = PgHeapTuple<'a, AllocatedByPostgres>;

const WHAT: &str = "reading the changed row";

fn text(row: &Row<'_>, name: &str) -> String {
    row.get_by_name::<String>(name).or_raise(WHAT).unwrap_or_default()
}

fn int(row: &Row<'_>, name: &str) -> i32 {
    row.get_by_name::<i32>(name).or_raise(WHAT).unwrap_or_default()
}

fn small_int(row: &Row<'_>, name: &str) -> i16 {
    row.get_by_name::<i16>(name).or_raise(WHAT).unwrap_or_default()
}

fn flag(row: &Row<'_>, name: &str) -> bool {
    row.get_by_name::<bool>(name).or_raise(WHAT).unwrap_or_default()
}

/// A lead moved to another business line leaves its seller (who works the old one), and one
/// moved to a country its seller does not cover leaves that seller; a Pending lead whose business
/// line, priority or country changed takes its new place in the queue.
pub fn lead_updated(old: &Row<'_>, new: &Row<'_>) {
    let old_line = int(old, "business_line_id");
    let place = lifecycle::QueuePlace {
        business_line_id: int(new, "business_line_id"),
        priority: small_int(new, "priority"),
        country_id: int(new, "country_id"),
    };
    let country_changed = int(old, "country_id") != place.country_id;
    if old_line == place.business_line_id && small_int(old, "priority") == place.priority && !country_changed {
        return;
    }
    let lead = text(new, "document_number");
    Spi::connect_mut(|client| {
        locks::lock_business_lines(client, &[old_line, place.business_line_id]);
        lifecycle::requeue_position(client, &lead, &place);
        if old_line != place.business_line_id {
            let statuses = assignments::statuses(client);
            lifecycle::requeue_lead(client, &lead, statuses.pending, Some(&statuses.open));
        } else if country_changed {
            lifecycle::release_outside_territory(client, &[], &[&lead]);
        }
    });
}

/// A seller deactivated or moved to another business line lets go of their open leads; a
/// seller's capacity cannot drop below the leads they hold open now.
pub fn seller_updated(old: &Row<'_>, new: &Row<'_>) {
    let seller = text(new, "document_number");
    let (old_line, new_line) = (int(old, "business_line_id"), int(new, "business_line_id"));
    let deactivated = flag(old, "is_active") && !flag(new, "is_active");
    let max_leads = int(new, "max_leads_count");
    let shrunk = max_leads < int(old, "max_leads_count");
    if !(deactivated || old_line != new_line || shrunk) {
        return;
    }
    Spi::connect_mut(|client: &mut SpiClient<'_>| {
        locks::lock_business_lines(client, &[old_line, new_line]);
        if deactivated || old_line != new_line {
            let statuses = assignments::statuses(client);
            lifecycle::requeue_seller_leads(client, &seller, statuses.pending, &statuses.open);
        } else if let Some(load) = lifecycle::seller_load(client, &seller) {
            if load.open_leads > i64::from(max_leads) {
                raise(
                    PgSqlErrorCode::ERRCODE_CHECK_VIOLATION,
                    format!(
                        "seller \"{seller}\" holds {} open leads, more than the new max_leads_count {max_leads}",
                        load.open_leads
                    ),
                    "Close some of their leads or move them to 'Pending' with set_assignment_status() first.",
                );
            }
        }
    });
}

/// Flipping occupies_capacity on a status in use would change every seller's load at once.
pub fn status_updated(old: &Row<'_>, new: &Row<'_>) {
    if flag(old, "occupies_capacity") == flag(new, "occupies_capacity") {
        return;
    }
    let status_id = int(new, "assignment_status_id");
    if Spi::connect_mut(|client| lifecycle::status_in_use(client, status_id)) {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("status \"{}\" is in use, so whether it occupies capacity cannot change", text(new, "name")),
            "Create a new status with the behaviour you want (get_status_id) and move assignments to it.",
        );
    }
}
