//! A crash (immediate) restart of the whole server while the pg_cron simulation is scheduled:
//! committed runs survive, the job keeps running afterwards, the data stays consistent.
//! This binary must hold this one test only: nothing else may use the server it restarts
//! (cargo runs test binaries one after another). About two minutes (minute boundaries).

use std::time::Duration;

use lead_assigner_e2e::{
    assert_invariants, cron_database, prepare_cron_database, scalar, server_program, simulation_job_id, try_connect,
    wait_for, wait_for_succeeded_run, Client,
};

#[test]
fn simulation_survives_a_crash_restart() {
    let mut client = prepare_cron_database();
    assert_eq!(scalar::<String>(&mut client, "SELECT start_simulation('1 minute')"), "* * * * *");
    let job = simulation_job_id(&mut client).expect("start_simulation() must create the cron job");
    let last_run_before = wait_for_succeeded_run(&mut client, job, 0);
    let committed_before = committed_work(&mut client);
    drop(client);

    restart_server_immediately();
    let mut client = wait_for(
        "the server to accept connections after the restart",
        Duration::from_secs(60),
        Duration::from_millis(500),
        || try_connect(&cron_database()).ok(),
    );

    let committed_after = committed_work(&mut client);
    assert!(
        committed_after.0 >= committed_before.0 && committed_after.1 >= committed_before.1,
        "committed leads and runs must survive the crash: (leads, runs) before {committed_before:?}, after recovery {committed_after:?}"
    );
    assert_eq!(simulation_job_id(&mut client), Some(job), "the scheduled job must survive the restart");
    wait_for_succeeded_run(&mut client, job, last_run_before);
    assert!(
        scalar::<bool>(&mut client, "SELECT stop_simulation()"),
        "stop_simulation() after the restart returns true"
    );
    assert_invariants(&mut client);
}

/// (leads, assignment_runs) rows: what committed simulation runs left.
fn committed_work(client: &mut Client) -> (i64, i64) {
    (
        scalar(client, "SELECT count(*) FROM lead_management.leads"),
        scalar(client, "SELECT count(*) FROM lead_management.assignment_runs"),
    )
}

/// `pg_ctl restart -m immediate`: no shutdown checkpoint, crash recovery on start. The server
/// runs as postgres (see `server_program`).
fn restart_server_immediately() {
    let data = std::env::var("LEAD_ASSIGNER_E2E_DATA")
        .expect("LEAD_ASSIGNER_E2E_DATA is not set: run the end-to-end tests with scripts/e2e");
    let log = format!("{data}/server.log");
    let args = ["-D", data.as_str(), "-l", log.as_str(), "-m", "immediate", "-w", "-t", "60", "restart"];
    let output = server_program("pg_ctl").args(args).output().expect("run pg_ctl");
    assert!(
        output.status.success(),
        "pg_ctl restart failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
