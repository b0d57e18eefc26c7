//! Every `lead_assigner.*` setting. Registered once per backend in `_PG_init` (or once in the
//! postmaster when preloaded); `SHOW` and `pg_settings` describe each one.
//!
//! PostgreSQL only warns about values it cannot apply to these settings: a value set before the
//! library loaded (a session's SET, ALTER DATABASE/ROLE ... SET, postgresql.conf) sits in a
//! text placeholder, and when the real setting is defined a bad one is dropped with a WARNING and
//! the default used instead. Nobody sees that WARNING in a pg_cron job, so such rejected values
//! are remembered here and every SQL entry point refuses to run while one of them would be in
//! force ([`refuse_rejected_values`]). The check covers every `lead_assigner.*` name, registered
//! or not, so settings added to [`init`] are covered without more code.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};

use lead_assigner_core::assign::Strategy;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::pg_sys::{self, GucSource};
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgSqlErrorCode, PgTryBuilder, PostgresGucEnum};

use crate::errors::{raise, OrRaise};

const PREFIX: &str = "lead_assigner";

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

/// The strategy assign_leads() uses now. Checks the settings first, so every run (assign_leads(),
/// simulate_cycle()) refuses a rejected value even where its entry point does not call
/// [`refuse_rejected_values`] itself.
pub fn strategy() -> Strategy {
    refuse_rejected_values();
    STRATEGY.get().into()
}

pub fn init() {
    let set_before_loading = placeholders();
    define();
    // From here on a misspelt lead_assigner.* name is an error, not a silent placeholder.
    unsafe { pg_sys::MarkGUCPrefixReserved(c"lead_assigner".as_ptr()) };
    unsafe {
        PREVIOUS_PROCESS_UTILITY = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(hint_setting_errors);
    }
    REJECTED.with(|rejected| {
        rejected.borrow_mut().extend(set_before_loading.into_iter().filter(|value| !accepted(value)));
    });
}

fn define() {
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
    // Superuser-only, like a server setting, because a run applies it to every lead of the
    // database; the extension script grants lead_assigner_admin SET on it (see ADMIN_SETTINGS).
    GucRegistry::define_int_guc(
        c"lead_assigner.accept_timeout",
        c"How long a lead may stay Assigned before the next run puts it back to Pending; 0 turns it off.",
        c"A requeued lead is never offered again to the seller who let it lapse (e.g. '15min', '2h'). Applies to every Assigned lead of the database, so only a superuser (ALTER DATABASE ... SET, the server's configuration) or lead_assigner_admin sets it.",
        &ACCEPT_TIMEOUT,
        0,
        i32::MAX,
        GucContext::Suset,
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

/// A lead_assigner.* value someone set, and where it came from.
#[derive(Debug, Clone)]
struct SetValue {
    name: String,
    value: String,
    source: GucSource::Type,
    /// Who set it: PostgreSQL checks the value with these, so a value a role may not set (a
    /// superuser-only setting) is rejected too.
    context: pg_sys::GucContext::Type,
    role: pg_sys::Oid,
    /// Where it was set, for the error: "in this session before lead_assigner was loaded", ...
    origin: String,
}

/// Superuser-only settings that sql/api.sql grants lead_assigner_admin SET on.
const ADMIN_SETTINGS: &[&str] = &["lead_assigner.accept_timeout"];

static mut PREVIOUS_PROCESS_UTILITY: pg_sys::ProcessUtility_hook_type = None;

thread_local! {
    /// Values PostgreSQL dropped with only a WARNING, for this backend (inherited from the
    /// postmaster when preloaded).
    static REJECTED: RefCell<Vec<SetValue>> = const { RefCell::new(Vec::new()) };
    static ROLE_SETTINGS_CHECKED: Cell<bool> = const { Cell::new(false) };
}

/// Refuses with 22023 while a rejected lead_assigner.* value would be in force: one whose source
/// ranks above the one the setting's current value comes from (a later valid SET in the session
/// wins over it, so it no longer matters), or any value of a name that is no setting at all.
pub fn refuse_rejected_values() {
    check_role_settings_once();
    let blocking = REJECTED.with(|rejected| {
        rejected
            .borrow()
            .iter()
            .find(|value| current_source(&value.name).is_none_or(|source| source < value.source))
            .cloned()
    });
    let Some(value) = blocking else { return };
    let name = &value.name;
    let origin = &value.origin;
    const PRELOAD: &str =
        "Preloading the library (shared_preload_libraries = 'pg_cron,lead_assigner') makes SET check at once";
    match current_setting(name) {
        Some(current) => raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "{name} = \"{}\" ({origin}) is not in force: PostgreSQL refused it with only a warning and would use \"{current}\" instead",
                value.value
            ),
            format!(
                "{}SET {name} to a valid value in this session (SELECT enumvals, min_val, max_val FROM pg_settings WHERE name = '{name}'). {PRELOAD}.",
                fix_for(value.source, name).map(|fix| format!("{fix}, or ")).unwrap_or_default()
            ),
        ),
        None => raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("unknown setting {name} ({origin}); PostgreSQL ignored it with a warning"),
            format!(
                "Is it misspelt? The settings are: SELECT name FROM pg_settings WHERE name LIKE '{PREFIX}.%'. {}. {PRELOAD}.",
                fix_for(value.source, name).unwrap_or_else(|| "Reconnect without it".to_owned())
            ),
        ),
    }
}

