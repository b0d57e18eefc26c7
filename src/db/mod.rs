//! The only place that speaks SPI. Every statement is planned once per backend and kept
//! (SPI_keepplan); PostgreSQL re-validates kept plans itself when the schema changes.

pub mod assignments;
pub mod audit;
pub mod leads;
pub mod lifecycle;
pub mod locks;
pub mod runs;

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::{self, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult, SpiTupleTable};

/// A SQL statement with its parameter types, prepared on first use and reused after.
pub struct Statement {
    pub sql: &'static str,
    pub arg_types: &'static [pg_sys::Oid],
}

thread_local! {
    // Kept plans live as long as the backend, so leaking them is their natural lifetime, and a
    // `&'static` handle lets a statement run while triggers it fires prepare statements of their own.
    static KEPT_PLANS: RefCell<HashMap<usize, &'static OwnedPreparedStatement>> = RefCell::new(HashMap::new());
}

impl Statement {
    fn plan(&'static self, client: &SpiClient<'_>) -> SpiResult<&'static OwnedPreparedStatement> {
        let key = self as *const Statement as usize;
        if let Some(plan) = KEPT_PLANS.with_borrow(|plans| plans.get(&key).copied()) {
            return Ok(plan);
        }
        let arg_types: Vec<PgOid> = self.arg_types.iter().map(|&oid| PgOid::from(oid)).collect();
        let plan: &'static OwnedPreparedStatement =
            Box::leak(Box::new(client.prepare_mut(self.sql, &arg_types)?.keep()));
        KEPT_PLANS.with_borrow_mut(|plans| plans.insert(key, plan));
        Ok(plan)
    }

    /// Runs the statement (read or write) and returns its rows.
    pub fn run<'conn>(
        &'static self,
        client: &mut SpiClient<'conn>,
        args: &[DatumWithOid<'_>],
    ) -> SpiResult<SpiTupleTable<'conn>> {
        let plan = self.plan(client)?;
        client.update(plan, None, args)
    }
}

/// The first row of a result, or `None` when it has none.
pub fn first_row(rows: SpiTupleTable<'_>) -> Option<SpiTupleTable<'_>> {
    (!rows.is_empty()).then(|| rows.first())
}
