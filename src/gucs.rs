//! Every `lead_assigner.*` setting. Registered once per backend in `_PG_init`; `SHOW` and
//! `pg_settings` describe each one.

use lead_assigner_core::assign::Strategy;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};

/// The GUC face of [`Strategy`]: PostgreSQL validates the value, so no bad name reaches Rust.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum StrategySetting {
    #[name = c"greedy"]
    Greedy,
    #[name = c"balanced"]
    Balanced,
    #[name = c"round_robin"]
    RoundRobin,
}

impl From<StrategySetting> for Strategy {
    fn from(setting: StrategySetting) -> Self {
        match setting {
            StrategySetting::Greedy => Strategy::Greedy,
            StrategySetting::Balanced => Strategy::Balanced,
            StrategySetting::RoundRobin => Strategy::RoundRobin,
        }
    }
}

pub static STRATEGY: GucSetting<StrategySetting> = GucSetting::<StrategySetting>::new(StrategySetting::Greedy);
pub static LEADS_MIN: GucSetting<i32> = GucSetting::<i32>::new(1);
pub static LEADS_MAX: GucSetting<i32> = GucSetting::<i32>::new(5);
pub static MAX_LEADS_PER_CYCLE: GucSetting<i32> = GucSetting::<i32>::new(100_000);
pub static AUDIT_RETENTION: GucSetting<i32> = GucSetting::<i32>::new(0);

/// The strategy assign_leads() uses now.
pub fn strategy() -> Strategy {
    STRATEGY.get().into()
}

pub fn init() {
    GucRegistry::define_enum_guc(
        c"lead_assigner.strategy",
        c"How assign_leads() picks a seller for each pending lead.",
        c"greedy: the first eligible seller in document_number order (the original behaviour). \
          balanced: the eligible seller with the most free capacity, ties by document_number. \
          round_robin: rotate through the eligible sellers of each business line, continuing where the last run stopped.",
        &STRATEGY,
        GucContext::Userset,
        GucFlags::default(),
    );
    // The bounds below only stop absurd values; simulate_cycle() checks min <= max at call time,
    // since the two can be set in either order.
    GucRegistry::define_int_guc(
        c"lead_assigner.leads_min",
        c"Fewest leads simulate_cycle() inserts when called without a count.",
        c"The count is drawn in [leads_min, leads_max] with the original weights (1:25%, 2:20%, 3:10%, 4:20%, 5:25%; other counts weigh 0.01).",
        &LEADS_MIN,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"lead_assigner.leads_max",
        c"Most leads simulate_cycle() inserts when called without a count.",
        c"Must not be below lead_assigner.leads_min nor above lead_assigner.max_leads_per_cycle.",
        &LEADS_MAX,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"lead_assigner.max_leads_per_cycle",
        c"Upper limit on the leads one simulate_cycle() call may generate.",
        c"Guards against a typo that would insert millions of rows in one transaction.",
        &MAX_LEADS_PER_CYCLE,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"lead_assigner.audit_retention",
        c"How long maintain() keeps audit_logs rows; 0 keeps them forever.",
        c"maintain() drops whole monthly partitions whose month ended longer ago than this (e.g. '400d'), logging each drop in audit_logs. Only a superuser sets it.",
        &AUDIT_RETENTION,
        0,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
}
