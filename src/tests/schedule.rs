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
}
