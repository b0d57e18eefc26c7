//! Trigger functions. They live in schema lead_management (internal, not part of the SQL API);
//! `sql/triggers.sql` attaches them and makes the writing ones SECURITY DEFINER, so a role that
//! may change leads still cannot write audit rows of its own.

mod rules;

use pgrx::prelude::*;

#[pg_schema]
pub mod lead_management {
    use pgrx::prelude::*;
    use pgrx::PgSqlErrorCode;

    use crate::db;
    use crate::errors::raise;

    type TriggerResult<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgTriggerError>;

    /// AFTER INSERT/UPDATE/DELETE FOR EACH ROW on every table but audit_logs: one audit_logs row
    /// with the old and new row images.
    #[pg_trigger]
    fn audit_row_change<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        let action = trigger.op()?;
        let relation = trigger.relation()?;
        db::audit::record(relation.name(), action, trigger.old(), trigger.new());
        Ok(None)
    }

    /// AFTER INSERT OR UPDATE FOR EACH ROW on assignments: keeps the new version in assignment_records.
    #[pg_trigger]
    fn record_assignment_version<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        if let Some(version) = trigger.new() {
            db::assignments::record_version(&version);
        }
        Ok(None)
    }

    /// AFTER INSERT FOR EACH ROW on leads: a lead never exists without its (Pending) assignment.
    #[pg_trigger]
    fn create_pending_assignment<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        if let Some(lead) = trigger.new() {
            let document_number: String = lead.get_by_name("document_number").ok().flatten().unwrap_or_else(|| {
                raise(
                    PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION,
                    "lead without document_number",
                    "Give every lead a document_number.",
                )
            });
            db::assignments::create_pending(&document_number);
        }
        Ok(None)
    }

    /// AFTER UPDATE FOR EACH ROW on leads, sellers and assignment_statuses: direct changes keep
    /// the assignment rules (see `rules`).
    #[pg_trigger]
    fn enforce_assignment_rules<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        if let (Some(old), Some(new)) = (trigger.old(), trigger.new()) {
            let relation = trigger.relation()?;
            match relation.name() {
                "leads" => super::rules::lead_updated(&old, &new),
                "sellers" => super::rules::seller_updated(&old, &new),
                "assignment_statuses" => super::rules::status_updated(&old, &new),
                other => raise(
                    PgSqlErrorCode::ERRCODE_TRIGGERED_ACTION_EXCEPTION,
                    format!("enforce_assignment_rules() is not meant for table {other}"),
                    "Attach it only to lead_management.leads, sellers and assignment_statuses.",
                ),
            }
        }
        Ok(None)
    }

    /// BEFORE UPDATE/DELETE (rows) and TRUNCATE on audit_logs and assignment_records: history is
    /// append-only for everyone but a superuser.
    #[pg_trigger]
    fn refuse_history_rewrite<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        // SAFETY: superuser() only reads the current user's role flags.
        if unsafe { pgrx::pg_sys::superuser() } {
            // BEFORE UPDATE must hand back the new row, BEFORE DELETE the old one.
            return Ok(trigger.new().or(trigger.old()));
        }
        let table = trigger.table_name()?;
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("lead_management.{table} is append-only: {} is not allowed", trigger.op()?),
            "History and audit rows can be added but never changed; only a superuser may prune them.",
        )
    }
}
