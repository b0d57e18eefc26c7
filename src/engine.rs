//! The assignment engine: [`decide`] reads what the rules need and lets the core plan (no
//! writes, so preview_assignments() shows exactly what a run would do); [`AssignmentRun`] takes
//! the locks and applies the decision. assign_leads(), simulate_cycle() and the insert trigger
//! (lead_assigner.assign_on_insert) all run it.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use lead_assigner_core::assign::{self, PendingLead, RoundRobinCursor, Strategy};
use lead_assigner_core::bounds::{self, LineRead};
use lead_assigner_core::eligibility::SellerState;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::db::assignments::{self, Candidate, Pair, Statuses};
use crate::db::{locks, runs, sellers};
use crate::errors::OrRaise;
use crate::gucs;

/// Which business lines a run decides for.
pub enum Lines {
    All,
    /// The lines of the leads one INSERT statement added (assign_on_insert).
    Only(Vec<i32>),
}

impl Lines {
    fn includes(&self, business_line_id: i32) -> bool {
        match self {
            Lines::All => true,
            Lines::Only(lines) => lines.contains(&business_line_id),
        }
    }
}

/// What a run will do, decided from the data as it is now.
pub struct Decision {
    /// Leads that sat in Assigned past the acceptance timeout: (lead, the seller it lapsed with).
    requeue: Vec<(String, String)>,
    pub pairs: Vec<Pair>,
    /// round_robin: (business line, last seller that got a lead).
    cursors: Vec<(i32, String)>,
    pending_read: usize,
    eligible_sellers: usize,
    queue_marks: QueueMarks,
}

/// What a run learned about the queue, for the next run (see assignment_queue_watermarks).
struct QueueMarks {
    /// Lines whose every queued lead the run saw and planned to assign.
    emptied: Vec<i32>,
    snapshot_xmin: Option<i64>,
    overflowed: Vec<i32>,
}

