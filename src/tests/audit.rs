//! The audit, history and pending-on-arrival triggers.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;
    use pgrx::JsonB;

    use crate::tests::{assert_fails, count, insert_leads, insert_seed_sellers};

    /// The newest audit row for a table and action: (old_value, new_value) as text-normalised JSON.
    fn last_audit(table: &str, action: &str) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
        let (old, new) = Spi::get_two_with_args::<JsonB, JsonB>(
            "SELECT old_value, new_value FROM lead_management.audit_logs
             WHERE table_name = $1 AND action = $2 ORDER BY audit_log_id DESC LIMIT 1",
            &[table.into(), action.into()],
        )
        .unwrap_or_else(|error| panic!("no {action} audit row for {table}: {error}"));
        (old.map(|j| j.0), new.map(|j| j.0))
    }

    /// The current image of the rows `select` returns (one row), as to_jsonb sees it.
    fn image(select: &str) -> serde_json::Value {
        Spi::get_one::<JsonB>(&format!("SELECT to_jsonb(t) FROM ({select}) t")).expect(select).expect("a row").0
    }

    /// Runs insert, update and delete on one table and checks each audit row's images.
    fn check_table(table: &str, key: &str, insert: &str, update: &str) {
        let row = format!("SELECT * FROM lead_management.{table} WHERE {key}");
        Spi::run(insert).expect(insert);
        let inserted = image(&row);
        assert_eq!(last_audit(table, "INSERT"), (None, Some(inserted.clone())), "INSERT audit of {table}");
        Spi::run(update).expect(update);
        let updated = image(&row);
        assert_ne!(inserted, updated, "the update of {table} changes the row");
        assert_eq!(last_audit(table, "UPDATE"), (Some(inserted), Some(updated.clone())), "UPDATE audit of {table}");
        Spi::run(&format!("DELETE FROM lead_management.{table} WHERE {key}")).expect("delete");
        assert_eq!(last_audit(table, "DELETE"), (Some(updated), None), "DELETE audit of {table}");
    }

    #[pg_test]
    fn audit_reference_tables() {
        check_table(
            "countries",
            "code = 'AR'",
            "INSERT INTO lead_management.countries (name, code) VALUES ('Argentina', 'AR')",
            "UPDATE lead_management.countries SET name = 'Argentine Republic' WHERE code = 'AR'",
        );
        check_table(
            "document_types",
            "name LIKE 'Visa%'",
            "INSERT INTO lead_management.document_types (name) VALUES ('Visa')",
            "UPDATE lead_management.document_types SET name = 'Visa (work)' WHERE name = 'Visa'",
        );
        check_table(
            "business_lines",
            "name = 'Travel'",
            "INSERT INTO lead_management.business_lines (name) VALUES ('Travel')",
            "UPDATE lead_management.business_lines SET description = 'Trips' WHERE name = 'Travel'",
        );
        check_table(
            "assignment_statuses",
            "name = 'Parked'",
            "INSERT INTO lead_management.assignment_statuses (name) VALUES ('Parked')",
            "UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE name = 'Parked'",
        );
    }

    #[pg_test]
    fn audit_people_tables() {
        check_table(
            "sellers",
            "document_number = 'S9'",
            "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, business_line_id)
             VALUES ('S9', 'Eva', 'Ng', '+1-555-0109', 'eva@example.com', 2)",
            "UPDATE lead_management.sellers SET max_leads_count = 3 WHERE document_number = 'S9'",
        );
        check_table(
            "leads",
            "document_number = 'L9'",
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('L9', 'Ian', 'Wu', '+1-555-0119', 'ian@example.com', 2, 3, 2)",
            "UPDATE lead_management.leads SET phone = '+52 55 1234 5678' WHERE document_number = 'L9'",
        );
        // Deleting the lead cascaded to its assignment: audited too.
        assert_eq!(count("SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'assignments' AND action = 'DELETE'"), 1);
    }

    #[pg_test]
    fn audit_assignment_tables() {
        insert_seed_sellers();
        insert_leads(&[2], 1);
        let pending = image("SELECT * FROM lead_management.assignments");
        assert_eq!(last_audit("assignments", "INSERT"), (None, Some(pending.clone())));
        Spi::run("SELECT assign_leads()").unwrap();
        let assigned = image("SELECT * FROM lead_management.assignments");
        assert_eq!(last_audit("assignments", "UPDATE"), (Some(pending), Some(assigned)));
        let record =
            image("SELECT * FROM lead_management.assignment_records ORDER BY assignment_record_id DESC LIMIT 1");
        assert_eq!(last_audit("assignment_records", "INSERT"), (None, Some(record)));
        let run = image("SELECT * FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1");
        assert_eq!(last_audit("assignment_runs", "INSERT"), (None, Some(run)));
        Spi::run("SET LOCAL lead_assigner.strategy = round_robin").unwrap();
        insert_leads(&[3], 1);
        Spi::run("SELECT assign_leads()").unwrap();
        let cursor = image("SELECT * FROM lead_management.round_robin_cursors");
        assert_eq!(last_audit("round_robin_cursors", "INSERT"), (None, Some(cursor)));
    }

    #[pg_test]
    fn audit_rows_carry_context() {
        Spi::run("SET LOCAL application_name = 'audit context test'").unwrap();
        insert_leads(&[1], 1);
        let row = Spi::get_three::<String, String, bool>(
            "SELECT db_user, application_name, transaction_id = txid_current() FROM lead_management.audit_logs
             WHERE table_name = 'leads' ORDER BY audit_log_id DESC LIMIT 1",
        )
        .unwrap();
        assert_eq!(
            row.0.as_deref(),
            Some(Spi::get_one::<String>("SELECT session_user::text").unwrap().unwrap().as_str())
        );
        assert_eq!(row.1.as_deref(), Some("audit context test"));
        assert_eq!(row.2, Some(true));
        let written_now = Spi::get_one::<bool>(
            "SELECT bool_and(changed_at BETWEEN now() AND clock_timestamp()) FROM lead_management.audit_logs
             WHERE transaction_id = txid_current()",
        )
        .unwrap();
        assert_eq!(written_now, Some(true), "changed_at is the clock when the statement's audit rows were written");
    }

    #[pg_test]
    fn audit_history_keeps_every_version() {
        insert_seed_sellers();
        insert_leads(&[1], 1);
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments WHERE lead_document_number = 'L100001' AND assignment_status_id = 1 AND seller_document_number IS NULL"), 1, "a new lead is Pending at once");
        Spi::run("SELECT assign_leads()").unwrap();
        Spi::run("SELECT set_assignment_status('L100001', 'In Progress')").unwrap();
        Spi::run("SELECT set_assignment_status('L100001', 'Won')").unwrap();
        let versions = Spi::get_one::<String>(
            "SELECT string_agg(s.name || ':' || coalesce(r.seller_document_number, '-'), ' > ' ORDER BY r.assignment_record_id)
             FROM lead_management.assignment_records r JOIN lead_management.assignment_statuses s USING (assignment_status_id)
             WHERE r.lead_document_number = 'L100001'",
        )
        .unwrap();
        assert_eq!(versions.as_deref(), Some("Pending:- > Assigned:S1 > In Progress:S1 > Won:S1"));
        assert_eq!(count("SELECT count(DISTINCT assignment_id) FROM lead_management.assignment_records"), 1);
    }

    #[pg_test]
    fn audit_history_is_append_only_for_non_superusers() {
        insert_leads(&[1], 1);
        Spi::run(
            "CREATE ROLE lead_assigner_test_writer;
             GRANT USAGE ON SCHEMA lead_management TO lead_assigner_test_writer;
             GRANT SELECT, UPDATE, DELETE, TRUNCATE ON lead_management.audit_logs, lead_management.assignment_records TO lead_assigner_test_writer;
             SET LOCAL ROLE lead_assigner_test_writer",
        )
        .unwrap();
        for (table, update) in [("audit_logs", "action = 'DELETE'"), ("assignment_records", "assigned_at = now()")] {
            assert_fails(&format!("UPDATE lead_management.{table} SET {update}"), "42501");
            assert_fails(&format!("DELETE FROM lead_management.{table}"), "42501");
            assert_fails(&format!("TRUNCATE lead_management.{table}"), "42501");
        }
        Spi::run("RESET ROLE").unwrap();
        assert!(count("SELECT count(*) FROM lead_management.audit_logs") > 0);
    }
}
