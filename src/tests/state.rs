//! Derived state (seller loads, the assignment queue) kept exact by every write path; bounded
//! reads; the per-statement audit trail; maintain().

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{count, insert_leads, insert_seed_sellers, open_leads};

    /// Every invariant holds, and the maintained loads equal a recount seller by seller.
    fn assert_state_exact(after: &str) {
        let broken = Spi::get_one::<String>(
            "SELECT string_agg(invariant || ': ' || violations, '; ') FROM check_invariants() WHERE violations <> 0",
        )
        .unwrap();
        assert_eq!(broken, None, "after {after}");
    }

    fn load(seller: &str) -> i64 {
        Spi::get_one_with_args::<i32>(
            "SELECT open_leads FROM lead_management.seller_loads WHERE seller_document_number = $1",
            &[seller.into()],
        )
        .unwrap()
        .map_or(0, i64::from)
    }

    /// The triggers' statements are planned per size of the statement they follow (a few rows,
    /// hundreds, tens of thousands: index probes or hashes); each size's plan keeps the state
    /// exact, in whatever order the sizes come in one session.
    #[pg_test]
    fn state_statements_of_every_size_keep_loads_and_queue_exact() {
        insert_seed_sellers();
        Spi::run("UPDATE lead_management.sellers SET max_leads_count = 20000").unwrap();
        let mut first = 0;
        for (size, leads) in [("few", 5), ("bulk", 12_000), ("many", 300), ("few again", 3)] {
            let batch = format!("document_number BETWEEN 'B{:07}' AND 'B{:07}'", first + 1, first + leads);
            Spi::run_with_args(
                "INSERT INTO lead_management.leads
                    (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
                 SELECT format('B%s', lpad(i::text, 7, '0')), 'Lead', 'Person', '+1-555-0199',
                        format('bulk%s@example.com', i), 1 + i % 3, 1, 1
                 FROM generate_series($1 + 1, $1 + $2) AS i",
                &[first.into(), leads.into()],
            )
            .unwrap();
            assert_state_exact(&format!("inserting {size}"));
            Spi::run("SELECT assign_leads()").unwrap();
            assert_state_exact(&format!("assigning {size}"));
            assert_eq!(count("SELECT count(*) FROM lead_management.assignment_queue"), 0, "{size}");
            Spi::run(&format!(
                "UPDATE lead_management.assignments SET seller_document_number = NULL, assigned_at = NULL,
                        assignment_status_id = 1 WHERE lead_{batch}"
            ))
            .unwrap();
            assert_state_exact(&format!("releasing {size}"));
            assert_eq!(count("SELECT count(*) FROM lead_management.assignment_queue"), i64::from(leads), "{size}");
            Spi::run(&format!(
                "DELETE FROM lead_management.assignments WHERE lead_{batch}; DELETE FROM lead_management.leads WHERE {batch}"
            ))
            .unwrap();
            assert_state_exact(&format!("deleting {size}"));
            first += leads;
        }
    }

    #[pg_test]
    fn state_every_write_path_keeps_loads_and_queue_exact() {
        insert_seed_sellers();
        insert_leads(&[1, 2, 3], 10);
        assert_state_exact("inserting leads");
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_queue"), 30);

        Spi::run("SELECT assign_leads()").unwrap();
        assert_state_exact("assign_leads()");
        assert_eq!(load("S1"), 10);
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_queue"), 0);

        for (step, sql) in [
            ("set_assignment_status Won", "SELECT set_assignment_status('L100001', 'Won')"),
            ("set_assignment_status In Progress", "SELECT set_assignment_status('L100002', 'In Progress')"),
            ("set_assignment_status Pending", "SELECT set_assignment_status('L100003', 'Pending')"),
            ("deactivate_seller", "SELECT deactivate_seller('S2')"),
            ("activate_seller + assign", "SELECT activate_seller('S2'), assign_leads()"),
            ("a lead moving business line", "UPDATE lead_management.leads SET business_line_id = 3 WHERE document_number = 'L100004'"),
            ("a pending lead's priority", "UPDATE lead_management.leads SET priority = 5 WHERE document_number = 'L100003'"),
            ("a seller deactivated by UPDATE", "UPDATE lead_management.sellers SET is_active = false WHERE document_number = 'S3'"),
            ("a seller moving business line", "UPDATE lead_management.sellers SET business_line_id = 2, is_active = true WHERE document_number = 'S3'"),
            ("assign again", "SELECT assign_leads()"),
            ("a status flip while unused", "UPDATE lead_management.assignment_statuses SET occupies_capacity = true WHERE name = 'Lost'"),
            ("moving a lead to the flipped status", "SELECT set_assignment_status('L200001', 'Lost')"),
            ("a direct UPDATE of assignments", "UPDATE lead_management.assignments SET seller_document_number = 'S4' WHERE seller_document_number = 'S1' AND assignment_status_id = 2"),
            ("a direct UPDATE back to Pending", "UPDATE lead_management.assignments SET seller_document_number = NULL, assigned_at = NULL, assignment_status_id = 1 WHERE lead_document_number IN ('L100005', 'L100006')"),
            // Then the leads too: a lead without its assignment breaks an invariant of its own.
            ("a direct DELETE of assignments", "DELETE FROM lead_management.assignments WHERE lead_document_number IN ('L100007', 'L100008', 'L100009');
              DELETE FROM lead_management.leads WHERE document_number IN ('L100007', 'L100008', 'L100009')"),
            ("a lead deleted (cascade)", "DELETE FROM lead_management.leads WHERE document_number = 'L300001'"),
            ("a lead renamed (cascade)", "UPDATE lead_management.leads SET document_number = 'L300099' WHERE document_number = 'L300002'"),
            ("a seller renamed (cascade)", "UPDATE lead_management.sellers SET document_number = 'S44' WHERE document_number = 'S4'"),
        ] {
            Spi::run(sql).unwrap_or_else(|error| panic!("{step}: {error}"));
            assert_state_exact(step);
        }
        assert_eq!(load("S4"), 0, "the renamed seller's load moved with it");
        assert!(load("S44") > 0);
    }

    fn schedule(seller: &str) -> Option<String> {
        Spi::get_one_with_args::<String>(
            "SELECT (SELECT windows::text FROM lead_management.seller_schedules WHERE seller_document_number = $1)",
            &[seller.into()],
        )
        .unwrap()
    }

    /// Packed as the engine unpacks it: weekday << 34 | starts_at << 17 | ends_at, in seconds.
    fn packed(windows: &[(i64, i64, i64)]) -> String {
        let packed: Vec<String> = windows.iter().map(|(d, s, e)| ((d << 34) | (s << 17) | e).to_string()).collect();
        format!("{{{}}}", packed.join(","))
    }

    #[pg_test]
    fn state_every_change_of_working_hours_keeps_schedules_exact() {
        insert_seed_sellers();
        for (step, sql) in [
            (
                "hours inserted",
                "INSERT INTO lead_management.seller_hours VALUES ('S1', 2, '13:00', '17:00'), ('S1', 1, '09:00', '12:00'),
                 ('S2', 7, '00:00', '24:00')",
            ),
            ("a window moved", "UPDATE lead_management.seller_hours SET ends_at = '18:30' WHERE seller_document_number = 'S1' AND weekday = 2"),
            ("a window moved to another seller", "UPDATE lead_management.seller_hours SET seller_document_number = 'S3' WHERE seller_document_number = 'S2'"),
            ("a seller renamed (cascade)", "UPDATE lead_management.sellers SET document_number = 'S11' WHERE document_number = 'S1'"),
            ("a window deleted", "DELETE FROM lead_management.seller_hours WHERE seller_document_number = 'S11' AND weekday = 1"),
        ] {
            Spi::run(sql).unwrap_or_else(|error| panic!("{step}: {error}"));
            assert_state_exact(step);
        }
        assert_eq!(schedule("S11"), Some(packed(&[(2, 13 * 3600, 18 * 3600 + 1800)])));
        assert_eq!(schedule("S1"), None, "the old number's row moved with the rename");
        assert_eq!(schedule("S2"), None, "a seller whose last window left has no row");
        assert_eq!(schedule("S3"), Some(packed(&[(7, 0, 86_400)])));

        // A load with triggers off leaves the schedules behind until repair_assignments().
        Spi::run(
            "SET LOCAL session_replication_role = replica;
             INSERT INTO lead_management.seller_hours VALUES ('S4', 3, '08:00', '16:00');
             DELETE FROM lead_management.seller_hours WHERE seller_document_number = 'S3';
             SET LOCAL session_replication_role = origin",
        )
        .unwrap();
        assert_eq!(
            count("SELECT violations FROM check_invariants() WHERE invariant = 'seller schedules equal seller_hours'"),
            2
        );
        assert_eq!(count("SELECT schedules_corrected FROM repair_assignments()"), 2);
        assert_state_exact("repair_assignments()");
        assert_eq!(schedule("S4"), Some(packed(&[(3, 8 * 3600, 16 * 3600)])));
    }

    #[pg_test]
    fn state_a_full_line_costs_nothing_to_read() {
        insert_seed_sellers();
        // Line 2's only seller (S2, 30 slots) fills up; 170 more wait behind it.
        insert_leads(&[2], 200);
        Spi::run("SELECT assign_leads()").unwrap();
        assert_eq!(load("S2"), 30);
        insert_leads(&[1], 3);
        Spi::run("SELECT assign_leads()").unwrap();
        // The second run read only line 1's three leads: line 2 had no room.
        assert_eq!(count("SELECT pending_before FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"), 3);
        assert_eq!(
            count("SELECT pending_leads FROM lead_management.pending_by_business_line WHERE business_line_id = 2"),
            170
        );
    }

    #[pg_test]
    fn state_higher_priority_goes_first() {
        insert_seed_sellers();
        Spi::run("UPDATE lead_management.sellers SET max_leads_count = 2 WHERE document_number = 'S2'").unwrap();
        insert_leads(&[2], 5);
        Spi::run("UPDATE lead_management.leads SET priority = 1 WHERE document_number IN ('L200004', 'L200005')")
            .unwrap();
        Spi::run("SELECT assign_leads()").unwrap();
        let assigned = Spi::get_one::<String>(
            "SELECT string_agg(lead_document_number, ',' ORDER BY lead_document_number) FROM lead_management.assignments
             WHERE seller_document_number IS NOT NULL",
        )
        .unwrap();
        assert_eq!(assigned.as_deref(), Some("L200004,L200005"));
    }

    #[pg_test]
    fn state_one_audit_row_per_changed_row_of_a_bulk_update() {
        insert_leads(&[1], 50);
        let before =
            count("SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'leads' AND action = 'UPDATE'");
        Spi::run("UPDATE lead_management.leads SET surname = 'Changed-' || document_number").unwrap();
        // Each UPDATE row pairs the old and new image of the same lead.
        assert_eq!(
            count(
                "SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'leads' AND action = 'UPDATE'
                 AND old_value->>'document_number' = new_value->>'document_number'
                 AND new_value->>'surname' = 'Changed-' || (old_value->>'document_number')"
            ) - before,
            50
        );
        // One context per statement: one transaction id and one time for all 50.
        assert_eq!(
            count(
                "SELECT count(DISTINCT (changed_at, transaction_id, db_user)) FROM lead_management.audit_logs
                 WHERE table_name = 'leads' AND action = 'UPDATE' AND new_value->>'surname' LIKE 'Changed-%'"
            ),
            1
        );
        // assignment_records gets a version per assignment, each audited too.
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_records"), 50);
        assert_eq!(
            count("SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'assignment_records'"),
            50
        );
    }

    #[pg_test]
    fn state_maintain_partitions_and_prunes_whole_months() {
        // Rows of an old month sit in the DEFAULT partition until maintain() gives them a month.
        Spi::run(
            "INSERT INTO lead_management.audit_logs (table_name, action, new_value, changed_at)
             SELECT 'leads', 'INSERT', '{}', now() - interval '400 days' FROM generate_series(1, 7)",
        )
        .unwrap();
        insert_leads(&[1], 2);
        let created = count("SELECT count(*) FROM maintain() WHERE action = 'created'");
        assert!(created >= 4, "this month, two ahead and the old month: {created}");
        assert_eq!(count("SELECT count(*) FROM lead_management.audit_logs_default"), 0);
        assert_eq!(count("SELECT count(*) FROM maintain()"), 0, "a second call has nothing to do");

        let total = count("SELECT count(*) FROM lead_management.audit_logs");
        Spi::run("SET LOCAL lead_assigner.audit_retention = '180d'").unwrap();
        assert_eq!(count("SELECT rows FROM maintain() WHERE action = 'dropped'"), 7);
        // Only the old month left, logged as one PRUNE row; every newer row is still there.
        assert_eq!(count("SELECT count(*) FROM lead_management.audit_logs"), total - 7 + 1);
        assert_eq!(
            count("SELECT (old_value->>'rows')::bigint FROM lead_management.audit_logs WHERE action = 'PRUNE'"),
            7
        );
        assert_eq!(
            count("SELECT count(*) FROM lead_management.audit_logs WHERE changed_at < now() - interval '180 days'"),
            0
        );
    }

    fn has_watermark(line: i32) -> bool {
        count(&format!(
            "SELECT count(*) FROM lead_management.assignment_queue_watermarks WHERE business_line_id = {line}"
        )) == 1
    }

    fn add_leads(line: i32, numbers: std::ops::RangeInclusive<i32>) {
        Spi::run(&format!(
            "INSERT INTO lead_management.leads
                (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT format('L%s%s', {line}, lpad(i::text, 5, '0')), 'Lead', 'Person', '+1-555-0199',
                    format('lead%s.%s@example.com', {line}, i), {line}, 1, 1
             FROM generate_series({}, {}) AS i",
            numbers.start(),
            numbers.end()
        ))
        .expect("add leads");
    }

    fn pending_of_line(line: i32) -> String {
        Spi::get_one::<String>(&format!(
            "SELECT string_agg(lead_document_number, ',' ORDER BY priority DESC, lead_document_number)
             FROM lead_management.assignment_queue WHERE business_line_id = {line}"
        ))
        .unwrap()
        .unwrap_or_default()
    }

    #[pg_test]
    fn state_a_run_after_one_that_emptied_its_line_reads_the_arrivals_in_queue_order() {
        insert_seed_sellers(); // room: line 1 50 + 25, line 2 30, line 3 40
        insert_leads(&[1], 10);
        Spi::run("SELECT assign_leads()").unwrap();
        assert!((1..=3).all(has_watermark), "every line with room was emptied");

        // 70 arrivals for 65 slots; two late ones jump ahead by priority (which moves them in
        // the queue): the run takes the first 65 in queue order, as a read in queue order would.
        add_leads(1, 11..=80);
        Spi::run("UPDATE lead_management.leads SET priority = 1 WHERE document_number IN ('L100079', 'L100080')")
            .unwrap();
        Spi::run("SELECT assign_leads()").unwrap();
        assert_eq!(pending_of_line(1), "L100074,L100075,L100076,L100077,L100078");
        assert!(has_watermark(1), "a line left with leads keeps the watermark it had");
        assert_state_exact("a run through the watermark");

        // Far more arrivals than room: the run falls back to queue order and drops the watermark.
        add_leads(3, 1..=200);
        Spi::run("SELECT assign_leads()").unwrap();
        assert!(!has_watermark(3));
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_queue WHERE business_line_id = 3"), 160);
        assert!(pending_of_line(3).starts_with("L300041,"), "the first 40 in queue order were taken");
        assert_state_exact("a run past the arrival slack");

        // A watermark newer than a queued lead would hide it: the invariant counts the lead,
        // repair_assignments() drops the watermark.
        Spi::run(
            "UPDATE lead_management.assignment_queue_watermarks
             SET enqueued_since = (pg_current_xact_id()::text::bigint + 1)::text::xid8 WHERE business_line_id = 1",
        )
        .unwrap();
        assert_eq!(
            count("SELECT violations FROM check_invariants() WHERE invariant LIKE 'no queued lead is older%'"),
            5
        );
        assert_eq!(count("SELECT queue_entries_corrected FROM repair_assignments()"), 1);
        assert!(!has_watermark(1));
        assert_state_exact("repair_assignments()");
    }

    /// Who the next run would give line 1's pending leads to (the engine's own decision).
    fn next_sellers() -> Option<String> {
        Spi::get_one::<String>("SELECT string_agg(seller, ',' ORDER BY lead) FROM preview_assignments()").unwrap()
    }

    /// The sellers a backend keeps between runs are read again after every kind of change to
    /// sellers or their hours, including one rolled back after a run saw it.
    #[pg_test]
    fn state_a_run_sees_every_change_of_sellers_since_the_last_one() {
        insert_seed_sellers(); // line 1: S1 (50 slots), S4 (25)
        insert_leads(&[1], 1);
        assert_eq!(next_sellers().as_deref(), Some("S1"));
        for (step, sql, expected) in [
            ("capacity", "UPDATE lead_management.sellers SET max_leads_count = 0 WHERE document_number = 'S1'", Some("S4")),
            ("away", "UPDATE lead_management.sellers SET away_until = now() + interval '1 day' WHERE document_number = 'S4'", None),
            (
                "a new seller",
                "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
                 VALUES ('S0', 'Zoe', 'Nunez', '+1-555-0104', 'zoe@example.com', 10, 1)",
                Some("S0"),
            ),
            (
                "hours that exclude now",
                "INSERT INTO lead_management.seller_hours
                 SELECT 'S0', extract(isodow FROM now() AT TIME ZONE 'UTC')::int % 7 + 1, '09:00', '17:00'",
                None,
            ),
            ("hours truncated", "TRUNCATE lead_management.seller_hours", Some("S0")),
            ("a seller deleted", "DELETE FROM lead_management.sellers WHERE document_number = 'S0'", None),
            (
                "a change rolled back after a run saw it",
                "DO $$ BEGIN
                     UPDATE lead_management.sellers SET away_until = NULL WHERE document_number = 'S4';
                     IF (SELECT seller FROM preview_assignments()) IS DISTINCT FROM 'S4' THEN
                         RAISE 'the run did not see S4 back';
                     END IF;
                     RAISE SQLSTATE 'LA001';
                 EXCEPTION WHEN SQLSTATE 'LA001' THEN NULL;
                 END $$",
                None,
            ),
            // Triggers off change no version: the sellers kept are used until repair_assignments().
            (
                "a change with triggers off",
                "SET LOCAL session_replication_role = replica;
                 UPDATE lead_management.sellers SET away_until = NULL WHERE document_number = 'S4';
                 SET LOCAL session_replication_role = origin",
                None,
            ),
            ("repair_assignments()", "SELECT repair_assignments()", Some("S4")),
        ] {
            Spi::run(sql).unwrap_or_else(|error| panic!("{step}: {error}"));
            assert_eq!(next_sellers().as_deref(), expected, "after {step}");
        }
        Spi::run("SELECT assign_leads()").unwrap();
        assert_eq!(open_leads("S4"), 1);
        assert_state_exact("the changes of sellers");
    }
}
