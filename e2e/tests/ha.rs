//! The HA tier (`make test-ha`): the Patroni cluster of scripts/ha under load through the
//! multi-host connection string, and faults in turn: (a) the leader node killed hard (SIGKILL of
//! its Patroni, its postmaster and its backends), (b) a planned switchover, (c) the leader
//! partitioned from etcd, the replicas and the clients (iptables drops every packet from or to its
//! loopback address) until it has demoted itself, then healed. After each: every commit
//! acknowledged to a client is on the new leader, with its audit and history rows (so the old
//! leader acknowledged nothing the cluster lost); the invariants hold; no lead is assigned twice;
//! the simulation job fires on the new leader within two intervals; the old leader rejoins as a
//! replica (pg_rewind where it diverged) and catches up. Then the cost of
//! synchronous replication for simulate_cycle(5). Ignored by `cargo test`: scripts/test-ha starts
//! the cluster and runs these one at a time.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lead_assigner_e2e::*;

/// The cluster scripts/ha started, from the same settings it read.
struct Cluster {
    pg_port: u16,
    rest_port: u16,
    directory: String,
    database: String,
}

fn setting(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the HA tier with scripts/test-ha"))
}

impl Cluster {
    fn from_env() -> Cluster {
        Cluster {
            pg_port: setting("HA_PG_PORT").parse().expect("HA_PG_PORT"),
            rest_port: setting("HA_REST_PORT").parse().expect("HA_REST_PORT"),
            directory: setting("HA_DIR"),
            database: std::env::var("HA_DB").unwrap_or_else(|_| "leads".to_owned()),
        }
    }

    fn port(&self, node: usize) -> u16 {
        self.pg_port + node as u16 - 1
    }

    /// Each node's own loopback address, as scripts/ha gives it.
    fn address(node: usize) -> String {
        format!("127.0.0.1{node}")
    }

    /// A connection string to `hosts`: a client whose server stops answering (partitioned) gives
    /// up within seconds, so a commit whose acknowledgement never came counts as not acknowledged.
    fn dsn(&self, hosts: &[usize], attributes: &str) -> String {
        let list = |item: &dyn Fn(usize) -> String| hosts.iter().map(|&n| item(n)).collect::<Vec<_>>().join(",");
        format!(
            "host={} port={} user=postgres dbname={} connect_timeout=2 tcp_user_timeout=3 keepalives_idle=1 keepalives_interval=1 keepalives_retries=2 {attributes}",
            list(&Cluster::address),
            list(&|n| self.port(n).to_string()),
            self.database
        )
    }

    /// The writers' connection string: every node, the one that accepts writes.
    fn writer_dsn(&self) -> String {
        self.dsn(&[1, 2, 3], "target_session_attrs=read-write application_name=lead_ha")
    }

    fn leader_client(&self) -> Client {
        Client::connect(&self.writer_dsn(), NoTls).unwrap_or_else(|error| panic!("cannot reach the leader: {error}"))
    }

    fn node_client(&self, node: usize) -> Result<Client, postgres::Error> {
        Client::connect(&self.dsn(&[node], ""), NoTls)
    }

    /// Patroni's REST API on the first node that answers (any member serves the whole cluster).
    fn rest(&self, method: &str, path: &str, body: Option<&str>) -> String {
        for node in 1..=3 {
            let mut curl = Command::new("curl");
            curl.args([
                "-s",
                "--connect-timeout",
                "1",
                "--max-time",
                "5",
                "-X",
                method,
                &format!("http://{}:{}{path}", Cluster::address(node), self.rest_port + node as u16 - 1),
            ]);
            if let Some(body) = body {
                curl.args(["-H", "Content-Type: application/json", "-d", body]);
            }
            let output = curl.output().expect("run curl");
            if output.status.success() {
                return String::from_utf8_lossy(&output.stdout).into_owned();
            }
        }
        String::new()
    }