/// Reads what the rules need (sellers with room, at most as many pending leads per line, or per
/// line and country when territories restrict them, as they can take (`core::bounds`), the lapsed
/// assignments and the exclusions of the leads read) and lets the core plan.
/// Writes nothing: assign_leads() applies the decision, preview_assignments() shows it.
pub fn decide(client: &mut SpiClient<'_>, statuses: &Statuses, strategy: Strategy, lines: &Lines) -> Decision {
    let now = sellers::now_micros();
    let mut seller_rows: Vec<_> =
        sellers::with_room(client).into_iter().filter(|row| lines.includes(row.seller.business_line_id)).collect();

    let timeout = gucs::ACCEPT_TIMEOUT.get();
    let mut lapsed: Vec<Candidate> = if timeout > 0 && statuses.open.contains(&statuses.assigned) {
        assignments::lapsed(client, statuses, timeout)
            .into_iter()
            .filter(|c| lines.includes(c.business_line_id))
            .collect()
    } else {
        Vec::new()
    };
    // A lapsed lead gives its slot back before the run assigns (its seller may be full now and
    // so absent from seller_rows: it stays absent, it cannot take the lead anyway). Indexed only
    // then: most runs have no lapsed lead, and indexing a thousand sellers is not free.
    if !lapsed.is_empty() {
        let seller_index: HashMap<&str, usize> =
            seller_rows.iter().enumerate().map(|(i, row)| (row.seller.document_number.as_str(), i)).collect();
        let released: Vec<usize> =
            lapsed.iter().filter_map(|c| c.lapsed_from.as_deref().and_then(|s| seller_index.get(s).copied())).collect();
        for i in released {
            seller_rows[i].release_one();
        }
    }

    let states: Vec<SellerState> = seller_rows.iter().map(sellers::SellerRow::state).collect();
    let bounds = bounds::read_bounds(&states, now);
    let excluded = if bounds.is_empty() { Vec::new() } else { assignments::excluded_pending_per_line(client) };
    let any_excluded = !excluded.is_empty();
    // Each lead some seller may not take can be passed over, so read one more per such lead.
    let reads: Vec<LineRead> = bounds
        .into_iter()
        .map(|read| {
            let line = read.business_line_id();
            read.widened(excluded.iter().find(|(l, _)| *l == line).map_or(0, |(_, n)| *n))
        })
        .collect();
    let read = assignments::pending(client, &reads);
    let mut candidates = read.candidates;
    let pending_read = candidates.len();
    // Every lapsed lead goes back to Pending; only those of lines with room are candidates now.
    let requeue: Vec<(String, String)> =
        lapsed.iter().filter_map(|c| Some((c.document_number.clone(), c.lapsed_from.clone()?))).collect();
    lapsed.retain(|c| reads.iter().any(|read| read.business_line_id() == c.business_line_id));
    if !lapsed.is_empty() {
        // Back in the queue at its place: priority first, then document number, per line.
        candidates.append(&mut lapsed);
        candidates.sort_by(|a, b| a.queue_order().cmp(&b.queue_order()));
    }

    let mut excluded_by_lead: HashMap<String, Vec<String>> = HashMap::new();
    // Exclusions are rare: read them only when a queued lead has one or a lead just lapsed.
    if !candidates.is_empty() && (any_excluded || !requeue.is_empty()) {
        let leads = candidates.iter().map(|c| c.document_number.as_str()).collect();
        for (lead, seller) in assignments::exclusions(client, leads) {
            excluded_by_lead.entry(lead).or_default().push(seller);
        }
        for (lead, seller) in &requeue {
            excluded_by_lead.entry(lead.clone()).or_default().push(seller.clone());
        }
    }
    let excluded_refs: HashMap<&str, Vec<&str>> = excluded_by_lead
        .iter()
        .map(|(lead, sellers)| (lead.as_str(), sellers.iter().map(String::as_str).collect()))
        .collect();
    let leads: Vec<PendingLead> = candidates
        .iter()
        .map(|c| PendingLead {
            document_number: &c.document_number,
            business_line_id: c.business_line_id,
            country_id: c.country_id,
            excluded_sellers: excluded_refs.get(c.document_number.as_str()).map_or(&[], Vec::as_slice),
        })
        .collect();

    let cursor_rows = match strategy {
        Strategy::RoundRobin => assignments::round_robin_cursors(client),
        Strategy::Greedy | Strategy::Balanced | Strategy::Proportional => Vec::new(),
    };
    let cursors = round_robin_cursors(&cursor_rows);
    let plan = assign::plan(&leads, &states, now, strategy, &cursors);
    // A line whose every queued lead the run read is left empty if the plan takes every one.
    let planned: HashSet<usize> = plan.pairs.iter().map(|&(lead, _)| lead).collect();
    let emptied = read
        .complete
        .iter()
        .copied()
        .filter(|&line| {
            candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| c.business_line_id == line && c.lapsed_from.is_none())
                .all(|(i, _)| planned.contains(&i))
        })
        .collect();
    Decision {
        requeue,
        pairs: plan
            .pairs
            .iter()
            .map(|&(lead, seller)| Pair {
                lead: leads[lead].document_number.to_owned(),
                seller: states[seller].document_number.to_owned(),
                business_line_id: leads[lead].business_line_id,
            })
            .collect(),
        cursors: plan
            .cursors
            .iter()
            .map(|&(business_line_id, seller)| (business_line_id, states[seller].document_number.to_owned()))
            .collect(),
        pending_read,
        eligible_sellers: plan.eligible_sellers,
        queue_marks: QueueMarks { emptied, snapshot_xmin: read.snapshot_xmin, overflowed: read.overflowed },
    }
}

/// The core's view of the saved round-robin cursors: (business line, last seller) rows.
pub fn round_robin_cursors(rows: &[(i32, String)]) -> Vec<RoundRobinCursor<'_>> {
    rows.iter()
        .map(|(business_line_id, last_seller)| RoundRobinCursor { business_line_id: *business_line_id, last_seller })
        .collect()
}

