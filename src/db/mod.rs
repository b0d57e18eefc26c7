//! The only place that speaks SPI. Every statement is prepared once per backend and kept
//! (SPI_keepplan); PostgreSQL re-validates kept plans itself when the schema changes.
//!
//! A statement either writes ([`Statement::run`]) or only reads ([`Statement::query`]). pgrx
//! gives the transaction an id before every statement run as an update, and a hot standby has
//! none to give ("cannot assign TransactionIds during recovery"): reads go the read-only way, so
//! that the read-only functions and views work on a standby.

/// seller_hours windows as seller_schedules keeps them, one bigint each: weekday << 34 |
/// starts_at << 17 | ends_at, in seconds since local midnight (`sellers` unpacks them).
macro_rules! packed_windows {
    () => {
        "array_agg((h.weekday::bigint << 34) | (floor(date_part('epoch', h.starts_at))::bigint << 17) \
         | floor(date_part('epoch', h.ends_at))::bigint ORDER BY h.weekday, h.starts_at)"
    };
}

/// Gives each business line of `$lines` (a query of line ids, repeats allowed) a new version in
/// seller_roster_versions, lines in order so that two statements never wait on each other in a
/// cycle.
macro_rules! renew_roster_versions {
    ($lines:expr) => {
        concat!(
            "INSERT INTO lead_management.seller_roster_versions AS v (business_line_id, version) \
             SELECT line, nextval('lead_management.seller_roster_version_seq') \
             FROM (SELECT DISTINCT * FROM (",
            $lines,
            ") AS changed) AS t(line) ORDER BY line \
             ON CONFLICT (business_line_id) DO UPDATE SET version = excluded.version"
        )
    };
}

/// Whether assignment `a`'s seller has a territory (seller_countries rows) that does not include
/// the country of lead `l`.
macro_rules! outside_territory {
    () => {
        "EXISTS (SELECT FROM lead_management.seller_countries t WHERE t.seller_document_number = a.seller_document_number) \
         AND NOT EXISTS (SELECT FROM lead_management.seller_countries t \
                         WHERE t.seller_document_number = a.seller_document_number AND t.country_id = l.country_id)"
    };
}

/// Puts back to Pending every open assignment `a` (in a status that occupies capacity) that
/// `$which` picks and whose seller's territory does not cover its lead `l`'s country.
macro_rules! release_outside_territory {
    ($which:expr) => {
        concat!(
            "UPDATE lead_management.assignments a \
             SET assignment_status_id = (SELECT assignment_status_id FROM lead_management.assignment_statuses \
                                         WHERE lower(btrim(name)) = 'pending'), \
                 seller_document_number = NULL, assigned_at = NULL, updated_at = now() \
             FROM lead_management.leads l \
             WHERE l.document_number = a.lead_document_number AND (",
            $which,
            ") AND a.assignment_status_id IN (SELECT assignment_status_id FROM lead_management.assignment_statuses \
                                              WHERE occupies_capacity) AND ",
            outside_territory!()
        )
    };
}

/// assignment_queue_watermarks as this kind of server can read it: the table on a primary; on a
/// hot standby an empty stand-in with its columns, since an unlogged table is not replicated and
/// PostgreSQL refuses even to plan a statement that names one during recovery. (A standby that
/// is promoted starts with the table empty as well: no watermark is what it holds there.)
macro_rules! queue_watermarks {
    (primary) => {
        "lead_management.assignment_queue_watermarks"
    };
    (standby) => {
        "(SELECT NULL::int AS business_line_id, NULL::xid8 AS enqueued_since WHERE false)"
    };
}

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

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::{self, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult, SpiTupleTable};
use pgrx::{FromDatum, IntoDatum};

use crate::errors::OrRaise;
use changes::Event;

/// A SQL statement with its parameter types, prepared on first use and reused after.
pub struct Statement {
    pub sql: &'static str,
    pub arg_types: &'static [pg_sys::Oid],
}