/// How to correct a value set outside the session; None for one set in the session.
fn fix_for(source: GucSource::Type, name: &str) -> Option<String> {
    let database =
        || unsafe { CStr::from_ptr(pg_sys::get_database_name(pg_sys::MyDatabaseId)) }.to_string_lossy().into_owned();
    let role = || {
        unsafe { CStr::from_ptr(pg_sys::GetUserNameFromId(pg_sys::GetSessionUserId(), false)) }
            .to_string_lossy()
            .into_owned()
    };
    Some(match source {
        GucSource::PGC_S_FILE | GucSource::PGC_S_ARGV => {
            format!("Correct {name} in the server's configuration and reload it (SELECT pg_reload_conf())")
        }
        GucSource::PGC_S_GLOBAL => format!("ALTER ROLE ALL RESET {name}"),
        GucSource::PGC_S_DATABASE => format!("ALTER DATABASE \"{}\" RESET {name}", database()),
        GucSource::PGC_S_USER => format!("ALTER ROLE \"{}\" RESET {name}", role()),
        GucSource::PGC_S_DATABASE_USER => {
            format!("ALTER ROLE \"{}\" IN DATABASE \"{}\" RESET {name}", role(), database())
        }
        GucSource::PGC_S_CLIENT => "Remove it from the connection's options (PGOPTIONS) and reconnect".to_owned(),
        _ => return None,
    })
}

fn origin_of(variable: &pg_sys::config_generic) -> String {
    match variable.source {
        GucSource::PGC_S_FILE if !variable.sourcefile.is_null() => format!(
            "set in {} line {}",
            unsafe { CStr::from_ptr(variable.sourcefile) }.to_string_lossy(),
            variable.sourceline
        ),
        source => origin_of_source(source).to_owned(),
    }
}

fn origin_of_source(source: GucSource::Type) -> &'static str {
    match source {
        GucSource::PGC_S_FILE => "set in the configuration file",
        GucSource::PGC_S_ARGV => "set on the server's command line",
        GucSource::PGC_S_GLOBAL => "set by ALTER ROLE ALL SET",
        GucSource::PGC_S_DATABASE => "set by ALTER DATABASE ... SET",
        GucSource::PGC_S_USER => "set by ALTER ROLE ... SET",
        GucSource::PGC_S_DATABASE_USER => "set by ALTER ROLE ... IN DATABASE ... SET",
        GucSource::PGC_S_CLIENT => "set in the connection's options",
        _ => "set in this session before lead_assigner was loaded",
    }
}

/// Every lead_assigner.* variable PostgreSQL knows now, placeholders included.
fn our_variables() -> Vec<&'static pg_sys::config_generic> {
    // SAFETY: the GUC array holds GetNumConfigOptions() valid pointers; the variables themselves
    // live as long as the backend (PostgreSQL never frees a defined setting).
    unsafe {
        let variables = pg_sys::get_guc_variables();
        let count = usize::try_from(pg_sys::GetNumConfigOptions()).unwrap_or(0);
        if variables.is_null() {
            return Vec::new();
        }
        std::slice::from_raw_parts(variables, count)
            .iter()
            .filter_map(|&variable| variable.as_ref())
            .filter(|variable| is_ours(&CStr::from_ptr(variable.name).to_string_lossy()))
            .collect()
    }
}

