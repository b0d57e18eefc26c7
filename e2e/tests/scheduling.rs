//! Scheduling simulate_cycle() with pg_cron, for real: jobs only run in the cron database. pg_cron
//! 1.4 (Debian 12, PostgreSQL 15) has minute schedules only; 1.5 and later (the PostgreSQL 17 and
//! 18 roots) also run jobs every 1 to 59 seconds, so the finest interval is 10 seconds there.
//! Every cron assertion is in one test, since the cron database and its job are shared; it takes
//! two to three minutes on pg_cron 1.4 (waits on minute boundaries), under a minute on 1.5+.
//! Every change of the job commits just before a burst of catalog changes in another session, the
//! case in which pg_cron's scheduler misses a change unless start/stop_simulation() tell it
//! (see `under_catalog_burst`).

use std::time::Duration;

use lead_assigner_core::schedule::supports_seconds;
use lead_assigner_e2e::{
    connect, cron_database, expect_sql_state, fresh_database, prepare_cron_database, progress, scalar,
    simulation_job_id, wait_for_succeeded_run, Client, TestRole,
};

const EVERY_MINUTE: &str = "* * * * *";

#[test]
fn simulation_is_scheduled_runs_and_stops() {
    let mut client = prepare_cron_database();
    let leads_before = lead_count(&mut client);

    assert_eq!(start_simulation(&mut client, "1 minute"), EVERY_MINUTE, "start_simulation('1 minute')");
    let job = simulation_job_id(&mut client).expect("start_simulation() must create the cron job");
    assert_eq!(start_simulation(&mut client, "1 minute"), EVERY_MINUTE, "start_simulation('1 minute') again");
    let jobs = client
        .query(
            "SELECT jobid, schedule, command, database FROM cron.job WHERE jobname = 'lead_assigner_simulation'",
            &[],
        )
        .expect("read cron.job");
    assert_eq!(jobs.len(), 1, "calling start_simulation() twice must keep exactly one job");
    let (jobid, schedule, command, database): (i64, String, String, String) =
        (jobs[0].get(0), jobs[0].get(1), jobs[0].get(2), jobs[0].get(3));
    assert_eq!(
        (jobid, schedule.as_str(), command.as_str(), database),
        (job, EVERY_MINUTE, "SELECT public.simulate_cycle()", lead_assigner_e2e::cron_database()),
        "the rescheduled job: same id, schedule, command, database"
    );

    let version: String = scalar(&mut client, "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'");
    let seconds = supports_seconds(&version);
    let (finest, finest_words) =
        if seconds { ("10 seconds", "every 10 seconds") } else { (EVERY_MINUTE, "every 1 minute") };
    if seconds {
        assert_eq!(
            start_simulation(&mut client, "10 seconds"),
            "10 seconds",
            "start_simulation('10 seconds') on pg_cron {version}"
        );
    } else {
        // pg_cron 1.4 has no second schedules: a clear refusal that names the way out, job untouched.
        let error = expect_sql_state(
            client.query_one("SELECT start_simulation('10 seconds')", &[]),
            "22023",
            &format!("start_simulation('10 seconds') on pg_cron {version}"),
        );
        assert!(
            error.hint().is_some_and(|hint| hint.contains("1.5")),
            "the hint should mention pg_cron 1.5: {:?}",
            error.hint()
        );
    }
    assert_eq!(
        scalar::<String>(&mut client, "SELECT schedule FROM cron.job WHERE jobname = 'lead_assigner_simulation'"),
        if seconds { "10 seconds" } else { EVERY_MINUTE },
        "the job's schedule after start_simulation('10 seconds') on pg_cron {version}"
    );

    // With no interval: the finest this pg_cron supports, and a NOTICE that says so.
    let notices = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut noticed = notice_collecting_client(&notices);
    assert_eq!(
        under_catalog_burst(|| scalar::<String>(&mut noticed, "SELECT start_simulation()")),
        finest,
        "start_simulation()"
    );
    let notices = notices.lock().expect("notices").clone();
    assert!(
        notices.iter().any(|notice| notice.contains(finest_words) && notice.contains(&format!("pg_cron {version}"))),
        "start_simulation() must say which interval it chose: {notices:?}"
    );
    assert_eq!(simulation_job_id(&mut client), Some(job), "start_simulation() reschedules the same job");

    wait_for_succeeded_run(&mut client, job, 0);
    assert!(lead_count(&mut client) > leads_before, "a succeeded simulate_cycle() run must have inserted leads");
    let status = client
        .query_one(
            "SELECT scheduled, schedule, succeeded_runs, failed_runs, last_run_status FROM simulation_status()",
            &[],
        )
        .expect("simulation_status()");
    let (scheduled, schedule, succeeded, failed): (bool, Option<String>, i64, i64) =
        (status.get(0), status.get(1), status.get(2), status.get(3));
    assert!(scheduled, "simulation_status().scheduled while the job exists");
    assert_eq!(schedule.as_deref(), Some(finest), "simulation_status().schedule");
    assert!(succeeded >= 1, "simulation_status().succeeded_runs after a succeeded run: {succeeded}");
    assert_eq!(failed, 0, "simulation_status().failed_runs (last status {:?})", status.get::<_, Option<String>>(4));

    assert!(stop_simulation(&mut client), "stop_simulation() with a job scheduled returns true");
    assert!(!stop_simulation(&mut client), "stop_simulation() a second time returns false");
    assert_eq!(simulation_job_id(&mut client), None, "stop_simulation() must remove the cron job");
    assert!(
        !scalar::<bool>(&mut client, "SELECT scheduled FROM simulation_status()"),
        "simulation_status().scheduled after stopping"
    );

    // A stopped job must miss its next runs: two 10-second periods, or until 10 s past the next
    // minute boundary.
    let runs_at_stop = job_runs(&mut client, job);
    let leads_at_stop = lead_count(&mut client);
    let wait: f64 = if seconds {
        25.0
    } else {
        scalar(
            &mut client,
            "SELECT extract(epoch FROM date_trunc('minute', clock_timestamp()) + interval '70 seconds' - clock_timestamp())::float8",
        )
    };
    progress("scheduling", &format!("waiting {wait:.0} s, past the job's next runs, to see the stopped job stay idle"));
    std::thread::sleep(Duration::from_secs_f64(wait));
    assert_eq!(job_runs(&mut client, job), runs_at_stop, "no run of the job may start after stop_simulation()");
    assert_eq!(lead_count(&mut client), leads_at_stop, "no simulated leads may arrive after stop_simulation()");

    // The admin role schedules without any right on pg_cron's schema; the app role only watches.
    let admin = TestRole::create(&cron_database(), "scheduling_admin", Some("lead_assigner_admin"));
    let mut admin_client = admin.connect();
    assert_eq!(start_simulation(&mut admin_client, "1 minute"), EVERY_MINUTE, "the admin role schedules");
    let app = TestRole::create(&cron_database(), "scheduling_app", Some("lead_assigner_app"));
    let mut app_client = app.connect();
    assert!(
        scalar::<bool>(&mut app_client, "SELECT scheduled FROM simulation_status()"),
        "the app role sees the schedule"
    );
    expect_sql_state(app_client.batch_execute("SELECT stop_simulation()"), "42501", "the app role cannot stop it");
    assert!(stop_simulation(&mut admin_client), "the admin role unschedules");
}

