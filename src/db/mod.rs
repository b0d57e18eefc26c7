//! The only place that speaks SPI. Every statement is planned once per backend and kept
//! (SPI_keepplan); PostgreSQL re-validates kept plans itself when the schema changes.

pub mod assignments;
pub mod audit;
pub mod audit_partitions;
pub mod changes;
pub mod invariants;
pub mod leads;
pub mod lifecycle;
pub mod locks;
pub mod runs;
pub mod sellers;

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::{self, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult, SpiTupleTable};
use pgrx::{FromDatum, IntoDatum};

use crate::errors::OrRaise;

/// A SQL statement with its parameter types, prepared on first use and reused after.
pub struct Statement {
    pub sql: &'static str,
    pub arg_types: &'static [pg_sys::Oid],
}

/// What a kept plan is kept under: a [`Statement`]'s address, or for statements whose text is
/// built per relation (over a trigger's transition tables, whose row type is the triggering
/// table's) the relation, its column count (a column added to the table makes a new plan) and
/// which statement.
#[derive(PartialEq, Eq, Hash, Clone, Copy)]
enum PlanKey {
    Static(usize),
    PerRelation { relation: pg_sys::Oid, columns: i32, statement: &'static str },
}

thread_local! {
    // Kept plans live as long as the backend, so leaking them is their natural lifetime, and a
    // `&'static` handle lets a statement run while triggers it fires prepare statements of their own.
    static KEPT_PLANS: RefCell<HashMap<PlanKey, &'static OwnedPreparedStatement>> = RefCell::new(HashMap::new());
}

fn kept_plan(
    client: &SpiClient<'_>,
    key: PlanKey,
    arg_types: &[pg_sys::Oid],
    sql: impl FnOnce() -> String,
) -> SpiResult<&'static OwnedPreparedStatement> {
    if let Some(plan) = KEPT_PLANS.with_borrow(|plans| plans.get(&key).copied()) {
        return Ok(plan);
    }
    let arg_types: Vec<PgOid> = arg_types.iter().map(|&oid| PgOid::from(oid)).collect();
    let plan: &'static OwnedPreparedStatement = Box::leak(Box::new(client.prepare_mut(&sql(), &arg_types)?.keep()));
    KEPT_PLANS.with_borrow_mut(|plans| plans.insert(key, plan));
    Ok(plan)
}

impl Statement {
    /// Runs the statement (read or write) and returns its rows.
    pub fn run<'conn>(
        &'static self,
        client: &mut SpiClient<'conn>,
        args: &[DatumWithOid<'_>],
    ) -> SpiResult<SpiTupleTable<'conn>> {
        let plan = kept_plan(client, PlanKey::Static(self as *const Statement as usize), self.arg_types, || {
            self.sql.to_owned()
        })?;
        client.update(plan, None, args)
    }
}

/// Runs a statement built for one relation (see [`PlanKey`]); `sql` is called only the first time.
pub fn run_per_relation<'conn>(
    client: &mut SpiClient<'conn>,
    relation: &pgrx::PgRelation,
    statement: &'static str,
    arg_types: &[pg_sys::Oid],
    args: &[DatumWithOid<'_>],
    sql: impl FnOnce() -> String,
) -> SpiResult<SpiTupleTable<'conn>> {
    let key = PlanKey::PerRelation { relation: relation.oid(), columns: relation.tuple_desc().len() as i32, statement };
    let plan = kept_plan(client, key, arg_types, sql)?;
    client.update(plan, None, args)
}

/// Every row's first two columns (NULL read as the type's default); `what` names the read in
/// errors.
pub fn pairs<A, B>(rows: SpiTupleTable<'_>, what: &str) -> Vec<(A, B)>
where
    A: IntoDatum + FromDatum + Default,
    B: IntoDatum + FromDatum + Default,
{
    rows.map(|row| (row.get(1).or_raise(what).unwrap_or_default(), row.get(2).or_raise(what).unwrap_or_default()))
        .collect()
}

/// The first row of a result, or `None` when it has none.
pub fn first_row(rows: SpiTupleTable<'_>) -> Option<SpiTupleTable<'_>> {
    (!rows.is_empty()).then(|| rows.first())
}
