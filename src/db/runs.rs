//! One assignment_runs row per committed run.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::Statement;
use crate::errors::OrRaise;

pub struct RunLog<'a> {
    pub kind: &'a str,
    pub started_at: TimestampWithTimeZone,
    pub strategy: &'a str,
    pub pending_before: i32,
    pub eligible_sellers: i32,
    pub assigned: i32,
    /// simulate_cycle() only: (generated, inserted, skipped).
    pub cycle: Option<(i32, i32, i32)>,
}

static INSERT_RUN: Statement = Statement {
    sql: "INSERT INTO lead_management.assignment_runs \
          (kind, started_at, finished_at, strategy, pending_before, eligible_sellers, assigned, generated, inserted, skipped) \
          VALUES ($1, $2, clock_timestamp(), $3, $4, $5, $6, $7, $8, $9)",
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
    ],
};

pub fn record(client: &mut SpiClient<'_>, run: &RunLog<'_>) {
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
            ],
        )
        .or_raise("logging the run");
}
