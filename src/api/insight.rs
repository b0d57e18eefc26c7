//! explain_lead() and seller_availability(): why a lead is (not) assigned, seller by seller, judged by the core's rules
//! (`eligibility::reason_for_lead`) in the order the strategy tries them (`assign::try_order`),
//! so an explanation can never disagree with what a run does.

use lead_assigner_core::assign::{self, RoundRobinCursor};
use lead_assigner_core::eligibility::{reason_for_lead, Reason, SellerState};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

use crate::db::{assignments, lifecycle, sellers};
use crate::errors::raise;
use crate::gucs;

type Explanation = (Option<String>, bool, &'static str);

/// One row per seller of the lead's business line, in the order the current strategy would try
/// them: (seller, eligible, reason). Read-only, no locks.
///
/// The read-only functions run with the caller's rights (the roles may read every table): a
/// SECURITY DEFINER function with a pinned search_path would pay a GUC save and restore for every
/// row it returns, which was most of the cost of a 1,000-seller explanation.
#[pg_extern(stable, parallel_unsafe)]
fn explain_lead(
    lead: Option<&str>,
) -> TableIterator<'static, (name!(seller, Option<String>), name!(eligible, bool), name!(reason, &'static str))> {
    let lead = lead.unwrap_or_else(|| {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "lead must not be NULL", "Pass a lead's document number.")
    });
    let strategy = gucs::strategy();
    let rows: Vec<Explanation> = Spi::connect_mut(|client| {
        let Some(business_line_id) = lifecycle::lead_business_line(client, lead) else {
            raise(
                PgSqlErrorCode::ERRCODE_NO_DATA_FOUND,
                format!("lead \"{lead}\" does not exist"),
                "Check the document number: SELECT document_number FROM lead_management.leads.",
            )
        };
        let holder = lifecycle::lead_holder(client, lead);
        let excluded: Vec<String> =
            assignments::exclusions(client, vec![lead]).into_iter().map(|(_, seller)| seller).collect();
        let seller_rows = sellers::of_line(client, business_line_id);
        if seller_rows.is_empty() {
            return vec![(None, false, "no_sellers_in_line")];
        }
        let states: Vec<SellerState> = seller_rows.iter().map(sellers::SellerRow::state).collect();
        let cursor_rows = assignments::round_robin_cursors(client);
        let cursors: Vec<RoundRobinCursor> = cursor_rows
            .iter()
            .map(|(business_line_id, last_seller)| RoundRobinCursor {
                business_line_id: *business_line_id,
                last_seller,
            })
            .collect();
        let now = sellers::now_micros();
        assign::try_order(&states, now, business_line_id, strategy, &cursors)
            .into_iter()
            .map(|i| {
                let seller = &states[i];
                let is_excluded = excluded.iter().any(|s| s == seller.document_number);
                let reason = reason_for_lead(seller, now, holder.as_deref(), is_excluded);
                (Some(seller.document_number.to_owned()), reason == Reason::Eligible, reason.as_str())
            })
            .collect()
    });
    TableIterator::new(rows)
}

/// Every seller's availability now as the rules judge it (eligible, inactive, away,
/// outside_hours, full, daily_cap) and its leads assigned in the last day: the
/// seller_workload view shows them. With the caller's rights, like explain_lead().
#[pg_extern(stable, parallel_unsafe)]
fn seller_availability(
) -> TableIterator<'static, (name!(seller, String), name!(availability, &'static str), name!(assigned_last_day, i64))> {
    let rows: Vec<(String, &'static str, i64)> = Spi::connect_mut(|client| {
        let now = sellers::now_micros();
        sellers::all(client)
            .iter()
            .map(|row| {
                let state = row.state();
                (row.document_number.clone(), state.availability(now).as_str(), state.assigned_last_day)
            })
            .collect()
    });
    TableIterator::new(rows)
}