fn is_ours(name: &str) -> bool {
    name.len() > PREFIX.len()
        && name[..PREFIX.len()].eq_ignore_ascii_case(PREFIX)
        && name.as_bytes()[PREFIX.len()] == b'.'
}

fn is_placeholder(variable: &pg_sys::config_generic) -> bool {
    variable.flags & pg_sys::GUC_CUSTOM_PLACEHOLDER as i32 != 0
}

fn name_of(variable: &pg_sys::config_generic) -> String {
    unsafe { CStr::from_ptr(variable.name) }.to_string_lossy().into_owned()
}

/// The values set for lead_assigner.* names before the library defined them.
fn placeholders() -> Vec<SetValue> {
    our_variables()
        .into_iter()
        .filter(|variable| is_placeholder(variable) && variable.source != GucSource::PGC_S_DEFAULT)
        .filter_map(|variable| {
            let name = name_of(variable);
            current_setting(&name).map(|value| SetValue {
                origin: origin_of(variable),
                name,
                value,
                source: variable.source,
                context: variable.scontext,
                role: variable.srole,
            })
        })
        .collect()
}

/// Where the registered setting `name` gets its current value from; None when no such setting.
fn current_source(name: &str) -> Option<GucSource::Type> {
    our_variables()
        .into_iter()
        .find(|variable| !is_placeholder(variable) && name_of(variable).eq_ignore_ascii_case(name))
        .map(|variable| variable.source)
}

fn current_setting(name: &str) -> Option<String> {
    let name = CString::new(name).ok()?;
    let value = unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) };
    (!value.is_null()).then(|| unsafe { CStr::from_ptr(value) }.to_string_lossy().into_owned())
}

/// Whether PostgreSQL accepts `value` for its setting from whoever set it, as it did when it
/// applied it; asks without changing anything (0: refused, -1: valid but not applied).
fn accepted(value: &SetValue) -> bool {
    let (Ok(name), Ok(text)) = (CString::new(value.name.as_str()), CString::new(value.value.as_str())) else {
        return false;
    };
    unsafe {
        pg_sys::set_config_option_ext(
            name.as_ptr(),
            text.as_ptr(),
            value.context,
            value.source,
            value.role,
            pg_sys::GucAction::GUC_ACTION_SET,
            false,
            pg_sys::DEBUG5 as i32,
            false,
        ) != 0
    }
}

/// ALTER DATABASE / ROLE ... SET values are applied when a session starts. With the library
/// preloaded, a bad one is dropped then, before anything here could see it: read them back from
/// pg_db_role_setting once per session.
fn check_role_settings_once() {
    if ROLE_SETTINGS_CHECKED.replace(true) {
        return;
    }
    let database = unsafe { pg_sys::MyDatabaseId };
    let role = unsafe { pg_sys::GetSessionUserId() };
    let role_settings: Vec<SetValue> = Spi::connect(|client| {
        client
            .select(
                "SELECT split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), \
                        s.setdatabase <> 0, s.setrole <> 0 \
                 FROM pg_catalog.pg_db_role_setting s, unnest(s.setconfig) AS setting \
                 WHERE s.setdatabase IN (0, $1) AND s.setrole IN (0, $2) AND setting ILIKE 'lead\\_assigner.%'",
                None,
                &[database.into(), role.into()],
            )
            .or_raise("reading lead_assigner settings of this database and role")
            .filter_map(|row| {
                let name: String = row.get(1).ok().flatten()?;
                let value: String = row.get(2).ok().flatten()?;
                let source = match (row.get::<bool>(3).ok().flatten()?, row.get::<bool>(4).ok().flatten()?) {
                    (true, true) => GucSource::PGC_S_DATABASE_USER,
                    (false, true) => GucSource::PGC_S_USER,
                    (true, false) => GucSource::PGC_S_DATABASE,
                    (false, false) => GucSource::PGC_S_GLOBAL,
                };
                // Checked when they were stored; applied with superuser rights (ApplySetting).
                let context = pg_sys::GucContext::PGC_SUSET;
                let role = pg_sys::Oid::from(pg_sys::BOOTSTRAP_SUPERUSERID);
                Some(SetValue { name, value, source, context, role, origin: origin_of_source(source).to_owned() })
            })
            .collect()
    });
    REJECTED.with(|rejected| {
        let mut rejected = rejected.borrow_mut();
        for value in role_settings.into_iter().filter(|value| !accepted(value)) {
            let known =
                rejected.iter().any(|seen| seen.name.eq_ignore_ascii_case(&value.name) && seen.source >= value.source);
            if !known {
                rejected.push(value);
            }
        }
    });
}

