//! What CREATE EXTENSION leaves in the database.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::count;

    #[pg_test]
    fn install_creates_the_tables_and_reference_rows() {
        let tables = Spi::get_one::<String>(
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'lead_management'",
        )
        .unwrap();
        assert_eq!(
            tables.as_deref(),
            Some(
                "assignment_exclusions,assignment_queue,assignment_queue_watermarks,assignment_records,assignment_runs,assignment_statuses,assignments,\
                 audit_logs,audit_logs_default,business_lines,countries,document_types,leads,round_robin_cursors,seller_countries,\
                 seller_hourly_assignments,seller_hours,seller_loads,seller_roster_versions,seller_schedules,sellers"
            )
        );
        let codes =
            Spi::get_one::<String>("SELECT string_agg(code, ',' ORDER BY country_id) FROM lead_management.countries");
        assert_eq!(codes.unwrap().as_deref(), Some("US,CA,MX,CO,BR"));
        assert_eq!(count("SELECT count(*) FROM lead_management.document_types"), 4);
        assert_eq!(count("SELECT count(*) FROM lead_management.business_lines"), 4);
        let statuses = Spi::get_one::<String>(
            "SELECT string_agg(name || '=' || occupies_capacity, ',' ORDER BY assignment_status_id) FROM lead_management.assignment_statuses",
        )
        .unwrap();
        assert_eq!(statuses.as_deref(), Some("Pending=false,Assigned=true,In Progress=true,Won=false,Lost=false"));
        assert_eq!(count("SELECT count(*) FROM lead_management.sellers"), 0, "sellers are the user's");
        // Nothing the install itself did is in the audit trail.
        assert_eq!(count("SELECT count(*) FROM lead_management.audit_logs"), 0);
        // The API is reachable unqualified with the default search_path.
        assert_eq!(
            Spi::get_one::<String>(
                "SELECT pronamespace::regnamespace::text FROM pg_proc WHERE proname = 'assign_leads'"
            )
            .unwrap()
            .as_deref(),
            Some("public")
        );
    }
}