/// What one run saw and did.
pub struct AssignmentRun {
    started_at: TimestampWithTimeZone,
    statuses: Statuses,
    strategy: Strategy,
    lines: Lines,
    pub assigned: i32,
}

impl AssignmentRun {
    /// Takes the locks of the lines it decides for; from here on this transaction is the only
    /// one deciding their capacity.
    pub fn start(client: &mut SpiClient<'_>, lines: Lines) -> Self {
        // SAFETY: reads the clock.
        let started_at =
            TimestampWithTimeZone::try_from(unsafe { pg_sys::GetCurrentTimestamp() }).or_raise("reading the clock");
        match &lines {
            Lines::All => locks::lock_all_business_lines(client),
            Lines::Only(ids) => locks::lock_business_lines(client, ids),
        }
        let statuses = assignments::statuses(client);
        AssignmentRun { started_at, statuses, strategy: gucs::strategy(), lines, assigned: 0 }
    }

    /// Decides, requeues lapsed leads, assigns, writes the run log row, notifies and logs.
    pub fn finish(mut self, client: &mut SpiClient<'_>, kind: &str, cycle: Option<(i32, i32, i32)>) -> Self {
        let decision = decide(client, &self.statuses, self.strategy, &self.lines);
        let (requeue_leads, requeue_sellers) =
            decision.requeue.iter().map(|(lead, seller)| (lead.as_str(), seller.as_str())).unzip();
        let requeued = count(assignments::requeue_lapsed(client, &self.statuses, requeue_leads, requeue_sellers));
        let (lead_numbers, seller_numbers) =
            decision.pairs.iter().map(|pair| (pair.lead.as_str(), pair.seller.as_str())).unzip();
        self.assigned = count(assignments::apply_plan(client, &self.statuses, lead_numbers, seller_numbers));
        let marks = decision.queue_marks;
        assignments::mark_queue(client, marks.emptied, marks.snapshot_xmin, marks.overflowed);
        let (cursor_lines, cursor_sellers) =
            decision.cursors.iter().map(|(line, seller)| (*line, seller.as_str())).unzip();
        assignments::save_round_robin_cursors(client, cursor_lines, cursor_sellers);

        let run = runs::RunLog {
            kind,
            started_at: self.started_at,
            strategy: self.strategy.as_str(),
            pending_before: count(decision.pending_read),
            eligible_sellers: count(decision.eligible_sellers),
            assigned: self.assigned,
            requeued,
            cycle,
        };
        let run_id = runs::record(client, &run);
        runs::notify(client, run_id, &run, gucs::NOTIFY_ASSIGNMENTS.get().then_some(&decision.pairs));
        let cycle_summary = cycle.map_or(String::new(), |(generated, inserted, skipped)| {
            format!(" generated={generated} inserted={inserted} skipped={skipped}")
        });
        log!(
            "lead_assigner: {kind} strategy={} pending_before={} eligible_sellers={} assigned={} requeued={requeued}{cycle_summary}",
            run.strategy,
            run.pending_before,
            run.eligible_sellers,
            self.assigned
        );
        self
    }
}

/// Counts fit an integer column: a run touches at most as many rows as a table holds.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

thread_local! {
    static INSERTING_FOR_A_RUN: Cell<bool> = const { Cell::new(false) };
}

/// Clears the flag when the insert is done, also when an error unwinds through it.
struct InsertDone;

impl Drop for InsertDone {
    fn drop(&mut self) {
        INSERTING_FOR_A_RUN.set(false);
    }
}

/// simulate_cycle() inserts leads that its own run assigns right after: while `insert` runs,
/// the insert trigger leaves them to that run instead of routing them on arrival.
pub fn insert_for_this_run<R>(insert: impl FnOnce() -> R) -> R {
    INSERTING_FOR_A_RUN.set(true);
    let _done = InsertDone;
    insert()
}

/// Whether leads inserted now are to be routed by the statement that inserts them.
pub fn routes_on_insert() -> bool {
    gucs::ASSIGN_ON_INSERT.get() && !INSERTING_FOR_A_RUN.get() && !locks::snapshot_is_transaction_wide()
}
