//! assign_leads() and preview_assignments(): the engine (`crate::engine`) applying its
//! decision, or only showing it.

use pgrx::prelude::*;

use crate::db::assignments;
use crate::engine::{decide, AssignmentRun, Lines};
use crate::errors::refuse_on_standby;
use crate::gucs;

/// Gives every pending lead it can to an eligible seller; returns how many it assigned.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn assign_leads() -> i32 {
    refuse_on_standby("assign_leads");
    Spi::connect_mut(|client| AssignmentRun::start(client, Lines::All).finish(client, "assign", None).assigned)
}

/// Exactly what assign_leads() would do if called now in this session (same strategy, rules and
/// order), computed by the same code, writing nothing and taking no lock. With the caller's
/// rights, like explain_lead().
#[pg_extern(stable, parallel_unsafe)]
fn preview_assignments(
) -> TableIterator<'static, (name!(lead, String), name!(seller, String), name!(strategy, &'static str))> {
    let strategy = gucs::strategy();
    let decision = Spi::connect_mut(|client| {
        let statuses = assignments::statuses(client);
        decide(client, &statuses, strategy, &Lines::All)
    });
    TableIterator::new(decision.pairs.into_iter().map(move |pair| (pair.lead, pair.seller, strategy.as_str())))
}
