//! Routing rules (availability, working hours, daily caps, weights, proportional, acceptance
//! timeout), explain_lead(), preview_assignments() and assign_on_insert.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count, explain, insert_leads, insert_seed_sellers, run, spread, text};

    #[pg_test]
    fn rules_away_seller_keeps_leads_but_gets_no_new_ones() {
        insert_seed_sellers();
        insert_leads(&[1], 2);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:2");
        run("UPDATE lead_management.sellers SET away_until = now() + interval '1 day' WHERE document_number = 'S1'");
        insert_leads(&[1], 0);
        run(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('L190000', 'New', 'Lead', '+1-555-0199', 'new@example.com', 1, 1, 1)",
        );
        assert_eq!(explain("L190000"), "S1=away,S4=eligible!");
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:2,S4:1", "S1 keeps its leads, S4 gets the new one");
        run("UPDATE lead_management.sellers SET away_until = now() WHERE document_number = 'S1'");
        assert_eq!(explain("L190000"), "S1=eligible!,S4=already_assigned");
    }

    #[pg_test]
    fn rules_working_hours_follow_the_sellers_time_zone_across_a_weekday_boundary() {
        insert_seed_sellers();
        // Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: never the same weekday.
        // Both work the whole of Kiritimati's current weekday, each in their own time zone.
        run(
            "UPDATE lead_management.sellers SET time_zone = CASE document_number WHEN 'S1' THEN 'Pacific/Kiritimati' ELSE 'Pacific/Pago_Pago' END
             WHERE document_number IN ('S1', 'S4');
             INSERT INTO lead_management.seller_hours (seller_document_number, weekday, starts_at, ends_at)
             SELECT s, extract(isodow FROM now() AT TIME ZONE 'Pacific/Kiritimati'), '00:00', '23:59:59.999'
             FROM unnest(ARRAY['S1', 'S4']) AS s",
        );
        insert_leads(&[1], 3);
        assert_eq!(explain("L100001"), "S1=eligible!,S4=outside_hours");
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:3");
        // A second window on Pago Pago's own weekday puts S4 back in hours.
        run("INSERT INTO lead_management.seller_hours (seller_document_number, weekday, starts_at, ends_at)
             VALUES ('S4', extract(isodow FROM now() AT TIME ZONE 'Pacific/Pago_Pago'), '00:00', '23:59:59.999')");
        assert_eq!(explain("L100001"), "S1=already_assigned,S4=eligible!");
        assert_fails(
            "UPDATE lead_management.sellers SET time_zone = 'Mars/Olympus_Mons' WHERE document_number = 'S1'",
            "22023",
        );
        assert_fails("INSERT INTO lead_management.seller_hours VALUES ('S1', 8, '09:00', '17:00')", "23514");
        assert_fails("INSERT INTO lead_management.seller_hours VALUES ('S1', 1, '17:00', '09:00')", "23514");
    }

    #[pg_test]
    fn rules_daily_cap_is_reached_mid_run() {
        insert_seed_sellers();
        run("UPDATE lead_management.sellers SET daily_cap = 3 WHERE document_number = 'S1'");
        insert_leads(&[1], 10);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:3,S4:7", "S1 stops at its cap, S4 takes the rest");
        // Closing leads frees capacity, not the day's count.
        run("SELECT set_assignment_status(lead_document_number, 'Won') FROM lead_management.assignments WHERE seller_document_number = 'S1'");
        insert_leads(&[1], 0);
        run(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             VALUES ('L190001', 'Late', 'Lead', '+1-555-0199', 'late@example.com', 1, 1, 1)",
        );
        assert_eq!(explain("L190001"), "S1=daily_cap,S4=eligible!");
        assert_eq!(
            count("SELECT assigned_last_day FROM lead_management.seller_workload WHERE document_number = 'S1'"),
            3
        );
        assert_fails("UPDATE lead_management.sellers SET daily_cap = -1 WHERE document_number = 'S1'", "23514");
    }

    #[pg_test]
    fn rules_weights_and_proportional() {
        insert_seed_sellers();
        run("UPDATE lead_management.sellers SET weight = 3 WHERE document_number = 'S1'");
        assert_fails("UPDATE lead_management.sellers SET weight = 101 WHERE document_number = 'S1'", "23514");
        run("SET LOCAL lead_assigner.strategy = round_robin");
        insert_leads(&[1], 8);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:6,S4:2", "turns in proportion 3:1");

        // proportional: S1 (50) and S4 (25) fill 2:1 from where they are.
        run("SET LOCAL lead_assigner.strategy = proportional");
        run("UPDATE lead_management.assignments SET assignment_status_id = 4 WHERE seller_document_number IS NOT NULL");
        insert_leads(&[1], 0);
        run(
            "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT 'P' || i, 'Pro', 'Portion', '+1-555-0199', 'p' || i || '@example.com', 1, 1, 1 FROM generate_series(1, 30) i",
        );
        run("SELECT assign_leads()");
        assert_eq!(
            text(
                "SELECT string_agg(seller_document_number || ':' || open_leads, ',' ORDER BY seller_document_number)
                 FROM lead_management.seller_loads WHERE open_leads > 0"
            )
            .as_deref(),
            Some("S1:20,S4:10")
        );
    }

    #[pg_test]
    fn rules_acceptance_timeout_requeues_and_skips_the_seller_who_let_it_lapse() {
        insert_seed_sellers();
        insert_leads(&[1], 1);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:1");
        run("SET LOCAL lead_assigner.accept_timeout = '15min'");
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:1", "not lapsed yet");
        // The clock is moved through the data, not by sleeping.
        run("UPDATE lead_management.assignments SET assigned_at = now() - interval '16 minutes' WHERE lead_document_number = 'L100001'");
        assert_eq!(
            text("SELECT string_agg(lead || '>' || seller, ',') FROM preview_assignments()").as_deref(),
            Some("L100001>S4")
        );
        assert_eq!(count("SELECT assign_leads()"), 1);
        assert_eq!(spread(), "S4:1");
        assert_eq!(count("SELECT requeued FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"), 1);
        assert_eq!(explain("L100001"), "S1=excluded,S4=already_assigned");
        // The history shows the lapse: Assigned to S1, Pending, Assigned to S4.
        assert_eq!(
            text(
                "SELECT string_agg(coalesce(seller_document_number, '-') || '/' || assignment_status_id, ',' ORDER BY assignment_record_id)
                 FROM lead_management.assignment_records WHERE lead_document_number = 'L100001'"
            )
            .as_deref(),
            Some("-/1,S1/2,S1/2,-/1,S4/2")
        );
        // Lapsing with the last seller too leaves it Pending: nobody left to offer it to.
        run("UPDATE lead_management.assignments SET assigned_at = now() - interval '16 minutes' WHERE lead_document_number = 'L100001'");
        assert_eq!(count("SELECT assign_leads()"), 0);
        assert_eq!(explain("L100001"), "S1=excluded,S4=excluded");
        assert_eq!(count("SELECT sum(violations)::bigint FROM check_invariants()"), 0);
    }

    #[pg_test]
    fn rules_a_lapsed_lead_is_requeued_even_when_nobody_can_take_it() {
        insert_seed_sellers();
        run("UPDATE lead_management.sellers SET max_leads_count = 1 WHERE document_number IN ('S1', 'S4')");
        insert_leads(&[1], 2);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:1,S4:1");
        run("SET LOCAL lead_assigner.accept_timeout = '15min'");
        run("UPDATE lead_management.assignments SET assigned_at = now() - interval '1 hour' WHERE seller_document_number = 'S1'");
        // Line 1 has no room left for the lead (S4 is full, S1 let it lapse): it waits as Pending.
        assert_eq!(count("SELECT assign_leads()"), 0);
        assert_eq!(count("SELECT requeued FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"), 1);
        assert_eq!(spread(), "S4:1");
        assert_eq!(explain("L100001"), "S1=excluded,S4=full");
    }

    #[pg_test]
    fn rules_explain_every_reason_and_unknown_leads() {
        insert_seed_sellers();
        run("UPDATE lead_management.sellers SET max_leads_count = 1 WHERE document_number = 'S1'");
        insert_leads(&[1], 2);
        insert_leads(&[4], 1);
        run("SELECT assign_leads()");
        assert_eq!(explain("L100001"), "S1=already_assigned,S4=eligible!");
        assert_eq!(explain("L100002"), "S1=full,S4=already_assigned");
        run("SELECT deactivate_seller('S4')");
        assert_eq!(explain("L100002"), "S1=full,S4=inactive");
        assert_eq!(explain("L400001"), "-=no_sellers_in_line");
        assert_fails("SELECT * FROM explain_lead('nope')", "P0002");
        assert_fails("SELECT * FROM explain_lead(NULL)", "22004");
    }

    #[pg_test]
    fn rules_preview_is_the_next_run_and_writes_nothing() {
        insert_seed_sellers();
        insert_leads(&[1, 2, 3, 4], 20);
        for strategy in ["greedy", "balanced", "round_robin", "proportional"] {
            run(&format!("SET LOCAL lead_assigner.strategy = {strategy}"));
            let fingerprint = "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
                SELECT 'a' || a::text AS t FROM lead_management.assignments a UNION ALL
                SELECT 'l' || l::text FROM lead_management.audit_logs l UNION ALL
                SELECT 'r' || r::text FROM lead_management.assignment_records r UNION ALL
                SELECT 'u' || u::text FROM lead_management.assignment_runs u UNION ALL
                SELECT 'c' || c::text FROM lead_management.round_robin_cursors c) all_rows";
            let before = text(fingerprint);
            let preview = text(
                "SELECT string_agg(lead || '>' || seller || '/' || strategy, ',' ORDER BY lead) FROM preview_assignments()",
            );
            assert_eq!(text(fingerprint), before, "{strategy}: preview wrote something");
            run("SELECT assign_leads()");
            // Every earlier assignment was closed (Won) below: the Assigned ones are this run's.
            let assigned = text(&format!(
                "SELECT string_agg(lead_document_number || '>' || seller_document_number || '/{strategy}', ',' ORDER BY lead_document_number)
                 FROM lead_management.assignments WHERE assignment_status_id = 2"
            ));
            assert_eq!(preview, assigned, "{strategy}: preview equals the run");
            run("UPDATE lead_management.assignments SET assignment_status_id = 4 WHERE seller_document_number IS NOT NULL");
            insert_leads(&[1, 2, 3], 0);
            run(&format!(
                "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
                 SELECT 'N{tag}' || i, 'Next', 'Round', '+1-555-0199', '{tag}' || i || '@example.com', 1 + i % 3, 1, 1
                 FROM generate_series(1, 9) i",
                tag = strategy.replace('_', "")
            ));
        }
    }

    #[pg_test]
    fn rules_assign_on_insert_routes_in_the_inserting_statement() {
        insert_seed_sellers();
        run("SET LOCAL lead_assigner.assign_on_insert = on");
        let seller = text(
            "WITH new_lead AS (
                INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
                VALUES ('W1', 'Web', 'Form', '+1-555-0199', 'web@example.com', 2, 1, 1) RETURNING document_number)
             SELECT document_number FROM new_lead",
        );
        assert_eq!(seller.as_deref(), Some("W1"));
        assert_eq!(
            text("SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = 'W1'")
                .as_deref(),
            Some("S2"),
            "assigned before the statement returned"
        );
        insert_leads(&[1], 60);
        assert_eq!(
            count("SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert'"),
            2,
            "one run per statement"
        );
        assert_eq!(spread(), "S1:50,S2:1,S4:10");
        // simulate_cycle() leaves its own leads to its own run.
        run("SELECT * FROM simulate_cycle(5)");
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert'"), 2);
        assert_eq!(count("SELECT sum(violations)::bigint FROM check_invariants()"), 0);
    }
}
