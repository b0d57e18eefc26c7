//! Scheduling simulate_cycle() with pg_cron, which stays optional: these functions look for it
//! at call time and say how to enable it when it is missing. They run as the extension owner, so
//! lead_assigner_admin can schedule without rights on pg_cron's schema; the job's command is fixed,
//! so that grants nothing beyond running simulate_cycle() on a schedule.

use lead_assigner_core::schedule::{cron_schedule, finest_interval_seconds, supports_seconds, ScheduleError};
use pgrx::datum::{Interval, TimestampWithTimeZone};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::{register_xact_callback, PgSqlErrorCode, PgXactCallbackEvent};

use crate::db::first_row;
use crate::errors::{raise, refuse_on_standby, OrRaise};
use crate::gucs;

const JOB_NAME: &str = "lead_assigner_simulation";
const JOB_COMMAND: &str = "SELECT public.simulate_cycle()";

/// The installed pg_cron version, or an error that says how to get it.
fn pg_cron_version(client: &mut SpiClient<'_>) -> String {
    let version = client
        .select("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'", None, &[])
        .or_raise("looking for pg_cron");
    first_row(version).and_then(|row| row.get::<String>(1).ok().flatten()).unwrap_or_else(|| {
        raise(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            "pg_cron is not installed in this database",
            "Add pg_cron to shared_preload_libraries, set cron.database_name to this database, restart, then CREATE EXTENSION pg_cron;",
        )
    })
}

/// Schedules (or reschedules) the job that runs simulate_cycle() every `every`; returns the
/// pg_cron schedule it uses.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn start_simulation(every: Option<Interval>) -> String {
    refuse_on_standby("start_simulation");
    gucs::refuse_rejected_values();
    let every = every.unwrap_or_else(|| {
        raise(
            PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            "the simulation interval must not be NULL",
            "Pass an interval such as '1 minute', or call start_simulation() for the finest one pg_cron supports.",
        )
    });
    Spi::connect_mut(|client| {
        let version = pg_cron_version(client);
        schedule_simulation(client, &version, interval_seconds(every))
    })
}

/// start_simulation() without an interval: the finest one the installed pg_cron supports. An
/// overload rather than a default, so that an explicit NULL interval stays an error.
#[pg_extern(name = "start_simulation", volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn start_simulation_at_finest_interval() -> String {
    refuse_on_standby("start_simulation");
    gucs::refuse_rejected_values();
    Spi::connect_mut(|client| {
        let version = pg_cron_version(client);
        let seconds = finest_interval_seconds(supports_seconds(&version));
        let schedule = schedule_simulation(client, &version, seconds);
        notice!(
            "simulation scheduled every {}, the finest interval pg_cron {version} supports",
            describe_seconds(seconds)
        );
        schedule
    })
}

