//! assign_leads(), the strategies and the assignment lifecycle.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count, insert_leads, insert_seed_sellers, open_leads};

    fn assign() -> i32 {
        Spi::get_one::<i32>("SELECT assign_leads()").expect("assign_leads").expect("a count")
    }

    fn seller_of(lead: &str) -> Option<String> {
        Spi::get_one_with_args::<String>(
            "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = $1",
            &[lead.into()],
        )
        .expect("seller of lead")
    }

    fn pending() -> i64 {
        count("SELECT count(*) FROM lead_management.assignments WHERE assignment_status_id = 1")
    }

    #[pg_test]
    fn assign_seed_scenario_greedy_fills_sellers_in_order() {
        insert_seed_sellers();
        insert_leads(&[1, 2, 3, 4], 20);
        // Lines 1-3 have room for all 20; line 4 has no seller.
        assert_eq!(assign(), 60);
        assert_eq!(open_leads("S1"), 20, "greedy gives line 1 to S1 first, S4 gets nothing");
        assert_eq!(open_leads("S4"), 0);
        assert_eq!(open_leads("S2"), 20);
        assert_eq!(open_leads("S3"), 20);
        assert_eq!(pending(), 20);
        assert_eq!(seller_of("L400001"), None);
        assert_eq!(assign(), 0, "a second run finds nothing new to assign");
    }

    #[pg_test]
    fn assign_exhausts_capacity_and_leaves_the_rest_pending() {
        insert_seed_sellers();
        insert_leads(&[1], 100);
        assert_eq!(assign(), 75, "S1 (50) and S4 (25) fill up");
        assert_eq!(open_leads("S1"), 50);
        assert_eq!(open_leads("S4"), 25);
        assert_eq!(pending(), 25);
        // First-fit in document_number order: the first 50 leads went to S1.
        assert_eq!(seller_of("L100001").as_deref(), Some("S1"));
        assert_eq!(seller_of("L100051").as_deref(), Some("S4"));
        assert_eq!(seller_of("L100076"), None);
        let status = Spi::get_one::<String>(
            "SELECT s.name FROM lead_management.assignments a JOIN lead_management.assignment_statuses s USING (assignment_status_id)
             WHERE a.lead_document_number = 'L100001'",
        )
        .unwrap();
        assert_eq!(status.as_deref(), Some("Assigned"));
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments WHERE seller_document_number IS NOT NULL AND assigned_at IS NULL"), 0);
    }

    #[pg_test]
    fn assign_skips_inactive_sellers() {
        insert_seed_sellers();
        Spi::run("UPDATE lead_management.sellers SET is_active = false WHERE document_number = 'S1'").unwrap();
        insert_leads(&[1], 30);
        assert_eq!(assign(), 25);
        assert_eq!(open_leads("S1"), 0);
        assert_eq!(open_leads("S4"), 25);
    }

    #[pg_test]
    fn assign_closing_a_lead_frees_capacity() {
        insert_seed_sellers();
        Spi::run("UPDATE lead_management.sellers SET max_leads_count = 1 WHERE business_line_id = 1").unwrap();
        insert_leads(&[1], 3);
        assert_eq!(assign(), 2);
        assert_eq!(pending(), 1);
        Spi::run("SELECT set_assignment_status('L100001', 'won')").unwrap();
        assert_eq!(open_leads("S1"), 0, "Won does not occupy capacity");
        assert_eq!(assign(), 1);
        assert_eq!(seller_of("L100003").as_deref(), Some("S1"));
        // In Progress still occupies capacity: nothing frees up.
        Spi::run("SELECT set_assignment_status('L100003', 'In Progress')").unwrap();
        assert_eq!(open_leads("S1"), 1);
    }

    #[pg_test]
    fn assign_deactivation_requeues_open_leads() {
        insert_seed_sellers();
        insert_leads(&[1], 60);
        assert_eq!(assign(), 60);
        Spi::run("SELECT set_assignment_status('L100001', 'Lost')").unwrap();
        let requeued = Spi::get_one::<i32>("SELECT deactivate_seller('S1')").unwrap();
        assert_eq!(requeued, Some(49), "S1 held 50, one of them closed");
        assert_eq!(seller_of("L100001").as_deref(), Some("S1"), "closed leads keep their seller");
        assert_eq!(pending(), 49);
        // S4 had 10, has room for 15 more; S1 is inactive now.
        assert_eq!(assign(), 15);
        assert_eq!(open_leads("S1"), 0);
        assert_eq!(open_leads("S4"), 25);
        assert_eq!(Spi::get_one::<bool>("SELECT activate_seller('S1')").unwrap(), Some(true));
        assert_eq!(Spi::get_one::<bool>("SELECT activate_seller('S1')").unwrap(), Some(false));
        assert_eq!(assign(), 34);
    }

    #[pg_test]
    fn assign_balanced_spreads_by_free_capacity() {
        insert_seed_sellers();
        Spi::run("SET LOCAL lead_assigner.strategy = balanced").unwrap();
        insert_leads(&[1], 30);
        assert_eq!(assign(), 30);
        // S1 (50 free) takes leads until its free capacity equals S4's (25), then they alternate.
        assert_eq!(open_leads("S1"), 28);
        assert_eq!(open_leads("S4"), 2);
        let strategy =
            Spi::get_one::<String>("SELECT strategy FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1")
                .unwrap();
        assert_eq!(strategy.as_deref(), Some("balanced"));
    }

    #[pg_test]
    fn assign_round_robin_continues_where_it_stopped() {
        insert_seed_sellers();
        Spi::run("SET LOCAL lead_assigner.strategy = round_robin").unwrap();
        insert_leads(&[1], 3);
        assert_eq!(assign(), 3);
        assert_eq!(seller_of("L100001").as_deref(), Some("S1"));
        assert_eq!(seller_of("L100002").as_deref(), Some("S4"));
        assert_eq!(seller_of("L100003").as_deref(), Some("S1"));
        Spi::run(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('L200000', 'Next', 'Lead', '+1-555-0199', 'next@example.com', 1, 1, 1)",
        )
        .unwrap();
        assert_eq!(assign(), 1);
        assert_eq!(seller_of("L200000").as_deref(), Some("S4"), "the rotation continues after S1");
    }

    #[pg_test]
    fn assign_after_repair_of_a_load_with_triggers_off() {
        insert_seed_sellers();
        // A bulk load with triggers off leaves leads without assignments rows. Finding them reads
        // every lead, so assign_leads() no longer does it: repair_assignments() does.
        Spi::run("SET LOCAL session_replication_role = replica").unwrap();
        insert_leads(&[2], 5);
        Spi::run("SET LOCAL session_replication_role = origin").unwrap();
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments"), 0);
        assert_eq!(
            count("SELECT violations FROM check_invariants() WHERE invariant = 'every lead has an assignment'"),
            5
        );
        assert_eq!(count("SELECT pending_rows_created FROM repair_assignments()"), 5);
        assert_eq!(assign(), 5);
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments"), 5);
        assert_eq!(count("SELECT sum(violations)::bigint FROM check_invariants()"), 0);
    }

    #[pg_test]
    fn assign_logs_every_run() {
        insert_seed_sellers();
        insert_leads(&[1, 4], 3);
        assign();
        let row = Spi::get_two::<i32, i32>(
            "SELECT pending_before, assigned FROM lead_management.assignment_runs WHERE kind = 'assign' ORDER BY run_id DESC LIMIT 1",
        )
        .unwrap();
        // pending_before counts the leads the run read: line 4 has no seller, so none of its.
        assert_eq!(row, (Some(3), Some(3)));
        assert_eq!(
            count("SELECT eligible_sellers FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"),
            4
        );
    }

    #[pg_test]
    fn assign_get_status_id_is_trimmed_case_insensitive_and_creates() {
        assert_eq!(Spi::get_one::<i32>("SELECT get_status_id('  assigned ')").unwrap(), Some(2));
        let created = Spi::get_one::<i32>("SELECT get_status_id('On Hold')").unwrap();
        assert_eq!(Spi::get_one::<i32>("SELECT get_status_id('ON HOLD')").unwrap(), created);
        assert_eq!(
            count(
                "SELECT count(*) FROM lead_management.assignment_statuses WHERE occupies_capacity AND name = 'On Hold'"
            ),
            0
        );
        assert_fails("SELECT get_status_id('   ')", "22023");
        assert_fails("SELECT get_status_id(NULL)", "22004");
    }

    #[pg_test]
    fn assign_lifecycle_rejects_unknown_inputs() {
        insert_seed_sellers();
        insert_leads(&[1], 1);
        assert_fails("SELECT set_assignment_status('nobody', 'Won')", "P0002");
        assert_fails("SELECT set_assignment_status('L100001', 'Teleported')", "22023");
        assert_fails("SELECT set_assignment_status('L100001', NULL)", "22004");
        assert_fails("SELECT deactivate_seller('nobody')", "P0002");
        assert_fails("SELECT activate_seller('nobody')", "P0002");
        // A pending lead has no seller to be "In Progress" with.
        assert_fails("SELECT set_assignment_status('L100001', 'In Progress')", "55000");
    }

    #[pg_test]
    fn assign_reopening_respects_capacity() {
        insert_seed_sellers();
        Spi::run("UPDATE lead_management.sellers SET max_leads_count = 1 WHERE business_line_id = 1").unwrap();
        insert_leads(&[1], 2);
        assign();
        Spi::run("SELECT set_assignment_status('L100001', 'Won')").unwrap();
        Spi::run("INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
                  VALUES ('L100009', 'New', 'Lead', '+1-555-0199', 'new@example.com', 1, 1, 1)").unwrap();
        assign();
        assert_eq!(open_leads("S1"), 1);
        // Reopening the won lead would put S1 over capacity.
        assert_fails("SELECT set_assignment_status('L100001', 'Assigned')", "55000");
        assert_eq!(open_leads("S1"), 1);
        // Back to Pending releases the seller entirely.
        Spi::run("SELECT set_assignment_status('L100009', 'pending')").unwrap();
        assert_eq!(seller_of("L100009"), None);
        assert_eq!(open_leads("S1"), 0);
    }

    #[pg_test]
    fn assign_direct_updates_keep_the_rules() {
        insert_seed_sellers();
        insert_leads(&[1, 2], 5);
        assign();
        // A plain UPDATE deactivating a seller releases their open leads, like deactivate_seller().
        Spi::run("UPDATE lead_management.sellers SET is_active = false WHERE document_number = 'S2'").unwrap();
        assert_eq!(open_leads("S2"), 0);
        // A lead moved to another business line leaves its seller.
        Spi::run("UPDATE lead_management.leads SET business_line_id = 3 WHERE document_number = 'L100001'").unwrap();
        assert_eq!(seller_of("L100001"), None);
        assert_eq!(assign(), 1, "only the moved lead finds a seller (S3); line 2 has none active");
        assert_eq!(seller_of("L100001").as_deref(), Some("S3"));
        // Capacity cannot drop below what a seller holds open.
        assert_fails("UPDATE lead_management.sellers SET max_leads_count = 2 WHERE document_number = 'S1'", "23514");
        Spi::run("UPDATE lead_management.sellers SET max_leads_count = 4 WHERE document_number = 'S1'").unwrap();
        // A status in use keeps its meaning.
        assert_fails(
            "UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE name = 'Pending'",
            "55000",
        );
        Spi::run("UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE name = 'Lost'")
            .unwrap();
        // A seller moved to another line takes no leads along.
        Spi::run("UPDATE lead_management.sellers SET business_line_id = 4 WHERE document_number = 'S1'").unwrap();
        assert_eq!(open_leads("S1"), 0);
        assert_eq!(seller_of("L100002"), None);
    }
}