/// What a kept plan is kept under: a [`Statement`]'s address, or for statements whose text is
/// built per relation (over a trigger's transition tables, whose row type is the triggering
/// table's) the relation, its column count (a column added to the table makes a new plan),
/// which statement for which event, and the size of the transition tables.
#[derive(PartialEq, Eq, Hash, Clone, Copy)]
enum PlanKey {
    Static(usize),
    PerRelation { relation: pg_sys::Oid, columns: i32, statement: &'static str, event: Event, size: ChangeSize },
}

/// How many rows a statement-level trigger's transition tables hold, by order of magnitude.
/// PostgreSQL plans a statement over them with their actual row counts, so a plan is kept per
/// size: the plan of a 5-row statement (index probes) never serves a 100,000-row one, which
/// hashes or scans instead, nor the other way round.
#[derive(PartialEq, Eq, Hash, Clone, Copy)]
pub enum ChangeSize {
    Few,
    Many,
    Bulk,
}

impl ChangeSize {
    pub fn of(rows: i64) -> ChangeSize {
        match rows {
            ..100 => ChangeSize::Few,
            100..10_000 => ChangeSize::Many,
            _ => ChangeSize::Bulk,
        }
    }

    /// The size the statements [`run_per_relation`] runs from inside `work` are planned for
    /// (the trigger's, see `changes::with_changes`); the outer size again after it, for a
    /// trigger that fires inside another.
    pub fn during<R>(self, work: impl FnOnce() -> R) -> R {
        // Restored on the way out, an error's unwinding included.
        struct Restore(ChangeSize);
        impl Drop for Restore {
            fn drop(&mut self) {
                CHANGE_SIZE.set(self.0);
            }
        }
        let _outer = Restore(CHANGE_SIZE.replace(self));
        work()
    }
}

thread_local! {
    static CHANGE_SIZE: Cell<ChangeSize> = const { Cell::new(ChangeSize::Few) };
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
    // Prepared as a read: SPI runs it read-only until the transaction has an id, and as a write
    // after (seeing the transaction's own changes). `Statement::run` gives it that id first.
    let plan: &'static OwnedPreparedStatement = Box::leak(Box::new(client.prepare(&sql(), &arg_types)?.keep()));
    KEPT_PLANS.with_borrow_mut(|plans| plans.insert(key, plan));
    Ok(plan)
}

impl Statement {
    fn plan(&'static self, client: &SpiClient<'_>) -> SpiResult<&'static OwnedPreparedStatement> {
        kept_plan(client, PlanKey::Static(self as *const Statement as usize), self.arg_types, || self.sql.to_owned())
    }