/// PostgreSQL refuses a bad lead_assigner.* value (unparsable, out of range), or one the role may
/// not set, before any hook of a setting sees it, and without a hint. So SET and ALTER
/// DATABASE / ROLE / SYSTEM ... SET of a lead_assigner.* setting run here, and such a refusal is
/// raised again with a hint. (set_config() is a function call, not a statement: it is not seen.)
#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn hint_setting_errors(
    statement: *mut pg_sys::PlannedStmt,
    query: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    environment: *mut pg_sys::QueryEnvironment,
    destination: *mut pg_sys::DestReceiver,
    completion: *mut pg_sys::QueryCompletion,
) {
    let run = || unsafe {
        match PREVIOUS_PROCESS_UTILITY {
            Some(previous) => {
                previous(statement, query, read_only_tree, context, params, environment, destination, completion)
            }
            None => pg_sys::standard_ProcessUtility(
                statement,
                query,
                read_only_tree,
                context,
                params,
                environment,
                destination,
                completion,
            ),
        }
    };
    if !unsafe { sets_our_setting(statement) } {
        return run();
    }
    PgTryBuilder::new(std::panic::AssertUnwindSafe(run))
        .catch_others(|error| {
            if let CaughtError::PostgresError(report) = &error {
                if report.hint().is_none() {
                    if let Some(hint) = setting_error_hint(report.sql_error_code(), report.message()) {
                        raise(report.sql_error_code(), report.message(), hint);
                    }
                }
            }
            error.rethrow()
        })
        .execute()
}

/// Whether a utility statement sets a lead_assigner.* setting: SET / RESET, or ALTER DATABASE,
/// ROLE or SYSTEM with such a SET.
unsafe fn sets_our_setting(statement: *mut pg_sys::PlannedStmt) -> bool {
    use pg_sys::NodeTag::*;
    let node = unsafe { statement.as_ref() }.map_or(std::ptr::null_mut(), |statement| statement.utilityStmt);
    let set = unsafe {
        match node.as_ref().map(|node| node.type_) {
            Some(T_VariableSetStmt) => node.cast::<pg_sys::VariableSetStmt>(),
            Some(T_AlterDatabaseSetStmt) => (*node.cast::<pg_sys::AlterDatabaseSetStmt>()).setstmt,
            Some(T_AlterRoleSetStmt) => (*node.cast::<pg_sys::AlterRoleSetStmt>()).setstmt,
            Some(T_AlterSystemStmt) => (*node.cast::<pg_sys::AlterSystemStmt>()).setstmt,
            _ => return false,
        }
    };
    unsafe { set.as_ref() }
        .filter(|set| !set.name.is_null())
        .is_some_and(|set| is_ours(&unsafe { CStr::from_ptr(set.name) }.to_string_lossy()))
}

/// The hint for PostgreSQL's error `message` (SQLSTATE `code`) about a lead_assigner.* setting.
fn setting_error_hint(code: PgSqlErrorCode, message: &str) -> Option<String> {
    let quoted = format!("\"{PREFIX}.");
    let start = message.find(&quoted)? + 1;
    let name = &message[start..start + message[start..].find('"')?];
    let who = if ADMIN_SETTINGS.contains(&name) { "a superuser or lead_assigner_admin" } else { "a superuser" };
    if code == PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE {
        Some(format!(
            "{name} holds for the whole database, so only {who} sets it; an administrator sets it for everyone with ALTER DATABASE ... SET {name} = ... or in the server's configuration."
        ))
    } else if code == PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE {
        let flags = CString::new(name).map_or(0, |name| unsafe { pg_sys::GetConfigOptionFlags(name.as_ptr(), true) });
        let duration = if flags & pg_sys::GUC_UNIT_TIME as i32 != 0 {
            " It is a duration: '90s', '15min', '2h', '400d'; 0 turns it off."
        } else {
            ""
        };
        Some(format!(
            "Valid values: SELECT min_val, max_val, unit, enumvals FROM pg_settings WHERE name = '{name}'.{duration}"
        ))
    } else {
        None
    }
}
