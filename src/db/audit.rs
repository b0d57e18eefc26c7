//! Writes audit_logs rows. The row images go to PostgreSQL as composite values and become jsonb
//! there (to_jsonb), so no row is ever turned into text and parsed back.

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::Statement;
use crate::errors::OrRaise;

// changed_at, ip_address, db_user, application_name and transaction_id come from column defaults.
static INSERT_AUDIT_ROW: Statement = Statement {
    sql: "INSERT INTO lead_management.audit_logs (table_name, action, old_value, new_value) \
          VALUES ($1, $2, to_jsonb($3), to_jsonb($4))",
    arg_types: &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::RECORDOID, pg_sys::RECORDOID],
};

fn row_image<'a>(row: Option<PgHeapTuple<'a, AllocatedByPostgres>>) -> DatumWithOid<'a> {
    match row {
        Some(row) => row.into(),
        None => DatumWithOid::null_oid(pg_sys::RECORDOID),
    }
}

pub fn record(
    table: &str,
    action: PgTriggerOperation,
    old: Option<PgHeapTuple<'_, AllocatedByPostgres>>,
    new: Option<PgHeapTuple<'_, AllocatedByPostgres>>,
) {
    let action = match action {
        PgTriggerOperation::Insert => "INSERT",
        PgTriggerOperation::Update => "UPDATE",
        PgTriggerOperation::Delete => "DELETE",
        PgTriggerOperation::Truncate => "TRUNCATE",
    };
    Spi::connect_mut(|client| {
        INSERT_AUDIT_ROW.run(client, &[table.into(), action.into(), row_image(old), row_image(new)]).map(drop)
    })
    .or_raise("writing the audit row");
}
