//! One assignment_runs row per committed run.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::assignments::Pair;
use super::Statement;
use crate::errors::OrRaise;

pub struct RunLog<'a> {
    pub kind: &'a str,
    pub started_at: TimestampWithTimeZone,
    pub strategy: &'a str,
    pub pending_before: i32,
    pub eligible_sellers: i32,
    pub assigned: i32,
    pub requeued: i32,
    /// simulate_cycle() only: (generated, inserted, skipped).
    pub cycle: Option<(i32, i32, i32)>,
}

static INSERT_RUN: Statement = Statement {
    sql: "INSERT INTO lead_management.assignment_runs \
          (kind, started_at, finished_at, strategy, pending_before, eligible_sellers, assigned, generated, inserted, skipped, requeued) \
          VALUES ($1, $2, clock_timestamp(), $3, $4, $5, $6, $7, $8, $9, $10) RETURNING run_id",
    arg_types: &[
        pg_sys::TEXTOID,
        pg_sys::TIMESTAMPTZOID,
        pg_sys::TEXTOID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
    ],
};

/// Returns the run's id.
pub fn record(client: &mut SpiClient<'_>, run: &RunLog<'_>) -> i64 {
    let (generated, inserted, skipped) = match run.cycle {
        Some((generated, inserted, skipped)) => (Some(generated), Some(inserted), Some(skipped)),
        None => (None, None, None),
    };
    INSERT_RUN
        .run(
            client,
            &[
                run.kind.into(),
                run.started_at.into(),
                run.strategy.into(),
                run.pending_before.into(),
                run.eligible_sellers.into(),
                run.assigned.into(),
                generated.into(),
                inserted.into(),
                skipped.into(),
                run.requeued.into(),
            ],
        )
        .or_raise("logging the run")
        .first()
        .get(1)
        .or_raise("logging the run")
        .unwrap_or_default()
}

/// One message per run on lead_assigner_runs; with `pairs`, one per assigned lead on
/// lead_assigner_assignments. pg_notify() queues them with the transaction: listeners hear them
/// only if it commits. Each payload is a small JSON object, far below the 8000-byte limit
/// (document numbers are at most 32 characters).
static NOTIFY: Statement = Statement {
    sql: "SELECT pg_notify('lead_assigner_runs', json_build_object('run_id', $1, 'kind', $2, 'strategy', $3, \
                 'assigned', $4, 'requeued', $5)::text), \
                 (SELECT count(pg_notify('lead_assigner_assignments', json_build_object('lead', lead, 'seller', seller, \
                         'business_line_id', business_line_id, 'run_id', $1)::text)) \
                  FROM unnest($6::text[], $7::text[], $8::int[]) AS p(lead, seller, business_line_id))",
    arg_types: &[
        pg_sys::INT8OID,
        pg_sys::TEXTOID,
        pg_sys::TEXTOID,
        pg_sys::INT4OID,
        pg_sys::INT4OID,
        pg_sys::TEXTARRAYOID,
        pg_sys::TEXTARRAYOID,
        pg_sys::INT4ARRAYOID,
    ],
};

pub fn notify(client: &mut SpiClient<'_>, run_id: i64, run: &RunLog<'_>, pairs: Option<&Vec<Pair>>) {
    let pairs = pairs.map_or(&[][..], Vec::as_slice);
    let leads: Vec<&str> = pairs.iter().map(|pair| pair.lead.as_str()).collect();
    let sellers: Vec<&str> = pairs.iter().map(|pair| pair.seller.as_str()).collect();
    let lines: Vec<i32> = pairs.iter().map(|pair| pair.business_line_id).collect();
    NOTIFY
        .run(
            client,
            &[
                run_id.into(),
                run.kind.into(),
                run.strategy.into(),
                run.assigned.into(),
                run.requeued.into(),
                leads.into(),
                sellers.into(),
                lines.into(),
            ],
        )
        .or_raise("notifying listeners");
}
