//! The Docker image's scripts, run outside Docker against the e2e server as the image runs them:
//! docker/init-lead-assigner.sh on a first start (in the pg_cron database, as the image's
//! POSTGRES_DB), docker/entrypoint.sh at every start and docker/healthcheck.sh. A first start
//! that fails inside the init transaction must say so in the script's own words, and keep saying
//! so at every later start and in the health check.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lead_assigner_e2e::*;

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checkout")
}

/// A stand-in for the container's data directory (only the failure marker goes there) and a
/// directory with a stand-in for the official entrypoint, which prints its arguments.
fn container_dirs() -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("lead_assigner-docker-scripts-{}", std::process::id()));
    let (data, bin) = (root.join("data"), root.join("bin"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&data).expect("data directory");
    std::fs::create_dir_all(&bin).expect("bin directory");
    let official = bin.join("docker-entrypoint.sh");
    std::fs::write(&official, "#!/bin/sh\necho \"official entrypoint: $*\"\n").expect("stand-in entrypoint");
    Command::new("chmod").arg("+x").arg(&official).status().expect("chmod");
    (data, bin)
}

/// Runs docker/SCRIPT with the image's environment pointed at the e2e server.
fn run(script: &str, args: &[&str], data: &Path, bin: &Path, env: &[(&str, &str)]) -> Output {
    let path = format!("{}:/usr/lib/postgresql/15/bin:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let demo_sellers = checkout().join("scripts/demo-sellers.sql");
    Command::new(checkout().join("docker").join(script))
        .args(args)
        .env("PATH", path)
        .env("PGDATA", data)
        .env("PGHOST", "/tmp")
        .env("PGPORT", port().to_string())
        .env("POSTGRES_USER", "postgres")
        .env("POSTGRES_DB", cron_database())
        .env("LEAD_ASSIGNER_DEMO_SELLERS", demo_sellers)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|error| panic!("running docker/{script}: {error}"))
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_failed_first_start_says_so_at_every_start_and_in_the_health_check() {
    let mut client = connect(&cron_database());
    client
        .batch_execute(
            "CREATE EXTENSION IF NOT EXISTS pg_cron;
             SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'lead_assigner%';
             DROP EXTENSION IF EXISTS lead_assigner CASCADE;",
        )
        .expect("a database as a first start finds it");
    let (data, bin) = container_dirs();

    let health = run("healthcheck.sh", &[], &data, &bin, &[]);
    let (stdout, _) = text(&health);
    assert!(!health.status.success(), "healthy without the extension: {stdout}");
    assert!(stdout.contains("lead_assigner is not installed"), "health check output: {stdout}");

    // '7 minutes' is an interval, so it passes the checks before the transaction; pg_cron cannot
    // express it, so start_simulation() fails inside it.
    let init = run("init-lead-assigner.sh", &[], &data, &bin, &[("SIMULATION_INTERVAL", "7 minutes")]);
    let (_, stderr) = text(&init);
    assert!(!init.status.success(), "init succeeded with an inexpressible interval: {stderr}");
    assert!(
        stderr.contains("lead_assigner init: error: initialising database") && stderr.contains("rolled back"),
        "init's own error line missing: {stderr}"
    );
    assert_eq!(
        scalar::<i64>(&mut client, "SELECT count(*) FROM pg_extension WHERE extname = 'lead_assigner'"),
        0,
        "the failed init left the extension behind"
    );

    let start = run("entrypoint.sh", &["postgres", "-c", "x=y"], &data, &bin, &[]);
    let (stdout, stderr) = text(&start);
    assert!(start.status.success(), "entrypoint: {stderr}");
    assert!(stderr.contains("the first start of this container failed"), "entrypoint's warning missing: {stderr}");
    assert!(stderr.contains("initialising database"), "entrypoint does not repeat the reason: {stderr}");
    assert_eq!(stdout.trim(), "official entrypoint: postgres -c x=y", "the official entrypoint runs after it");

    let health = run("healthcheck.sh", &[], &data, &bin, &[]);
    let (stdout, _) = text(&health);
    assert!(!health.status.success(), "healthy after a failed first start: {stdout}");
    assert!(stdout.contains("the first start failed: initialising database"), "health check output: {stdout}");

    // A first start that works: no warning at start, healthy.
    std::fs::remove_file(data.join("lead_assigner-init-failed")).expect("the failure marker");
    let init = run("init-lead-assigner.sh", &[], &data, &bin, &[("SIMULATION_INTERVAL", "1 minute")]);
    let (stdout, stderr) = text(&init);
    assert!(init.status.success(), "init failed: {stdout}{stderr}");
    assert!(!data.join("lead_assigner-init-failed").exists(), "a successful init left a failure marker");
    let start = run("entrypoint.sh", &["postgres"], &data, &bin, &[]);
    assert!(text(&start).1.is_empty(), "entrypoint warned after a good first start: {}", text(&start).1);
    let health = run("healthcheck.sh", &[], &data, &bin, &[]);
    assert!(health.status.success(), "unhealthy after a good first start: {}", text(&health).0);
    assert_eq!(text(&health).0.trim(), "ok");

    client
        .batch_execute("SELECT stop_simulation(); SELECT cron.unschedule('lead_assigner_maintenance');")
        .expect("unschedule");
    let _ = std::fs::remove_dir_all(data.parent().expect("the scratch root"));
}
