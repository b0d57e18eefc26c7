//! lead_assigner: routes sales leads to sellers inside PostgreSQL.
//!
//! Layers, one direction of dependency: `api` (SQL-callable functions) and `triggers` wire
//! `db` (the only SPI code) to `lead_assigner_core` (pure Rust: strategies, generator, weights),
//! through the `engine` (a run's decide and apply). `db` never imports the layers above it
//! (e2e/tests/layers.rs checks).

use pgrx::prelude::*;

mod api;
mod db;
mod engine;
mod errors;
mod gucs;
mod triggers;

::pgrx::pg_module_magic!(name, version);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    gucs::init();
}

extension_sql_file!("../sql/schema.sql", name = "schema", bootstrap);
extension_sql_file!("../sql/reference_data.sql", name = "reference_data", requires = ["schema"]);
extension_sql_file!(
    "../sql/triggers.sql",
    name = "triggers",
    requires = [
        "reference_data",
        triggers::lead_management::audit_row_change,
        triggers::lead_management::record_assignment_version,
        triggers::lead_management::create_pending_assignment,
        triggers::lead_management::track_assignment_state,
        triggers::lead_management::track_seller_schedule,
        triggers::lead_management::track_seller_roster,
        triggers::lead_management::release_outside_territory,
        triggers::lead_management::refuse_history_rewrite,
        triggers::lead_management::enforce_assignment_rules,
    ]
);
extension_sql_file!("../sql/api.sql", name = "api", finalize);

#[cfg(any(test, feature = "pg_test"))]
mod tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    /// Preloaded like every server the project configures: the settings exist from the start.
    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["shared_preload_libraries='pg_cron,lead_assigner'", "cron.database_name='pgrx_tests'"]
    }
}
