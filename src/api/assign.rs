//! assign_leads(): one run of the assignment engine, also the second half of simulate_cycle().

use lead_assigner_core::assign::{self, PendingLead, RoundRobinCursor, Seller, Strategy};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::db::assignments::{self, Statuses};
use crate::db::{locks, runs};
use crate::errors::OrRaise;
use crate::gucs;

/// Gives every pending lead it can to an eligible seller; returns how many it assigned.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn assign_leads() -> i32 {
    Spi::connect_mut(|client| AssignmentRun::start(client).finish(client, "assign", None).assigned)
}

/// What one run saw and did.
pub struct AssignmentRun {
    started_at: TimestampWithTimeZone,
    statuses: Statuses,
    strategy: Strategy,
    pending_before: i32,
    eligible_sellers: i32,
    pub assigned: i32,
}

impl AssignmentRun {
    /// Takes the locks; from here on this transaction is the only one deciding capacity.
    pub fn start(client: &mut SpiClient<'_>) -> Self {
        // SAFETY: reads the clock.
        let started_at =
            TimestampWithTimeZone::try_from(unsafe { pg_sys::GetCurrentTimestamp() }).or_raise("reading the clock");
        locks::lock_all_business_lines(client);
        let statuses = assignments::statuses(client);
        AssignmentRun {
            started_at,
            statuses,
            strategy: gucs::strategy(),
            pending_before: 0,
            eligible_sellers: 0,
            assigned: 0,
        }
    }

    /// Assigns, writes the run log row and the LOG line.
    pub fn finish(mut self, client: &mut SpiClient<'_>, kind: &str, cycle: Option<(i32, i32, i32)>) -> Self {
        let statuses = &self.statuses;
        let seller_rows = assignments::sellers_with_room(client);
        let cursor_rows = match self.strategy {
            Strategy::RoundRobin => assignments::round_robin_cursors(client),
            Strategy::Greedy | Strategy::Balanced => Vec::new(),
        };

        let sellers: Vec<Seller> = seller_rows
            .iter()
            .map(|row| Seller {
                document_number: &row.document_number,
                business_line_id: row.business_line_id,
                is_active: true,
                max_leads: row.max_leads,
                open_leads: row.open_leads,
            })
            .collect();
        let pending_rows = assignments::pending(client, &assign::room_per_line(&sellers));
        let leads: Vec<PendingLead> = pending_rows
            .iter()
            .map(|row| PendingLead { document_number: &row.document_number, business_line_id: row.business_line_id })
            .collect();
        let cursors: Vec<RoundRobinCursor> = cursor_rows
            .iter()
            .map(|(business_line_id, last_seller)| RoundRobinCursor {
                business_line_id: *business_line_id,
                last_seller,
            })
            .collect();
        let plan = assign::plan(&leads, &sellers, self.strategy, &cursors);

        let (lead_numbers, seller_numbers) = plan
            .pairs
            .iter()
            .map(|&(lead, seller)| (leads[lead].document_number, sellers[seller].document_number))
            .unzip();
        self.assigned = count(assignments::apply_plan(client, statuses, lead_numbers, seller_numbers));
        let (cursor_lines, cursor_sellers) = plan
            .cursors
            .iter()
            .map(|&(business_line_id, seller)| (business_line_id, sellers[seller].document_number))
            .unzip();
        assignments::save_round_robin_cursors(client, cursor_lines, cursor_sellers);

        self.pending_before = count(leads.len());
        self.eligible_sellers = count(plan.eligible_sellers);
        runs::record(
            client,
            &runs::RunLog {
                kind,
                started_at: self.started_at,
                strategy: self.strategy.as_str(),
                pending_before: self.pending_before,
                eligible_sellers: self.eligible_sellers,
                assigned: self.assigned,
                cycle,
            },
        );
        let cycle_summary = cycle.map_or(String::new(), |(generated, inserted, skipped)| {
            format!(" generated={generated} inserted={inserted} skipped={skipped}")
        });
        log!(
            "lead_assigner: {kind} strategy={} pending_before={} eligible_sellers={} assigned={}{cycle_summary}",
            self.strategy.as_str(),
            self.pending_before,
            self.eligible_sellers,
            self.assigned
        );
        self
    }
}

/// Counts fit an integer column: a run touches at most as many rows as a table holds.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