/// "10 seconds", "1 minute": how the NOTICE names an interval.
fn describe_seconds(seconds: i64) -> String {
    match seconds {
        60 => "1 minute".to_owned(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

fn schedule_simulation(client: &mut SpiClient<'_>, version: &str, seconds: i64) -> String {
    let schedule = cron_schedule(seconds, supports_seconds(version)).unwrap_or_else(|error| {
        let hint = match error {
            ScheduleError::SecondsUnsupported { .. } => format!(
                "pg_cron {version} runs jobs at most once a minute: use interval '1 minute' (or start_simulation() for the finest interval), or upgrade to pg_cron 1.5 or later for seconds."
            ),
            ScheduleError::NotPositive | ScheduleError::NotExpressible { .. } => {
                "Use 1 to 59 seconds (pg_cron 1.5+), a divisor of an hour in minutes, a divisor of a day in hours, or '1 day'.".to_owned()
            }
        };
        raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, error.to_string(), hint)
    });
    // cron.schedule() with a job name updates that job, so calling again never duplicates it.
    client
        .update(
            "SELECT cron.schedule($1, $2, $3)",
            None,
            &[JOB_NAME.into(), schedule.as_str().into(), JOB_COMMAND.into()],
        )
        .or_raise("scheduling the simulation");
    reload_pg_cron_jobs_at_commit(client);
    schedule
}

/// pg_cron's scheduler learns of a job change from the cache invalidation its functions send at
/// commit. When a burst of catalog changes overflows PostgreSQL's invalidation queue before the
/// scheduler reads it, the scheduler gets a cache reset instead, which pg_cron up to 1.6.8 ignores
/// (citusdata/pg_cron#406): it would keep running an unscheduled job, or never start a new one,
/// until the next change or a restart. Its SIGHUP handler always reloads the job list (and the
/// configuration file), so send it that signal once this transaction has committed.
fn reload_pg_cron_jobs_at_commit(client: &SpiClient<'_>) {
    let launchers = client
        .select("SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type = 'pg_cron launcher'", None, &[])
        .or_raise("looking for pg_cron's scheduler");
    for row in launchers {
        if let Ok(Some(pid)) = row.get::<i32>(1) {
            register_xact_callback(PgXactCallbackEvent::Commit, move || {
                // Only while the pid is still a process of this server (as pg_signal_backend
                // checks): a launcher that exited meanwhile is replaced by one that reads the job
                // list from scratch. SAFETY: a lookup in the process array, then kill(2).
                unsafe {
                    if !pg_sys::BackendPidGetProc(pid).is_null() {
                        libc::kill(pid, libc::SIGHUP);
                    }
                }
            });
        }
    }
}

/// Whole seconds in an interval; months have no fixed length, so they are refused.
fn interval_seconds(every: Interval) -> i64 {
    if every.months() != 0 || every.micros() % 1_000_000 != 0 {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "the simulation interval must be a whole number of seconds, without months or years",
            "Use an interval such as '10 seconds', '5 minutes' or '1 day'.",
        );
    }
    i64::from(every.days()) * 86_400 + every.micros() / 1_000_000
}

/// Unschedules the simulation job; returns whether it was scheduled.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn stop_simulation() -> bool {
    refuse_on_standby("stop_simulation");
    gucs::refuse_rejected_values();
    Spi::connect_mut(|client| {
        pg_cron_version(client);
        let unscheduled = client
            .update("SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1", None, &[JOB_NAME.into()])
            .or_raise("unscheduling the simulation");
        if unscheduled.is_empty() {
            return false;
        }
        reload_pg_cron_jobs_at_commit(client);
        true
    })
}

/// Whether the simulation is scheduled, how, and how its runs went (from cron.job_run_details).
/// stop_simulation() deletes the job and start_simulation() makes a new job id, so runs are
/// counted by what they ran in this database: across every time the simulation was scheduled.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
#[allow(clippy::type_complexity)]
fn simulation_status() -> TableIterator<
    'static,
    (
        name!(scheduled, bool),
        name!(schedule, Option<String>),
        name!(succeeded_runs, i64),
        name!(failed_runs, i64),
        name!(last_run_started_at, Option<TimestampWithTimeZone>),
        name!(last_run_status, Option<String>),
        name!(last_run_message, Option<String>),
    ),
> {
    let row = Spi::connect_mut(|client| {
        pg_cron_version(client);
        let rows = client
            .select(
                "WITH runs AS (SELECT runid, status, start_time, return_message FROM cron.job_run_details \
                               WHERE command = $2 AND database = current_database()) \
                 SELECT j.jobid IS NOT NULL, j.schedule, \
                        (SELECT count(*) FROM runs WHERE status = 'succeeded'), \
                        (SELECT count(*) FROM runs WHERE status = 'failed'), \
                        last.start_time, last.status, last.return_message \
                 FROM (SELECT) one \
                 LEFT JOIN cron.job j ON j.jobname = $1 \
                 LEFT JOIN LATERAL (SELECT start_time, status, return_message FROM runs ORDER BY runid DESC LIMIT 1) last ON true",
                None,
                &[JOB_NAME.into(), JOB_COMMAND.into()],
            )
            .or_raise("reading the simulation status");
        match first_row(rows) {
            None => (false, None, 0, 0, None, None, None),
            Some(row) => (
                row.get(1).or_raise("reading the schedule").unwrap_or(false),
                row.get(2).or_raise("reading the schedule"),
                row.get(3).or_raise("reading the run counts").unwrap_or(0),
                row.get(4).or_raise("reading the run counts").unwrap_or(0),
                row.get(5).or_raise("reading the last run"),
                row.get(6).or_raise("reading the last run"),
                row.get(7).or_raise("reading the last run"),
            ),
        }
    });
    TableIterator::once(row)
}
