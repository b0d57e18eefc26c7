//! simulate_cycle(): insert realistic random leads, skip duplicates, then assign — atomically,
//! since it all runs inside the caller's statement.

use lead_assigner_core::generate::generate_leads;
use lead_assigner_core::weights::CountDistribution;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

use crate::db::leads;
use crate::engine::{self, AssignmentRun, Lines};
use crate::errors::{raise, refuse_on_standby};
use crate::gucs;

/// How many leads this cycle generates: `n`, or a weighted draw in [leads_min, leads_max].
pub(crate) fn cycle_size(n: Option<i32>) -> usize {
    let cap = gucs::MAX_LEADS_PER_CYCLE.get();
    let count = match n {
        Some(n) => i64::from(n),
        None => {
            let (min, max) = (gucs::LEADS_MIN.get(), gucs::LEADS_MAX.get());
            let distribution = CountDistribution::new(min.into(), max.into()).unwrap_or_else(|error| {
                raise(
                    PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!("lead_assigner.leads_min = {min} and lead_assigner.leads_max = {max} are not a valid range: {error}"),
                    "SET lead_assigner.leads_min and lead_assigner.leads_max so that 0 <= leads_min <= leads_max.",
                )
            });
            distribution.sample(&mut rand::thread_rng())
        }
    };
    if count < 0 {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("cannot generate {count} leads"),
            "Pass 0 or more.",
        );
    }
    if count > i64::from(cap) {
        raise(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("a cycle of {count} leads exceeds lead_assigner.max_leads_per_cycle ({cap})"),
            "Use smaller cycles, or have a superuser raise lead_assigner.max_leads_per_cycle.",
        );
    }
    usize::try_from(count).unwrap_or(0)
}

/// Inserts `n` random leads (or a weighted random count when n is NULL), skips duplicates,
/// assigns, and reports what happened.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn simulate_cycle(
    n: default!(Option<i32>, "NULL"),
) -> TableIterator<'static, (name!(generated, i32), name!(inserted, i32), name!(skipped, i32), name!(assigned, i32))> {
    refuse_on_standby("simulate_cycle");
    gucs::refuse_rejected_values();
    let size = cycle_size(n);
    let row = Spi::connect_mut(|client| {
        // Lock first: the leads this cycle inserts and the run that assigns them belong together.
        let run = AssignmentRun::start(client, Lines::All);
        let refs = leads::references(client);
        let generated = generate_leads(&mut rand::thread_rng(), size, &refs).unwrap_or_else(|error| {
            raise(
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                error.to_string(),
                "Add at least one business line, country and document type to lead_management.",
            )
        });
        let inserted = engine::insert_for_this_run(|| leads::insert_leads(client, &generated));
        let counts = (generated.len() as i32, inserted as i32, (generated.len() - inserted) as i32);
        let run = run.finish(client, "simulate", Some(counts));
        (counts.0, counts.1, counts.2, run.assigned)
    });
    TableIterator::once(row)
}
