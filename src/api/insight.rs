//! explain_lead() and seller_availability(): why a lead is (not) assigned, seller by seller, judged by the core's rules
//! (`eligibility::reason_for_lead`) in the order the strategy tries them (`assign::try_order`),
//! so an explanation can never disagree with what a run does.

use lead_assigner_core::assign;
use lead_assigner_core::eligibility::{reason_for_lead, Reason, SellerState};
use pgrx::prelude::*;

use crate::db::{assignments, lifecycle, sellers};
use crate::engine;
use crate::gucs;

use super::lifecycle::{required, unknown_lead};

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
    let lead = required(lead, "lead document number");
    let strategy = gucs::strategy();
    let rows: Vec<Explanation> = Spi::connect_mut(|client| {
        let (business_line_id, country_id) =
            lifecycle::lead_line_and_country(client, lead).unwrap_or_else(|| unknown_lead(lead));
        let holder = lifecycle::lead_holder(client, lead);
        let excluded: Vec<String> =
            assignments::exclusions(client, vec![lead]).into_iter().map(|(_, seller)| seller).collect();
        let seller_rows = sellers::of_line(client, business_line_id);
        if seller_rows.is_empty() {
            return vec![(None, false, "no_sellers_in_line")];
        }
        let states: Vec<SellerState> = seller_rows.iter().map(sellers::SellerRow::state).collect();
        let cursor_rows = assignments::round_robin_cursors(client);
        let cursors = engine::round_robin_cursors(&cursor_rows);
        let now = sellers::now_micros();
        assign::try_order(&states, now, business_line_id, strategy, &cursors)
            .into_iter()
            .map(|i| {
                let seller = &states[i];
                let is_excluded = excluded.iter().any(|s| s == seller.document_number);
                let reason = reason_for_lead(seller, now, country_id, holder.as_deref(), is_excluded);
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
                (row.seller.document_number.clone(), state.availability(now).as_str(), state.assigned_last_day)
            })
            .collect()
    });
    TableIterator::new(rows)
}
