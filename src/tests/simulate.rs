//! simulate_cycle(): counts, weights, bounds, duplicates.

#[pgrx::pg_schema]
mod tests {
    use lead_assigner_core::generate::GeneratedLead;
    use pgrx::prelude::*;

    use crate::api::simulate::cycle_size;
    use crate::tests::{assert_fails, count, insert_leads, insert_seed_sellers};

    fn cycle(sql: &str) -> (i32, i32, i32, i32) {
        let row = Spi::connect(|client| {
            let row = client.select(sql, None, &[])?.first();
            Ok::<_, pgrx::spi::Error>((row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
        })
        .expect(sql);
        (row.0.unwrap(), row.1.unwrap(), row.2.unwrap(), row.3.unwrap())
    }

    #[pg_test]
    fn simulate_inserts_n_and_assigns() {
        insert_seed_sellers();
        let (generated, inserted, skipped, assigned) = cycle("SELECT * FROM simulate_cycle(40)");
        assert_eq!((generated, inserted + skipped), (40, 40));
        assert_eq!(count("SELECT count(*) FROM lead_management.leads"), i64::from(inserted));
        // Lines 1-3 have room for everything; line 4 has no seller.
        let line_4 = count("SELECT count(*) FROM lead_management.leads WHERE business_line_id = 4");
        assert_eq!(i64::from(assigned), i64::from(inserted) - line_4);
        // Every lead of the cycle is Pending or Assigned, and realistic.
        assert_eq!(
            count("SELECT count(*) FROM lead_management.assignments WHERE assignment_status_id NOT IN (1, 2)"),
            0
        );
        assert_eq!(count("SELECT count(*) FROM lead_management.leads WHERE document_number !~ '^[1-9][0-9]{9}$' OR email NOT LIKE '%' || document_number || '@example.com'"), 0);
        let run = cycle("SELECT generated, inserted, skipped, assigned FROM lead_management.assignment_runs WHERE kind = 'simulate'");
        assert_eq!(run, (generated, inserted, skipped, assigned));
    }

    #[pg_test]
    fn simulate_leads_match_their_country() {
        // A country users added, which the generator has no profile for.
        Spi::run("INSERT INTO lead_management.countries (name, code) VALUES ('Argentina', 'AR')").unwrap();
        let (generated, inserted, ..) = cycle("SELECT * FROM simulate_cycle(600)");
        assert_eq!(generated, 600);
        assert_eq!(count("SELECT count(DISTINCT country_id) FROM lead_management.leads"), 6);
        let mismatched = |condition: &str| {
            count(&format!(
                "SELECT count(*) FROM lead_management.leads JOIN lead_management.countries USING (country_id) \
                 JOIN lead_management.document_types USING (document_type_id) WHERE {condition}"
            ))
        };
        // E.164 with the country's calling code (Colombia: mobiles, 3xx); the fallback is +1.
        let calling_code = "CASE code WHEN 'MX' THEN '52' WHEN 'CO' THEN '573' WHEN 'BR' THEN '55' ELSE '1' END";
        assert_eq!(mismatched(&format!("phone !~ ('^\\+' || {calling_code} || '[0-9]+$')")), 0);
        assert_eq!(mismatched("length(phone) NOT IN (12, 13, 14)"), 0);
        // No national identity card in the US or Canada.
        assert_eq!(mismatched("code IN ('US', 'CA') AND document_types.name = 'National ID'"), 0);
        assert_eq!(mismatched("code IN ('MX', 'CO') AND document_types.name = 'Driver License'"), 0);
        // Accented names are kept; emails are their ASCII letters.
        assert_eq!(mismatched("email !~ '^[a-z]+\\.[a-z]+\\.[1-9][0-9]{9}@example\\.com$'"), 0);
        assert!(count("SELECT count(*) FROM lead_management.leads WHERE surname ~ '[^A-Za-z]'") > 0);
        assert_eq!(count("SELECT count(*) FROM lead_management.leads"), i64::from(inserted));
    }

    #[pg_test]
    fn simulate_zero_inserts_nothing_and_still_assigns() {
        // Pending leads from before any seller existed.
        insert_leads(&[2], 3);
        insert_seed_sellers();
        assert_eq!(cycle("SELECT * FROM simulate_cycle(0)"), (0, 0, 0, 3));
    }

    #[pg_test]
    fn simulate_without_n_draws_from_the_weighted_range() {
        insert_seed_sellers();
        let (generated, ..) = cycle("SELECT * FROM simulate_cycle()");
        assert!((1..=5).contains(&generated), "default range is 1..5, got {generated}");
        Spi::run("SET LOCAL lead_assigner.leads_min = 7; SET LOCAL lead_assigner.leads_max = 7").unwrap();
        assert_eq!(cycle("SELECT * FROM simulate_cycle()").0, 7);
    }

    #[pg_test]
    fn simulate_weights_match_the_seed() {
        const DRAWS: usize = 40_000;
        let mut seen = [0usize; 6];
        for _ in 0..DRAWS {
            seen[cycle_size(None)] += 1;
        }
        assert_eq!(seen[0], 0, "0 is outside the default range 1..5");
        for (n, expected) in [(1, 0.25), (2, 0.20), (3, 0.10), (4, 0.20), (5, 0.25)] {
            let observed = seen[n] as f64 / DRAWS as f64;
            // Six standard deviations: a false alarm is a one-in-a-billion event.
            let tolerance = 6.0 * (expected * (1.0 - expected) / DRAWS as f64).sqrt();
            assert!(
                (observed - expected).abs() < tolerance,
                "count {n}: observed {observed:.4}, expected {expected} ± {tolerance:.4}"
            );
        }
    }

    #[pg_test]
    fn simulate_refuses_bad_counts_and_ranges() {
        assert_fails("SELECT * FROM simulate_cycle(-1)", "22023");
        assert_fails("SELECT * FROM simulate_cycle(100001)", "54000");
        Spi::run("SET LOCAL lead_assigner.max_leads_per_cycle = 10").unwrap();
        assert_fails("SELECT * FROM simulate_cycle(11)", "54000");
        Spi::run("SET LOCAL lead_assigner.leads_min = 6; SET LOCAL lead_assigner.leads_max = 2").unwrap();
        assert_fails("SELECT * FROM simulate_cycle()", "22023");
        assert_fails("SET lead_assigner.leads_min = -1", "22023");
        assert_fails("SET lead_assigner.strategy = 'fastest'", "22023");
        assert_eq!(count("SELECT count(*) FROM lead_management.leads"), 0);
    }

    #[pg_test]
    fn simulate_skips_duplicates_instead_of_failing() {
        insert_leads(&[1], 1);
        let lead = |document_number: &str, email: &str| GeneratedLead {
            document_number: document_number.to_owned(),
            given_name: "Ana",
            surname: "Lopez",
            phone: "+1-555-0100".to_owned(),
            email: email.to_owned(),
            business_line_id: 1,
            country_id: 1,
            document_type_id: 1,
        };
        let batch = [
            lead("L100001", "fresh@example.com"), // document number exists
            lead("N1", "lead1.1@example.com"),    // email exists
            lead("N2", "n2@example.com"),         // new
            lead("N2", "n2-again@example.com"),   // twice in the batch
        ];
        let inserted = Spi::connect_mut(|client| crate::db::leads::insert_leads(client, &batch));
        assert_eq!(inserted, 1);
        assert_eq!(count("SELECT count(*) FROM lead_management.leads"), 2);
    }

    #[pg_test]
    fn simulate_large_cycles_never_collide_on_email() {
        let (generated, inserted, skipped, _) = cycle("SELECT * FROM simulate_cycle(20000)");
        assert_eq!(generated, 20_000);
        assert_eq!(inserted + skipped, 20_000);
        // Ten-digit random numbers: a handful of duplicates at most, never an error.
        assert!(skipped < 20, "{skipped} duplicates");
    }
}
