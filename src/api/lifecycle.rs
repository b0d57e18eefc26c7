//! Moving one assignment or one seller: set_assignment_status(), deactivate_seller(),
//! activate_seller(), get_status_id().

use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

use crate::db::{assignments, lifecycle, locks};
use crate::errors::{raise, refuse_on_standby};
use crate::gucs;

/// NULL is never a valid lead, seller or status: say so instead of silently returning NULL.
pub(super) fn required<'a>(value: Option<&'a str>, what: &str) -> &'a str {
    value.unwrap_or_else(|| {
        raise(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            format!("{what} must not be NULL"),
            format!("Pass the {what}."),
        )
    })
}

pub(super) fn unknown_lead(lead: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_NO_DATA_FOUND,
        format!("lead \"{lead}\" does not exist"),
        "Check the document number: SELECT document_number FROM lead_management.leads.",
    )
}

fn unknown_seller(seller: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_NO_DATA_FOUND,
        format!("seller \"{seller}\" does not exist"),
        "Check the document number: SELECT document_number FROM lead_management.sellers.",
    )
}

/// Returns the id of the named status (trimmed, case-insensitive), creating it when missing.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn get_status_id(name: Option<&str>) -> i32 {
    refuse_on_standby("get_status_id");
    gucs::refuse_rejected_values();
    let name = required(name, "status name");
    if name.trim().is_empty() {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "status name must not be blank",
            "Pass a name such as 'In Progress'.",
        );
    }
    if name.trim().chars().count() > 100 {
        raise(
            PgSqlErrorCode::ERRCODE_STRING_DATA_RIGHT_TRUNCATION,
            "status name is longer than 100 characters",
            "Use a shorter name.",
        );
    }
    Spi::connect_mut(|client| {
        if let Some(status) = lifecycle::find_status(client, name) {
            return status.id;
        }
        lifecycle::create_status(client, name);
        lifecycle::find_status(client, name).map(|status| status.id).unwrap_or_else(|| {
            raise(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("status \"{name}\" vanished after creation"),
                "Retry.",
            )
        })
    })
}

/// Moves a lead's assignment to the named status and returns the status's canonical name.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn set_assignment_status(lead: Option<&str>, status: Option<&str>) -> String {
    refuse_on_standby("set_assignment_status");
    gucs::refuse_rejected_values();
    let lead = required(lead, "lead document number");
    let name = required(status, "status name");
    Spi::connect_mut(|client| {
        let status = lifecycle::find_status(client, name).unwrap_or_else(|| {
            raise(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("unknown assignment status \"{name}\""),
                format!("Known statuses: {}. get_status_id(name) creates a new one.", lifecycle::status_names(client)),
            )
        });
        let (business_line, _) = lifecycle::lead_line_and_country(client, lead).unwrap_or_else(|| unknown_lead(lead));
        locks::lock_business_lines(client, &[business_line]);
        let statuses = assignments::statuses(client);
        let current = lifecycle::lock_assignment(client, lead).unwrap_or_else(|| {
            assignments::create_pending(lead);
            lifecycle::lock_assignment(client, lead).unwrap_or_else(|| unknown_lead(lead))
        });

        if status.id == statuses.pending {
            lifecycle::requeue_lead(client, lead, statuses.pending, None);
        } else {
            if status.occupies_capacity && !current.occupies_capacity {
                check_room(client, lead, current.seller.as_deref(), &status.name);
            }
            lifecycle::set_status(client, lead, status.id);
        }
        status.name
    })
}

/// Reopening a lead into a status that holds a slot needs a seller that is active and has room.
fn check_room(client: &mut pgrx::spi::SpiClient<'_>, lead: &str, seller: Option<&str>, status: &str) {
    let Some(seller) = seller else {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("lead \"{lead}\" has no seller, so it cannot be \"{status}\""),
            format!("SELECT * FROM explain_lead('{}'); shows which sellers could take it and why not; assign_leads() gives it one when someone has room.", lead.replace('\'', "''")),
        )
    };
    let load = lifecycle::seller_load(client, seller).unwrap_or_else(|| unknown_seller(seller));
    if !load.is_active {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("seller \"{seller}\" is inactive, so lead \"{lead}\" cannot be \"{status}\" with them"),
            format!("Reactivate the seller with SELECT activate_seller('{seller}'); or move the lead to 'Pending'."),
        );
    }
    if load.open_leads >= i64::from(load.max_leads) {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("seller \"{seller}\" already holds {} of {} open leads", load.open_leads, load.max_leads),
            "Close one of their leads first, raise max_leads_count, or move this lead to 'Pending'.",
        );
    }
}

/// Deactivates a seller and puts their open leads back to Pending; returns how many.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn deactivate_seller(seller: Option<&str>) -> i32 {
    refuse_on_standby("deactivate_seller");
    gucs::refuse_rejected_values();
    let seller = required(seller, "seller document number");
    Spi::connect_mut(|client| {
        let business_line = lifecycle::seller_business_line(client, seller).unwrap_or_else(|| unknown_seller(seller));
        locks::lock_business_lines(client, &[business_line]);
        let statuses = assignments::statuses(client);
        // Requeue first: once inactive, the seller's trigger would requeue them uncounted.
        let requeued = lifecycle::requeue_seller_leads(client, seller, statuses.pending, &statuses.open);
        lifecycle::set_seller_active(client, seller, false);
        i32::try_from(requeued).unwrap_or(i32::MAX)
    })
}

/// Makes a seller eligible again; returns false when they already were active.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn activate_seller(seller: Option<&str>) -> bool {
    refuse_on_standby("activate_seller");
    gucs::refuse_rejected_values();
    let seller = required(seller, "seller document number");
    Spi::connect_mut(|client| {
        let business_line = lifecycle::seller_business_line(client, seller).unwrap_or_else(|| unknown_seller(seller));
        locks::lock_business_lines(client, &[business_line]);
        lifecycle::set_seller_active(client, seller, true)
    })
}

/// Sets a seller's territory: it takes only leads from the countries with these ISO codes (an
/// empty array: every country). Open leads outside the new territory go back to Pending (the
/// seller_countries triggers do that). Returns the territory's codes, sorted.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn set_seller_countries(seller: Option<&str>, country_codes: Option<Vec<Option<String>>>) -> Vec<String> {
    refuse_on_standby("set_seller_countries");
    gucs::refuse_rejected_values();
    let seller = required(seller, "seller document number");
    let codes: Vec<String> = country_codes
        .unwrap_or_else(|| {
            raise(
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                "country codes must not be NULL",
                "Pass an array of ISO codes such as ARRAY['CO', 'MX'], or '{}' for every country.",
            )
        })
        .into_iter()
        .map(|code| {
            code.unwrap_or_else(|| {
                raise(
                    PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                    "country codes must not contain NULL",
                    "Remove the NULL from the array.",
                )
            })
        })
        .collect();
    Spi::connect_mut(|client| {
        lifecycle::seller_business_line(client, seller).unwrap_or_else(|| unknown_seller(seller));
        let (unknown, country_ids) = lifecycle::countries_by_code(client, &codes);
        if !unknown.is_empty() {
            raise(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("unknown country code(s): {}", unknown.join(", ")),
                format!(
                    "Known codes: {}. Add a country to lead_management.countries first.",
                    lifecycle::country_codes(client)
                ),
            );
        }
        // No lock here: the seller_countries triggers take the line's lock after the rows, as
        // plain DML on the table does (taking it before would deadlock with such DML).
        lifecycle::set_seller_countries(client, seller, country_ids)
    })
}
