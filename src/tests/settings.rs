//! lead_assigner.* settings on the preloaded test server. The end-to-end tests cover values set
//! before the library loads, on a server that does not preload it.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count};

    #[pg_test]
    fn settings_are_listed_and_the_prefix_is_reserved() {
        assert_eq!(count("SELECT count(*) FROM pg_settings WHERE name LIKE 'lead\\_assigner.%'"), 8);
        assert_fails("SET lead_assigner.strategy = 'nonsense'", "22023");
        assert_fails("SET lead_assigner.stratgy = 'balanced'", "42602");
    }

    /// A database setting that a preloading server dropped at connection time (stored before it
    /// preloaded the library) is read back from pg_db_role_setting and refused.
    #[pg_test]
    fn a_rejected_database_setting_is_refused() {
        Spi::run(
            "INSERT INTO pg_db_role_setting
             SELECT oid, 0, '{lead_assigner.strategy=nonsense}' FROM pg_database WHERE datname = current_database()",
        )
        .unwrap();
        assert_fails("SELECT assign_leads()", "22023");
        assert_fails("SELECT stop_simulation()", "22023");
        // A valid value set in the session wins over the database's, so it no longer matters.
        Spi::run("SET LOCAL lead_assigner.strategy = 'balanced'").unwrap();
        assert_eq!(Spi::get_one::<i32>("SELECT assign_leads()").unwrap(), Some(0));
    }

    /// Valid database settings pass the same check.
    #[pg_test]
    fn a_valid_database_setting_is_accepted() {
        Spi::run(
            "INSERT INTO pg_db_role_setting
             SELECT oid, 0, '{lead_assigner.strategy=balanced,lead_assigner.leads_min=2}'
             FROM pg_database WHERE datname = current_database()",
        )
        .unwrap();
        assert_eq!(Spi::get_one::<i32>("SELECT assign_leads()").unwrap(), Some(0));
    }
}