    /// Runs a statement that writes or locks, and returns its rows. The transaction gets an id
    /// first; a statement run after that sees every change made before it.
    pub fn run<'conn>(
        &'static self,
        client: &mut SpiClient<'conn>,
        args: &[DatumWithOid<'_>],
    ) -> SpiResult<SpiTupleTable<'conn>> {
        let plan = self.plan(client)?;
        client.update(plan, None, args)
    }

    /// Runs a statement that only reads, and returns its rows, without giving the transaction an
    /// id: it works on a hot standby. In a transaction that wrote already, it sees those writes.
    pub fn query<'conn>(
        &'static self,
        client: &SpiClient<'conn>,
        args: &[DatumWithOid<'_>],
    ) -> SpiResult<SpiTupleTable<'conn>> {
        client.select(self.plan(client)?, None, args)
    }

    /// Runs a read-only statement and maps its rows with `each`; `what` names the read in errors.
    pub fn read<R>(
        &'static self,
        client: &SpiClient<'_>,
        args: &[DatumWithOid<'_>],
        what: &str,
        each: impl FnMut(&Row<'_>) -> R,
    ) -> Vec<R> {
        map_rows(&self.query(client, args).or_raise(what), each)
    }

    /// Runs a writing statement and maps the rows it returns, as [`Statement::read`] does.
    pub fn write_returning<R>(
        &'static self,
        client: &mut SpiClient<'_>,
        args: &[DatumWithOid<'_>],
        what: &str,
        each: impl FnMut(&Row<'_>) -> R,
    ) -> Vec<R> {
        map_rows(&self.run(client, args).or_raise(what), each)
    }
}

/// A read of the queue watermarks, written once per kind of server (see `queue_watermarks!`).
pub struct PerServer {
    pub primary: Statement,
    pub standby: Statement,
}

impl PerServer {
    /// The text this server can run now; a backend of a standby that is promoted switches over.
    pub fn here(&'static self) -> &'static Statement {
        // SAFETY: reads shared memory state; callable in any backend at any time.
        if unsafe { pg_sys::RecoveryInProgress() } {
            &self.standby
        } else {
            &self.primary
        }
    }
}

/// Runs a statement built for one relation and trigger event (see [`PlanKey`]); `sql` is called
/// only the first time.
pub fn run_per_relation<'conn>(
    client: &mut SpiClient<'conn>,
    relation: &pgrx::PgRelation,
    event: Event,
    statement: &'static str,
    arg_types: &[pg_sys::Oid],
    args: &[DatumWithOid<'_>],
    sql: impl FnOnce() -> String,
) -> SpiResult<SpiTupleTable<'conn>> {
    let key = PlanKey::PerRelation {
        relation: relation.oid(),
        columns: relation.tuple_desc().len() as i32,
        statement,
        event,
        size: CHANGE_SIZE.get(),
    };
    let plan = kept_plan(client, key, arg_types, sql)?;
    client.update(plan, None, args)
}

/// One row of a result, deformed once: every column in one pass over the tuple, where reading
/// a value at a time walks the tuple up to that column again and checks its type in the catalog.
pub struct Row<'t> {
    values: &'t [pg_sys::Datum],
    nulls: &'t [bool],
    types: &'t [pg_sys::Oid],
}

impl Row<'_> {
    /// Column `ordinal` (1-based), `None` when NULL.
    pub fn get<T: FromDatum + IntoDatum>(&self, ordinal: usize) -> Option<T> {
        let i = ordinal - 1;
        let type_oid = self.types[i];
        if !T::is_compatible_with(type_oid) {
            crate::errors::raise(
                pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!(
                    "lead_assigner: column {ordinal} has type {type_oid:?}, read as {}",
                    std::any::type_name::<T>()
                ),
                "This is a bug in lead_assigner; please report it with the server log.",
            );
        }
        // SAFETY: the datum and its null flag come from the result's own tuple and descriptor,
        // and its type is one `T` reads.
        unsafe { T::from_polymorphic_datum(self.values[i], self.nulls[i], type_oid) }
    }
}

/// Maps every row of `table`, which must be the result of the last SPI execution.
fn map_rows<R>(table: &SpiTupleTable<'_>, mut each: impl FnMut(&Row<'_>) -> R) -> Vec<R> {
    if table.is_empty() {
        return Vec::new();
    }
    // SAFETY: SPI_tuptable is the last execution's result, which `table` wraps and keeps alive;
    // each tuple is deformed with that result's descriptor into arrays of its column count.
    unsafe {
        let raw = pg_sys::SPI_tuptable;
        let tupdesc = (*raw).tupdesc;
        let columns = usize::try_from((*tupdesc).natts).unwrap_or_default();
        // SPI_gettypeid, not the descriptor's attribute array: PostgreSQL 18 changed that layout.
        let types: Vec<pg_sys::Oid> =
            (1..=(*tupdesc).natts).map(|column| pg_sys::SPI_gettypeid(tupdesc, column)).collect();
        let mut values = vec![pg_sys::Datum::from(0); columns];
        let mut nulls = vec![true; columns];
        std::slice::from_raw_parts((*raw).vals, table.len())
            .iter()
            .map(|&tuple| {
                pg_sys::heap_deform_tuple(tuple, tupdesc, values.as_mut_ptr(), nulls.as_mut_ptr());
                each(&Row { values: &values, nulls: &nulls, types: &types })
            })
            .collect()
    }
}

/// Every row's first two columns (NULL read as the type's default).
pub fn pairs<A, B>(row: &Row<'_>) -> (A, B)
where
    A: IntoDatum + FromDatum + Default,
    B: IntoDatum + FromDatum + Default,
{
    (row.get(1).unwrap_or_default(), row.get(2).unwrap_or_default())
}

/// The first row of a result, or `None` when it has none.
pub fn first_row(rows: SpiTupleTable<'_>) -> Option<SpiTupleTable<'_>> {
    (!rows.is_empty()).then(|| rows.first())
}
