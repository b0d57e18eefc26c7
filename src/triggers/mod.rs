//! Trigger functions. They live in schema lead_management (internal, not part of the SQL API);
//! `sql/triggers.sql` attaches them and makes the writing ones SECURITY DEFINER, so a role that
//! may change leads still cannot write audit rows of its own.

mod rules;

use pgrx::prelude::*;

#[pg_schema]
pub mod lead_management {
    use pgrx::prelude::*;
    use pgrx::spi::SpiClient;
    use pgrx::{PgRelation, PgSqlErrorCode};

    use crate::db::{self, changes};
    use crate::engine::{self, AssignmentRun, Lines};
    use crate::errors::raise;

    type TriggerResult<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, PgTriggerError>;

    /// The 0.1.0 schema attached the writing triggers FOR EACH ROW; the same functions serve it
    /// until `ALTER EXTENSION lead_assigner UPDATE` re-attaches them per statement.
    fn fired_per_row(trigger: &PgTrigger<'_>) -> bool {
        matches!(trigger.level(), PgTriggerLevel::Row)
    }

    /// A statement trigger's work: `changed` over the transition tables of an INSERT, UPDATE or
    /// DELETE, `truncated` after a TRUNCATE (for the tables it is attached to on TRUNCATE).
    fn per_statement<'a>(
        trigger: &'a PgTrigger<'a>,
        changed: fn(&mut SpiClient<'_>, &PgRelation, changes::Event),
        truncated: fn(&mut SpiClient<'_>),
    ) -> TriggerResult<'a> {
        let relation = trigger.relation()?;
        match changes::Event::of(trigger) {
            Some(event) => changes::with_changes(trigger, |client| changed(client, &relation, event)),
            None => Spi::connect_mut(truncated),
        }
        Ok(None)
    }

    /// AFTER INSERT, UPDATE and DELETE FOR EACH STATEMENT (one trigger per event, with its
    /// transition tables) on every table but audit_logs: one audit_logs row per changed row with
    /// its old and new images, all written by one statement.
    #[pg_trigger]
    fn audit_row_change<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        let relation = trigger.relation()?;
        if fired_per_row(trigger) {
            db::audit::record(relation.name(), trigger.op()?, trigger.old(), trigger.new());
        } else if let Some(event) = changes::Event::of(trigger) {
            changes::with_changes(trigger, |client| changes::audit(client, &relation, event));
        }
        Ok(None)
    }

    /// AFTER INSERT and UPDATE FOR EACH STATEMENT on assignments: every new version goes to
    /// assignment_records.
    #[pg_trigger]
    fn record_assignment_version<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        if fired_per_row(trigger) {
            if let Some(version) = trigger.new() {
                db::assignments::record_version(&version);
            }
        } else {
            changes::with_changes(trigger, changes::record_versions);
        }
        Ok(None)
    }

    /// AFTER INSERT, UPDATE and DELETE FOR EACH STATEMENT on assignments: keeps seller_loads and
    /// assignment_queue exact (see `db::changes::track_assignment_state`).
    #[pg_trigger]
    fn track_assignment_state<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        // Never attached on TRUNCATE.
        per_statement(trigger, changes::track_assignment_state, |_| {})
    }

    /// AFTER INSERT, UPDATE, DELETE and TRUNCATE FOR EACH STATEMENT on seller_hours: keeps
    /// seller_schedules exact (see `db::changes::track_seller_schedule`).
    #[pg_trigger]
    fn track_seller_schedule<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        per_statement(trigger, changes::track_seller_schedule, changes::clear_schedules)
    }

    /// AFTER INSERT, UPDATE, DELETE and TRUNCATE FOR EACH STATEMENT on sellers, seller_hours and
    /// seller_countries: the lines whose sellers changed get a new roster version, so that every
    /// backend reads them again (see `db::sellers`); TRUNCATE renews every line's.
    #[pg_trigger]
    fn track_seller_roster<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        per_statement(trigger, changes::track_seller_roster, db::sellers::renew_every_roster_version)
    }

    /// AFTER INSERT, UPDATE and DELETE FOR EACH STATEMENT on seller_countries: open leads that
    /// a touched seller's territory no longer covers go back to Pending (see
    /// `db::changes::release_outside_territory`). TRUNCATE only widens territories.
    #[pg_trigger]
    fn release_outside_territory<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        per_statement(trigger, changes::release_outside_territory, |_| {})
    }

    /// AFTER INSERT FOR EACH STATEMENT on leads: a lead never exists without its (Pending)
    /// assignment; with lead_assigner.assign_on_insert the statement's leads are also assigned.
    #[pg_trigger]
    fn create_pending_assignment<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
        if fired_per_row(trigger) {
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
        } else {
            changes::with_changes(trigger, |client| {
                changes::create_pending_for_new_leads(client);
                // lead_assigner.assign_on_insert: one run for the whole statement, locking only
                // the business lines it touched.
                if engine::routes_on_insert() {
                    let lines = changes::business_lines_of_new_leads(client);
                    AssignmentRun::start(client, Lines::Only(lines)).finish(client, "insert", None);
                }
            });
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