#[test]
fn scheduling_without_pg_cron_is_feature_not_supported() {
    let database = fresh_database("no_pg_cron");
    let mut client = connect(&database);
    for call in ["SELECT start_simulation('1 minute')", "SELECT stop_simulation()", "SELECT * FROM simulation_status()"]
    {
        let error = expect_sql_state(client.query(call, &[]), "0A000", call);
        assert!(
            error.hint().is_some_and(|hint| hint.contains("CREATE EXTENSION pg_cron")),
            "{call}: the hint should say how to enable pg_cron: {:?}",
            error.hint()
        );
    }
}

fn start_simulation(client: &mut Client, every: &str) -> String {
    let sql = format!("SELECT start_simulation('{every}')");
    under_catalog_burst(|| scalar(client, &sql))
}

fn stop_simulation(client: &mut Client) -> bool {
    under_catalog_burst(|| scalar(client, "SELECT stop_simulation()"))
}

/// Runs `change`, then at once commits a transaction of 1,000 CREATE TABLEs in another session
/// (prepared beforehand, so only its commit follows the change). Its invalidation messages overflow
/// PostgreSQL's shared queue (4,096), so pg_cron's scheduler, which reads the queue about once a
/// second, gets a cache reset instead of the message of `change`; pg_cron up to 1.6.8 ignores that
/// reset (citusdata/pg_cron#406) and would keep its old job list, but for the signal
/// start_simulation() and stop_simulation() send it at commit.
fn under_catalog_burst<T>(change: impl FnOnce() -> T) -> T {
    let mut burst = connect("postgres");
    burst
        .batch_execute(
            "BEGIN;
             DO $$ BEGIN
               FOR i IN 1..1000 LOOP EXECUTE format('CREATE TEMP TABLE burst_%s (a int, b text)', i); END LOOP;
             END $$;",
        )
        .expect("prepare the catalog burst");
    let result = change();
    burst.batch_execute("COMMIT").expect("commit the catalog burst");
    result
}

fn lead_count(client: &mut Client) -> i64 {
    scalar(client, "SELECT count(*) FROM lead_management.leads")
}

fn job_runs(client: &mut Client, job: i64) -> i64 {
    client
        .query_one("SELECT count(*) FROM cron.job_run_details WHERE jobid = $1", &[&job])
        .expect("count the job's runs")
        .get(0)
}

/// A superuser session on the cron database that appends every NOTICE it receives to `notices`.
fn notice_collecting_client(notices: &std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> Client {
    let notices = notices.clone();
    postgres::Config::new()
        .host("127.0.0.1")
        .port(lead_assigner_e2e::port())
        .user("postgres")
        .dbname(&cron_database())
        .notice_callback(move |notice| notices.lock().expect("notices").push(notice.message().to_owned()))
        .connect(postgres::NoTls)
        .expect("connect with a notice callback")
}
