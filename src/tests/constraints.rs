//! Bad input is refused with the right SQLSTATE and changes nothing.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count, insert_leads, insert_seed_sellers};

    const LEAD_COLUMNS: &str =
        "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)";
    const SELLER_COLUMNS: &str =
        "INSERT INTO lead_management.sellers (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)";

    #[pg_test]
    fn constraints_refuse_bad_rows() {
        insert_seed_sellers();
        insert_leads(&[1], 1);
        let before = (
            count("SELECT count(*) FROM lead_management.leads"),
            count("SELECT count(*) FROM lead_management.audit_logs"),
        );
        let cases: &[(&str, &str)] = &[
            // duplicate document number, duplicate email
            ("VALUES ('L100001', 'A', 'B', '+1-555-0100', 'other@example.com', 1, 1, 1)", "23505"),
            ("VALUES ('X1', 'A', 'B', '+1-555-0100', 'lead1.1@example.com', 1, 1, 1)", "23505"),
            // unknown business line, country, document type
            ("VALUES ('X2', 'A', 'B', '+1-555-0100', 'x2@example.com', 99, 1, 1)", "23503"),
            ("VALUES ('X3', 'A', 'B', '+1-555-0100', 'x3@example.com', 1, 99, 1)", "23503"),
            ("VALUES ('X4', 'A', 'B', '+1-555-0100', 'x4@example.com', 1, 1, 99)", "23503"),
            // NULL and blank names, bad email, bad phone, bad document number, 10 kB name
            ("VALUES ('X5', NULL, 'B', '+1-555-0100', 'x5@example.com', 1, 1, 1)", "23502"),
            ("VALUES ('X6', '   ', 'B', '+1-555-0100', 'x6@example.com', 1, 1, 1)", "23514"),
            ("VALUES ('X7', 'A', '', '+1-555-0100', 'x7@example.com', 1, 1, 1)", "23514"),
            ("VALUES ('X8', 'A', 'B', '+1-555-0100', 'not-an-email', 1, 1, 1)", "23514"),
            ("VALUES ('X9', 'A', 'B', 'call me', 'x9@example.com', 1, 1, 1)", "23514"),
            ("VALUES (' ', 'A', 'B', '+1-555-0100', 'x10@example.com', 1, 1, 1)", "23514"),
            ("VALUES ('X11', repeat('a', 10000), 'B', '+1-555-0100', 'x11@example.com', 1, 1, 1)", "23514"),
            ("VALUES (NULL, 'A', 'B', '+1-555-0100', 'x12@example.com', 1, 1, 1)", "23502"),
        ];
        for (values, sqlstate) in cases {
            assert_fails(&format!("{LEAD_COLUMNS} {values}"), sqlstate);
        }
        assert_fails(
            &format!("{SELLER_COLUMNS} VALUES ('S9', 'A', 'B', '+1-555-0100', 's9@example.com', -1, 1)"),
            "23514",
        );
        assert_fails(
            &format!("{SELLER_COLUMNS} VALUES ('S9', 'A', 'B', '+1-555-0100', 'ana@example.com', 1, 1)"),
            "23505",
        );
        assert_fails(&format!("{SELLER_COLUMNS} VALUES ('S9', 'A', 'B', '+1-555-0100', 's9@example', 1, 1)"), "23514");
        assert_fails(
            &format!("{SELLER_COLUMNS} VALUES ('S9', 'A', 'B', '+1-555-0100', 's9@example.com', 1, 7)"),
            "23503",
        );
        assert_fails("INSERT INTO lead_management.countries (name, code) VALUES ('Nowhere', 'nowhere')", "23514");
        assert_fails("INSERT INTO lead_management.countries (name, code) VALUES ('Brazil', 'BZ')", "23505");
        assert_fails("INSERT INTO lead_management.business_lines (name) VALUES ('  ')", "23514");
        assert_fails("INSERT INTO lead_management.assignment_statuses (name) VALUES (' pending ')", "23505");
        assert_eq!(
            (
                count("SELECT count(*) FROM lead_management.leads"),
                count("SELECT count(*) FROM lead_management.audit_logs")
            ),
            before,
            "refused rows leave no trace"
        );
    }

    #[pg_test]
    fn constraints_every_lead_keeps_one_assignment() {
        insert_leads(&[1, 2], 10);
        assert_fails(
            "INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id) VALUES ('L100001', 1)",
            "23505",
        );
        assert_eq!(
            count("SELECT count(*) FROM lead_management.leads l WHERE (SELECT count(*) FROM lead_management.assignments a WHERE a.lead_document_number = l.document_number) <> 1"),
            0
        );
        // Renaming a lead follows through to its assignment.
        Spi::run("UPDATE lead_management.leads SET document_number = 'RENAMED' WHERE document_number = 'L100001'")
            .unwrap();
        assert_eq!(count("SELECT count(*) FROM lead_management.assignments WHERE lead_document_number = 'RENAMED'"), 1);
    }
}
