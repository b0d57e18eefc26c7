//! start_simulation() / stop_simulation() / simulation_status() against pg_cron (preloaded in the
//! test server). Jobs scheduled here never run: the test transaction rolls back. The end-to-end
//! tests watch pg_cron fire for real.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::tests::{assert_fails, count};

    fn jobs() -> i64 {
        count("SELECT count(*) FROM cron.job WHERE jobname = 'lead_assigner_simulation'")
    }

    #[pg_test]
    fn schedule_without_pg_cron_says_how_to_enable_it() {
        assert_fails("SELECT start_simulation('1 minute')", "0A000");
        assert_fails("SELECT start_simulation()", "0A000");
        assert_fails("SELECT stop_simulation()", "0A000");
        assert_fails("SELECT * FROM simulation_status()", "0A000");
    }

    #[pg_test]
    fn schedule_start_reschedules_and_stop_unschedules() {
        Spi::run("CREATE EXTENSION IF NOT EXISTS pg_cron").unwrap();
        let seconds_supported =
            Spi::get_one::<bool>("SELECT string_to_array(split_part(extversion, '-', 1), '.')::int[] >= '{1,5}' FROM pg_extension WHERE extname = 'pg_cron'")
                .unwrap()
                .unwrap();
        assert_eq!(
            Spi::get_one::<String>("SELECT start_simulation('1 minute')").unwrap().as_deref(),
            Some("* * * * *")
        );
        assert_eq!(
            Spi::get_one::<String>("SELECT start_simulation('5 minutes')").unwrap().as_deref(),
            Some("*/5 * * * *")
        );
        assert_eq!(jobs(), 1, "starting again reschedules instead of adding a job");
        let (scheduled, schedule) =
            Spi::get_two::<bool, String>("SELECT scheduled, schedule FROM simulation_status()").unwrap();
        assert_eq!((scheduled, schedule.as_deref()), (Some(true), Some("*/5 * * * *")));
        let command =
            Spi::get_one::<String>("SELECT command FROM cron.job WHERE jobname = 'lead_assigner_simulation'").unwrap();
        assert_eq!(command.as_deref(), Some("SELECT public.simulate_cycle()"));
        let finest = if seconds_supported { "10 seconds" } else { "* * * * *" };
        assert_eq!(Spi::get_one::<String>("SELECT start_simulation()").unwrap().as_deref(), Some(finest));
        if !seconds_supported {
            assert_fails("SELECT start_simulation('10 seconds')", "22023");
        }
        assert_fails("SELECT start_simulation('7 minutes')", "22023");
        assert_fails("SELECT start_simulation('1 month')", "22023");
        assert_fails("SELECT start_simulation('-1 minute')", "22023");
        assert_fails("SELECT start_simulation(NULL)", "22004");
        assert_eq!(Spi::get_one::<bool>("SELECT stop_simulation()").unwrap(), Some(true));
        assert_eq!(jobs(), 0);
        assert_eq!(Spi::get_one::<bool>("SELECT stop_simulation()").unwrap(), Some(false));
        assert_eq!(Spi::get_one::<bool>("SELECT scheduled FROM simulation_status()").unwrap(), Some(false));
    }

    /// stop_simulation() deletes the job and start_simulation() makes a new job id: the counts
    /// go on across them (as the make run dashboard counts), and only this database's simulation
    /// runs count. pg_cron never runs a job inside a test, so the runs are written here.
    #[pg_test]
    fn schedule_status_counts_runs_across_reschedules() {
        Spi::run("CREATE EXTENSION IF NOT EXISTS pg_cron").unwrap();
        let run = |status: &str, command: &str, database: &str| {
            Spi::run_with_args(
                "INSERT INTO cron.job_run_details (jobid, database, username, command, status, return_message, start_time, end_time)
                 SELECT coalesce((SELECT jobid FROM cron.job WHERE jobname = 'lead_assigner_simulation'), 0),
                        $3, current_user, $2, $1, $1, clock_timestamp(), clock_timestamp()",
                &[status.into(), command.into(), database.into()],
            )
            .unwrap();
        };
        let here = Spi::get_one::<String>("SELECT current_database()::text").unwrap().unwrap();
        Spi::run("SELECT start_simulation('1 minute')").unwrap();
        run("succeeded", "SELECT public.simulate_cycle()", &here);
        run("succeeded", "SELECT public.simulate_cycle()", &here);
        Spi::run("SELECT stop_simulation()").unwrap();
        Spi::run("SELECT start_simulation('5 minutes')").unwrap();
        run("failed", "SELECT public.simulate_cycle()", &here);
        run("succeeded", "SELECT 1", &here);
        run("succeeded", "SELECT public.simulate_cycle()", "elsewhere");
        let (succeeded, failed) =
            Spi::get_two::<i64, i64>("SELECT succeeded_runs, failed_runs FROM simulation_status()").unwrap();
        assert_eq!((succeeded, failed), (Some(2), Some(1)));
        assert_eq!(
            Spi::get_one::<String>("SELECT last_run_status FROM simulation_status()").unwrap().as_deref(),
            Some("failed")
        );
        Spi::run("SELECT stop_simulation()").unwrap();
        let (scheduled, succeeded) =
            Spi::get_two::<bool, i64>("SELECT scheduled, succeeded_runs FROM simulation_status()").unwrap();
        assert_eq!((scheduled, succeeded), (Some(false), Some(2)), "the runs stay counted while unscheduled");
    }
}
