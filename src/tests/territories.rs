//! Territories: seller_countries routes each lead to the sellers who cover its country, with
//! every strategy; changing a territory releases the open leads outside it.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count, explain, insert_seed_sellers, run, spread, text};

    /// Country ids of the reference data.
    const US: i32 = 1;
    const MX: i32 = 3;
    const CO: i32 = 4;

    /// Leads `<prefix><n>` for n in `numbers`, of business line 1 and `country`.
    fn insert_country_leads(prefix: &str, numbers: std::ops::RangeInclusive<i32>, country: i32) {
        Spi::run_with_args(
            "INSERT INTO lead_management.leads
                (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT $1 || lpad(i::text, 4, '0'), 'Lead', 'Person', '+1-555-0199', lower($1) || i || '@example.com', 1, $4, 1
             FROM generate_series($2, $3) AS i",
            &[prefix.into(), (*numbers.start()).into(), (*numbers.end()).into(), country.into()],
        )
        .expect("insert country leads");
    }

    /// "lead>seller,..." of every assigned lead, in lead order.
    fn assigned() -> String {
        text(
            "SELECT string_agg(lead_document_number || '>' || seller_document_number, ',' ORDER BY lead_document_number)
             FROM lead_management.assignments WHERE seller_document_number IS NOT NULL",
        )
        .unwrap_or_default()
    }

    /// The invariants that do not hold, as "name:violations,...": empty when all hold.
    fn broken_invariants() -> String {
        text("SELECT string_agg(invariant || ':' || violations, ',') FROM check_invariants() WHERE violations <> 0")
            .unwrap_or_default()
    }

    /// Line 1: S1 (50 slots) covers Mexico, S4 (25) Colombia, S5 (2) every country.
    fn line_with_territories() {
        insert_seed_sellers();
        run("INSERT INTO lead_management.sellers
                (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
             VALUES ('S5', 'Eva', 'Ruiz', '+1-555-0104', 'eva@example.com', 2, 1)");
        assert_eq!(text("SELECT set_seller_countries('S1', ARRAY['mx'])::text").as_deref(), Some("{MX}"));
        run(&format!("INSERT INTO lead_management.seller_countries VALUES ('S4', {CO})"));
    }

    #[pg_test]
    fn territories_every_strategy_routes_by_country_and_skips_uncovered_leads() {
        line_with_territories();
        // In queue order: three from the US (only S5 covers them), then Mexico, then Colombia.
        insert_country_leads("A", 1..=3, US);
        insert_country_leads("B", 1..=3, MX);
        insert_country_leads("C", 1..=3, CO);
        let want = "A0001>S5,A0002>S5,B0001>S1,B0002>S1,B0003>S1,C0001>S4,C0002>S4,C0003>S4";
        for strategy in ["greedy", "balanced", "round_robin", "proportional"] {
            run(&format!("SET LOCAL lead_assigner.strategy = {strategy}"));
            let preview =
                text("SELECT string_agg(lead || '>' || seller, ',' ORDER BY lead) FROM preview_assignments()");
            assert_eq!(count("SELECT assign_leads()::bigint"), 8, "{strategy}");
            assert_eq!(assigned(), want, "{strategy}: A0003 waits, the leads behind it do not");
            assert_eq!(preview.as_deref(), Some(want), "{strategy}: preview equals the run");
            assert_eq!(broken_invariants(), "", "{strategy}");
            assert_eq!(
                explain("A0003").split(',').filter(|reason| reason.ends_with("=outside_territory")).count(),
                2,
                "{strategy}: {}",
                explain("A0003")
            );
            run("UPDATE lead_management.assignments SET assignment_status_id = 1, seller_document_number = NULL, assigned_at = NULL");
        }
        run("SET LOCAL lead_assigner.strategy = greedy");
        assert_eq!(explain("A0003"), "S1=outside_territory,S4=outside_territory,S5=eligible!");
        assert_eq!(explain("B0001"), "S1=eligible!,S4=outside_territory,S5=eligible!");
        assert_eq!(
            count("SELECT uncovered_leads FROM lead_management.pending_by_business_line WHERE business_line_id = 1"),
            0
        );
        run("SELECT deactivate_seller('S5')");
        assert_eq!(
            count("SELECT uncovered_leads FROM lead_management.pending_by_business_line WHERE business_line_id = 1"),
            3,
            "no active seller covers the US any more"
        );
        assert_eq!(
            text("SELECT string_agg(document_number || '=' || coalesce(countries::text, 'all'), ',' ORDER BY document_number)
                  FROM lead_management.seller_workload WHERE business_line = 'Insurance'")
            .as_deref(),
            Some("S1={MX},S4={CO},S5=all")
        );
    }

    #[pg_test]
    fn territories_a_backlog_nobody_covers_is_never_read() {
        line_with_territories();
        run("SELECT deactivate_seller('S5')");
        insert_country_leads("A", 1..=500, US);
        insert_country_leads("B", 1..=4, MX);
        assert_eq!(count("SELECT assign_leads()::bigint"), 4);
        assert_eq!(spread(), "S1:4");
        assert_eq!(
            count("SELECT pending_before::bigint FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"),
            4,
            "the run read the Mexican leads only"
        );
        // Room for two: only the first two of a covered country are read.
        run("UPDATE lead_management.sellers SET max_leads_count = 6 WHERE document_number = 'S1'");
        insert_country_leads("B", 5..=40, MX);
        assert_eq!(count("SELECT assign_leads()::bigint"), 2);
        assert_eq!(
            count("SELECT pending_before::bigint FROM lead_management.assignment_runs ORDER BY run_id DESC LIMIT 1"),
            2
        );
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments WHERE seller_document_number = 'S1' AND lead_document_number > 'B0006'"), 0);
    }

    #[pg_test]
    fn territories_narrowing_releases_open_leads_outside() {
        line_with_territories();
        insert_country_leads("B", 1..=3, MX);
        insert_country_leads("C", 1..=3, CO);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:3,S4:3");
        // Colombia instead of Mexico: S1's Mexican leads wait again; the next run gives them to
        // S5 (two slots), and S1 takes nothing it does not cover.
        assert_eq!(text("SELECT set_seller_countries('S1', ARRAY['CO', 'co'])::text").as_deref(), Some("{CO}"));
        assert_eq!(spread(), "S4:3");
        assert_eq!(broken_invariants(), "");
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S4:3,S5:2");
        // Plain DML too: a territory given to S5, which covered every country, releases its
        // Mexican leads.
        run(&format!("INSERT INTO lead_management.seller_countries VALUES ('S5', {US})"));
        assert_eq!(spread(), "S4:3");
        assert_eq!(broken_invariants(), "");
        // An empty territory covers every country again.
        assert_eq!(text("SELECT set_seller_countries('S1', '{}')::text").as_deref(), Some("{}"));
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:3,S4:3");
        assert_eq!(
            count("SELECT count(*) FROM lead_management.audit_logs WHERE table_name = 'seller_countries'"),
            6,
            "every row added or removed is audited"
        );
        assert_fails("SELECT set_seller_countries('S1', ARRAY['ZZ'])", "22023");
        assert_fails("SELECT set_seller_countries('S1', ARRAY[NULL])", "22004");
        assert_fails("SELECT set_seller_countries('nobody', ARRAY['MX'])", "P0002");
        assert_fails("SELECT set_seller_countries('S1', NULL)", "22004");
        assert_fails("INSERT INTO lead_management.seller_countries VALUES ('S1', 99)", "23503");
    }

    #[pg_test]
    fn territories_a_lead_moved_to_another_country_leaves_a_seller_who_does_not_cover_it() {
        line_with_territories();
        insert_country_leads("B", 1..=2, MX);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S1:2");
        run(&format!("UPDATE lead_management.leads SET country_id = {CO} WHERE document_number = 'B0001'"));
        assert_eq!(spread(), "S1:1");
        assert_eq!(broken_invariants(), "", "the queue follows the lead's country");
        run("SELECT assign_leads()");
        assert_eq!(assigned(), "B0001>S4,B0002>S1");
        // A Pending lead moves in the queue: it waits as a lead of its new country.
        insert_country_leads("D", 1..=1, MX);
        run(&format!("UPDATE lead_management.leads SET country_id = {US} WHERE document_number = 'D0001'"));
        assert_eq!(
            count(
                "SELECT country_id::bigint FROM lead_management.assignment_queue WHERE lead_document_number = 'D0001'"
            ),
            i64::from(US)
        );
        assert_eq!(explain("D0001"), "S1=outside_territory,S4=outside_territory,S5=eligible!");
    }

    #[pg_test]
    fn territories_repair_releases_what_a_load_without_triggers_left_outside() {
        line_with_territories();
        insert_country_leads("C", 1..=2, CO);
        run("SELECT assign_leads()");
        assert_eq!(spread(), "S4:2");
        run(&format!(
            "SET LOCAL session_replication_role = replica;
             DELETE FROM lead_management.seller_countries WHERE seller_document_number = 'S4';
             INSERT INTO lead_management.seller_countries VALUES ('S4', {MX});
             SET LOCAL session_replication_role = origin"
        ));
        assert_eq!(broken_invariants(), "no open lead held by a seller outside its territory:2");
        assert_eq!(count("SELECT released_outside_territory FROM repair_assignments()"), 2);
        assert_eq!(broken_invariants(), "");
    }

    #[pg_test]
    fn territories_assign_on_insert_routes_by_country() {
        line_with_territories();
        run("SET LOCAL lead_assigner.assign_on_insert = on");
        insert_country_leads("C", 1..=2, CO);
        insert_country_leads("B", 1..=1, MX);
        insert_country_leads("A", 1..=3, US);
        assert_eq!(assigned(), "A0001>S5,A0002>S5,B0001>S1,C0001>S4,C0002>S4", "routed by the inserting statements");
        assert_eq!(count("SELECT count(*) FROM lead_management.assignment_runs WHERE kind = 'insert'"), 3);
        assert_eq!(broken_invariants(), "");
    }
}