    /// (node, role, state, lag in bytes) of every member Patroni reports.
    fn members(&self) -> Vec<(usize, String, String, Option<i64>)> {
        let cluster: serde_json::Value = serde_json::from_str(&self.rest("GET", "/cluster", None)).unwrap_or_default();
        cluster["members"]
            .as_array()
            .map(|members| {
                members
                    .iter()
                    .map(|m| {
                        let node = m["name"].as_str().unwrap_or("").trim_start_matches("node").parse().unwrap_or(0);
                        let text = |key: &str| m[key].as_str().unwrap_or("").to_owned();
                        (node, text("role"), text("state"), m["lag"].as_i64())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn leader(&self) -> Option<usize> {
        self.members().into_iter().find(|(_, role, state, _)| role == "leader" && state == "running").map(|m| m.0)
    }

    /// SIGKILL of the node's Patroni, then of its postmaster and every backend: the machine is gone.
    fn kill_node(&self, node: usize) {
        let pid = |file: &str| -> String {
            std::fs::read_to_string(format!("{}/node{node}/{file}", self.directory))
                .unwrap_or_else(|error| panic!("node{node}/{file}: {error}"))
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let patroni = pid("patroni.pid");
        let postmaster = pid("data/postmaster.pid");
        let children = script_output(Command::new("pgrep").args(["-P", &postmaster]));
        let mut victims = vec![patroni, postmaster];
        victims.extend(children.split_whitespace().map(str::to_owned));
        script_output(Command::new("kill").arg("-KILL").args(&victims));
    }

    fn start_node(&self, node: usize) {
        script_output(Command::new("scripts/ha").args(["node", &node.to_string()]));
    }

    /// Partitions the node (`cut`) or heals it (`heal`); scripts/ha stop heals every node.
    fn partition(&self, action: &str, node: usize) {
        script_output(Command::new("scripts/ha").args([action, &node.to_string()]));
    }

    fn heal(&self, node: usize) {
        self.partition("heal", node);
    }

    /// Waits until `node` is a running replica that has replayed what the leader had written;
    /// returns how long after `since` that was.
    fn wait_rejoined(&self, node: usize, leader: &mut Client, since: Instant) -> Duration {
        let written: String = scalar(leader, "SELECT pg_current_wal_lsn()::text");
        wait_for(
            &format!("node{node} to rejoin as a replica"),
            Duration::from_secs(120),
            Duration::from_secs(1),
            || {
                self.members()
                    .iter()
                    .any(|(n, role, state, _)| *n == node && role != "leader" && state == "running")
                    .then_some(())
            },
        );
        wait_for(&format!("node{node} to catch up"), Duration::from_secs(60), Duration::from_millis(500), || {
            let mut replica = self.node_client(node).ok()?;
            let row = replica.query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&written]).ok()?;
            row.get::<_, Option<bool>>(0).unwrap_or(false).then_some(())
        });
        since.elapsed()
    }
}

/// Everything the load's clients were told had committed.
#[derive(Default)]
struct Acknowledged {
    /// Leads inserted (assign_on_insert on).
    leads: Vec<String>,
    /// simulate_cycle() runs: (run_id, leads inserted).
    runs: Vec<(i64, i32)>,
    /// Assignments moved to Won.
    won: Vec<String>,
    /// When each acknowledgement came, and from which server port.
    times: Vec<(Instant, u16)>,
}

/// One kind of client: runs `work` in a loop on a connection through the writers' string,
/// reconnecting after any failure; `work` returns what to record once the commit is acknowledged.
fn client_loop(
    cluster: &Cluster,
    stop: &AtomicBool,
    acknowledged: &Mutex<Acknowledged>,
    setup: &str,
    mut work: impl FnMut(&mut Client) -> Result<Option<Box<dyn FnOnce(&mut Acknowledged)>>, postgres::Error>,
) {
    let mut session: Option<(Client, u16)> = None;
    while !stop.load(Ordering::Relaxed) {
        if session.is_none() {
            session = Client::connect(&cluster.writer_dsn(), NoTls).ok().and_then(|mut client| {
                client.batch_execute(setup).ok()?;
                let port: i32 = client.query_one("SELECT inet_server_port()", &[]).ok()?.get(0);
                Some((client, port as u16))
            });
            if session.is_none() {
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        }
        let (client, port) = session.as_mut().expect("connected");
        match work(client) {
            Ok(Some(record)) => {
                let mut acknowledged = acknowledged.lock().expect("acknowledged");
                record(&mut acknowledged);
                acknowledged.times.push((Instant::now(), *port));
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(_) => session = None,
        }
    }
}

static NEXT_LEAD: AtomicU64 = AtomicU64::new(0);

/// Starts the load: two sessions running simulate_cycle(3), one inserting leads that are routed
/// on arrival, one moving assigned leads to Won.
fn start_load(
    cluster: &Arc<Cluster>,
    stop: &Arc<AtomicBool>,
    acknowledged: &Arc<Mutex<Acknowledged>>,
) -> Vec<thread::JoinHandle<()>> {
    let mut clients = Vec::new();
    for _ in 0..2 {
        let (cluster, stop, acknowledged) = (cluster.clone(), stop.clone(), acknowledged.clone());
        clients.push(thread::spawn(move || {
            client_loop(&cluster, &stop, &acknowledged, "", |client| {
                let mut transaction = client.transaction()?;
                let inserted: i32 = transaction.query_one("SELECT inserted FROM simulate_cycle(3)", &[])?.get(0);
                let run_id: i64 = transaction
                    .query_one(
                        "SELECT currval(pg_get_serial_sequence('lead_management.assignment_runs', 'run_id'))",
                        &[],
                    )?
                    .get(0);
                transaction.commit()?;
                Ok(Some(Box::new(move |a: &mut Acknowledged| a.runs.push((run_id, inserted)))))
            })
        }));
    }
    let (c, s, a) = (cluster.clone(), stop.clone(), acknowledged.clone());
    clients.push(thread::spawn(move || {
        let run = std::process::id();
        client_loop(&c, &s, &a, "SET lead_assigner.assign_on_insert = on", |client| {
            let n = NEXT_LEAD.fetch_add(1, Ordering::SeqCst);
            let lead = format!("HA-{run}-{n}");
            client.execute(
                "INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
                 VALUES ($1, 'Ha', 'Client', '+1 555-0199', $1 || '@example.com', $2, 1, 1)",
                &[&lead, &(1 + (n % 4) as i32)],
            )?;
            Ok(Some(Box::new(move |a: &mut Acknowledged| a.leads.push(lead))))
        })
    }));
    let (c, s, a) = (cluster.clone(), stop.clone(), acknowledged.clone());
    clients.push(thread::spawn(move || {
        client_loop(&c, &s, &a, "", |client| {
            let moved = client.query_opt(
                "SELECT l, set_assignment_status(l, 'Won') FROM (SELECT min(lead_document_number) AS l
                 FROM lead_management.assignments WHERE assignment_status_id = 2) AS oldest WHERE l IS NOT NULL",
                &[],
            )?;
            Ok(moved.map(|row| {
                let lead: String = row.get(0);
                Box::new(move |a: &mut Acknowledged| a.won.push(lead)) as Box<dyn FnOnce(&mut Acknowledged)>
            }))
        })
    }));
    clients
}

fn epoch_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).expect("after 1970").as_secs_f64()
}

/// How a struck node is brought back after the checks (none: it rejoins by itself), and what the
/// outcome line times its rejoin from.
type Recovery = Option<(fn(&Cluster, usize), &'static str)>;

/// Runs the load, lets `fault` strike the leader (given its node) and checks everything the
/// module comment promises.
fn survive(cluster: &Arc<Cluster>, name: &str, fault: impl FnOnce(&Cluster, usize) -> Recovery) {
    let old_leader = cluster.leader().expect("a leader before the fault");
    let old_port = cluster.port(old_leader);
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let clients = start_load(cluster, &stop, &acknowledged);
    thread::sleep(Duration::from_secs(8));

    let mut before = cluster.leader_client();
    let last_run_before: Option<f64> = scalar(
        &mut before,
        "SELECT extract(epoch FROM max(start_time))::float8 FROM cron.job_run_details WHERE status = 'succeeded'",
    );
    drop(before);
    progress("ha", &format!("{name}: node{old_leader} leads; striking it"));
    let struck_at = Instant::now();
    let struck_wall = SystemTime::now();
    let recovery = fault(cluster, old_leader);

    let failover = wait_for(
        &format!("{name}: a write acknowledged by a new leader"),
        Duration::from_secs(90),
        Duration::from_millis(100),
        || {
            let acknowledged = acknowledged.lock().expect("acknowledged");
            acknowledged
                .times
                .iter()
                .find(|(at, port)| *at > struck_at && *port != old_port)
                .map(|(at, _)| *at - struck_at)
        },
    );
    progress("ha", &format!("{name}: first write on the new leader after {failover:?}"));
    thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("a load client panicked");
    }
    let acknowledged = Arc::try_unwrap(acknowledged).ok().expect("clients joined").into_inner().expect("acknowledged");
    let acknowledged_by_old_leader =
        acknowledged.times.iter().filter(|(at, port)| *at > struck_at && *port == old_port).count();
    let new_leader = cluster.leader().expect("a leader after the fault");
    assert_ne!(new_leader, old_leader, "{name}: the leader must have changed");
    let mut leader = cluster.leader_client();

    // Every acknowledged commit is there, with its audit and history rows.
    let leads = &acknowledged.leads;
    let present: i64 = leader
        .query_one(
            "SELECT count(*) FROM lead_management.leads l JOIN lead_management.assignments a ON a.lead_document_number = l.document_number
             WHERE l.document_number = ANY($1)
               AND EXISTS (SELECT FROM lead_management.audit_logs g WHERE g.table_name = 'leads' AND g.action = 'INSERT'
                           AND g.new_value->>'document_number' = l.document_number)",
            &[leads],
        )
        .expect("count leads")
        .get(0);
    let run_ids: Vec<i64> = acknowledged.runs.iter().map(|(id, _)| *id).collect();
    let inserted: Vec<i32> = acknowledged.runs.iter().map(|(_, n)| *n).collect();
    let runs_present: i64 = leader
        .query_one(
            "SELECT count(*) FROM unnest($1::bigint[], $2::int[]) AS r(id, inserted)
             JOIN lead_management.assignment_runs a ON a.run_id = r.id AND a.kind = 'simulate' AND a.inserted = r.inserted",
            &[&run_ids, &inserted],
        )
        .expect("count runs")
        .get(0);
    let won_present: i64 = leader
        .query_one(
            "SELECT count(*) FROM unnest($1::text[]) AS w(lead)
             WHERE EXISTS (SELECT FROM lead_management.assignment_records r WHERE r.lead_document_number = w.lead
                           AND r.assignment_status_id = 4)
               AND EXISTS (SELECT FROM lead_management.audit_logs g WHERE g.table_name = 'assignments' AND g.action = 'UPDATE'
                           AND g.new_value->>'lead_document_number' = w.lead AND g.new_value->>'assignment_status_id' = '4')",
            &[&acknowledged.won],
        )
        .expect("count moves")
        .get(0);
    let total = leads.len() + run_ids.len() + acknowledged.won.len();
    let lost = total - (present + runs_present + won_present) as usize;
    assert!(!leads.is_empty() && !run_ids.is_empty(), "{name}: the load must have committed leads and runs");
    assert_eq!(
        lost,
        0,
        "{name}: acknowledged commits lost: leads {present}/{}, runs {runs_present}/{}, Won {won_present}/{}",
        leads.len(),
        run_ids.len(),
        acknowledged.won.len()
    );
    assert_invariants(&mut leader);
    let assigned_twice: i64 = scalar(
        &mut leader,
        "SELECT count(*) FROM (SELECT lead_document_number FROM lead_management.assignment_records
                               WHERE assignment_status_id = 2 GROUP BY 1 HAVING count(*) > 1) twice",
    );
    assert_eq!(assigned_twice, 0, "{name}: a lead was assigned twice");

    // A killed node rejoins once started again, a partitioned one once healed (timed from then),
    // a demoted one by itself (timed from the switchover).
    let rejoin_from = match recovery {
        Some((recover, _)) => {
            recover(cluster, old_leader);
            Instant::now()
        }
        None => struck_at,
    };
    let rejoined_in = cluster.wait_rejoined(old_leader, &mut leader, rejoin_from);

    // The simulation job, never rescheduled, fires on the new leader within two intervals.
    let struck = epoch_seconds(struck_wall);
    let first_run_after: f64 = wait_for(
        &format!("{name}: the simulation job on the new leader"),
        Duration::from_secs(150),
        Duration::from_secs(2),
        || {
            scalar::<Option<f64>>(
            &mut leader,
            &format!("SELECT extract(epoch FROM min(start_time))::float8 FROM cron.job_run_details WHERE status = 'succeeded' AND start_time > to_timestamp({struck})"),
        )
        },
    );
    let simulation_gap = Duration::from_secs_f64(first_run_after - last_run_before.unwrap_or(struck));
    assert!(first_run_after - struck <= 120.0, "{name}: the job must fire within two intervals of the fault");

    eprintln!(
        "[ha] {name}: acknowledged writes {} (leads {}, simulate_cycle runs {}, moves to Won {}; by node{old_leader} after the fault {}), lost {}, failover {:.1} s (fault to first acknowledged write on node{new_leader}), simulation gap {:.0} s, node{old_leader} back as a caught-up replica within {:.1} s of {}",
        total, leads.len(), run_ids.len(), acknowledged.won.len(), acknowledged_by_old_leader, lost,
        failover.as_secs_f64(), simulation_gap.as_secs_f64(), rejoined_in.as_secs_f64(),
        recovery.map_or("the switchover", |(_, named)| named)
    );
}

#[test]
#[ignore = "needs the Patroni cluster of scripts/ha: run make test-ha"]
fn acknowledged_writes_survive_a_killed_leader_a_switchover_and_a_partition() {
    let cluster = Arc::new(Cluster::from_env());
    survive(&cluster, "leader killed (SIGKILL of Patroni, postmaster and backends)", |cluster, leader| {
        cluster.kill_node(leader);
        Some((Cluster::start_node, "being started again"))
    });
    survive(&cluster, "planned switchover", |cluster, leader| {
        let candidate = cluster
            .members()
            .into_iter()
            .find(|(_, role, _, _)| role == "sync_standby")
            .map(|m| m.0)
            .expect("a synchronous standby to switch over to");
        let answer = cluster.rest(
            "POST",
            "/switchover",
            Some(&format!(r#"{{"leader": "node{leader}", "candidate": "node{candidate}"}}"#)),
        );
        assert!(answer.contains("witched over"), "the switchover: {answer}");
        None
    });
    survive(
        &cluster,
        "leader partitioned (iptables drops every packet from or to its loopback address)",
        |cluster, leader| {
            cluster.partition("cut", leader);
            Some((Cluster::heal, "the partition being healed"))
        },
    );
}

/// simulate_cycle(5) latencies, p50, over `calls` calls on the leader.
fn simulate_p50(leader: &mut Client, calls: usize) -> Duration {
    let mut times: Vec<Duration> = (0..calls)
        .map(|_| {
            let started = Instant::now();
            leader.query("SELECT * FROM simulate_cycle(5)", &[]).expect("simulate_cycle(5)");
            started.elapsed()
        })
        .collect();
    times.sort();
    times[calls / 2]
}

#[test]
#[ignore = "needs the Patroni cluster of scripts/ha: run make test-ha"]
fn synchronous_replication_cost_of_simulate_cycle() {
    let cluster = Cluster::from_env();
    let mut leader = cluster.leader_client();
    let set_synchronous = |on: bool, leader: &mut Client| {
        cluster.rest("PATCH", "/config", Some(&format!(r#"{{"synchronous_mode": {on}}}"#)));
        wait_for("Patroni to apply synchronous_mode", Duration::from_secs(60), Duration::from_millis(500), || {
            let names: String = scalar(leader, "SELECT current_setting('synchronous_standby_names')");
            (names.is_empty() != on).then_some(())
        });
    };
    set_synchronous(true, &mut leader);
    simulate_p50(&mut leader, 20);
    let synchronous = simulate_p50(&mut leader, 200);
    set_synchronous(false, &mut leader);
    let asynchronous = simulate_p50(&mut leader, 200);
    set_synchronous(true, &mut leader);
    eprintln!(
        "[ha] simulate_cycle(5) p50 on the leader, 200 calls each: synchronous replication {:.2} ms, asynchronous {:.2} ms",
        synchronous.as_secs_f64() * 1000.0,
        asynchronous.as_secs_f64() * 1000.0
    );
}
