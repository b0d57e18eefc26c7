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
    #[name = c"proportional"]
    Proportional,
}

impl From<StrategySetting> for Strategy {
    fn from(setting: StrategySetting) -> Self {
        match setting {
            StrategySetting::Greedy => Strategy::Greedy,
            StrategySetting::Balanced => Strategy::Balanced,
            StrategySetting::RoundRobin => Strategy::RoundRobin,
            StrategySetting::Proportional => Strategy::Proportional,
        }
    }
}

pub static STRATEGY: GucSetting<StrategySetting> = GucSetting::<StrategySetting>::new(StrategySetting::Greedy);
pub static LEADS_MIN: GucSetting<i32> = GucSetting::<i32>::new(1);
pub static LEADS_MAX: GucSetting<i32> = GucSetting::<i32>::new(5);
pub static MAX_LEADS_PER_CYCLE: GucSetting<i32> = GucSetting::<i32>::new(100_000);
pub static AUDIT_RETENTION: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static ACCEPT_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static NOTIFY_ASSIGNMENTS: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static ASSIGN_ON_INSERT: GucSetting<bool> = GucSetting::<bool>::new(false);

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
          round_robin: rotate through the eligible sellers of each business line in proportion to their weight, continuing where the last run stopped. \
          proportional: the eligible seller with the lowest (open_leads + 1) / max_leads_count, so sellers fill in proportion to their capacity.",
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
    GucRegistry::define_int_guc(
        c"lead_assigner.accept_timeout",
        c"How long a lead may stay Assigned before the next run puts it back to Pending; 0 turns it off.",
        c"A requeued lead is never offered again to the seller who let it lapse (e.g. '15min', '2h').",
        &ACCEPT_TIMEOUT,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_bool_guc(
        c"lead_assigner.notify_assignments",
        c"Sends one lead_assigner_assignments notification per assigned lead.",
        c"Off by default: a 100,000-lead run would send 100,000 messages. lead_assigner_runs gets one message per run either way.",
        &NOTIFY_ASSIGNMENTS,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"lead_assigner.assign_on_insert",
        c"Assigns the leads an INSERT adds before the statement returns.",
        c"Same engine, strategy, rules and locks as assign_leads(), for the business lines the statement touched; one run (kind insert) per statement.",
        &ASSIGN_ON_INSERT,
        GucContext::Userset,
        GucFlags::default(),
    );
}
