//! In-place upgrades: `CREATE EXTENSION lead_assigner VERSION '0.1.0'` (or '0.2.0') with the
//! installed package, data and history written at that version, `ALTER EXTENSION lead_assigner
//! UPDATE` step by step along the chain, then after each step every row kept and the catalog
//! identical to a fresh install of that version, and the engine, the simulator and a pg_cron job
//! scheduled before the upgrade all working after it.

use std::collections::BTreeMap;

use lead_assigner_e2e::*;

/// The version this build installs by default (the upgrade chain's end): the extension crate's.
fn current_version() -> &'static str {
    include_str!("../../Cargo.toml")
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a version in the extension's Cargo.toml")
}

/// Everything the extension puts in a database, one sorted text line per object detail:
/// columns, constraints, indexes, triggers, functions, views, sequences, comments, privileges,
/// extension membership and pg_dump registration. pg_dump leaves extension members out, so it
/// cannot show this.
const CATALOG: &str = "
WITH members AS (
    SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'lead_assigner' AND d.deptype = 'e'),
rels AS (SELECT c.oid, c.relname, c.relkind, c.relacl FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid),
procs AS (SELECT p.oid FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid)
SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
UNION ALL SELECT format('relation %s kind %s acl %s comment %s', relname, relkind, relacl, obj_description(oid, 'pg_class')) FROM rels
UNION ALL SELECT format('column %s.%s #%s %s notnull=%s default=%s collation=%s comment=%s', r.relname, a.attname, a.attnum,
                        format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
                        a.attcollation::regcollation, col_description(r.oid, a.attnum))
    FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
UNION ALL SELECT format('constraint %s on %s: %s', c.conname, r.relname, pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN rels r ON r.oid = c.conrelid
UNION ALL SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels r ON r.oid = i.indrelid
UNION ALL SELECT format('trigger %s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL SELECT 'view ' || r.relname || ': ' || pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind = 'v'
UNION ALL SELECT format('sequence %s owned by %s', r.relname, pg_get_serial_sequence_owner.owner)
    FROM rels r CROSS JOIN LATERAL (SELECT string_agg(t.relname || '.' || a.attname, ',') AS owner
        FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.objid = r.oid AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass) pg_get_serial_sequence_owner
    WHERE r.relkind = 'S'
UNION ALL SELECT format('function %s acl %s comment %s', pg_get_functiondef(p.oid), p2.proacl, obj_description(p.oid, 'pg_proc'))
    FROM procs p JOIN pg_proc p2 ON p2.oid = p.oid
UNION ALL SELECT format('dumped %s where %s', c::regclass, w)
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(c, w) WHERE e.extname = 'lead_assigner'
UNION ALL SELECT 'role ' || rolname || ' ' || coalesce(shobj_description(oid, 'pg_authid'), '')
    FROM pg_roles WHERE rolname LIKE 'lead_assigner%'
ORDER BY 1";

fn catalog(client: &mut Client) -> Vec<String> {
    client
        .query(CATALOG, &[])
        .unwrap_or_else(|error| panic!("reading the catalog: {}", describe(&error)))
        .iter()
        .map(|row| row.get::<_, Option<String>>(0).unwrap_or_default())
        .collect()
}

/// Per table, row count and md5 of its rows restricted to the columns it has now (so columns
/// the upgrade adds do not count as changes).
fn fingerprints(client: &mut Client, columns: &BTreeMap<String, String>) -> BTreeMap<String, (i64, Option<String>)> {
    columns
        .iter()
        .map(|(table, list)| {
            let sql = format!(
                "SELECT count(*), md5(string_agg(r::text, '|' ORDER BY r::text)) FROM (SELECT {list} FROM lead_management.{table}) r"
            );
            let row = client.query_one(&sql, &[]).unwrap_or_else(|error| panic!("{sql}: {}", describe(&error)));
            (table.clone(), (row.get(0), row.get(1)))
        })
        .collect()
}

/// Every ordinary or partitioned table of lead_management with its column list.
fn table_columns(client: &mut Client) -> BTreeMap<String, String> {
    client
        .query(
            "SELECT c.relname::text, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE n.nspname = 'lead_management' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             GROUP BY c.relname",
            &[],
        )
        .expect("table columns")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// Per table: its columns before the upgrade, and the fingerprint of its rows over them.
type Snapshot = (BTreeMap<String, String>, BTreeMap<String, (i64, Option<String>)>);

/// Data and history written with the API of the installed version (at 0.1.0 by its row-level
/// triggers): leads, sellers, assignments moved through several statuses, so the upgrade has
/// rows, audit rows and history rows to keep. Returns the tables' columns and fingerprints.
fn write_data(client: &mut Client) -> Snapshot {
    client
        .batch_execute(&format!(
            "{SEED_SELLERS};
             INSERT INTO lead_management.leads (document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)
             SELECT 'U' || i, 'Una', 'Upgrade', '+1-555-0100', 'u' || i || '@example.com', 1 + i % 4, 1, 1
             FROM generate_series(1, 60) AS i;
             UPDATE lead_management.assignments a SET seller_document_number = s.document_number, assigned_at = now(), assignment_status_id = 2
             FROM lead_management.leads l, lead_management.sellers s
             WHERE l.document_number = a.lead_document_number AND s.business_line_id = l.business_line_id
               AND s.document_number IN ('1001', '1002', '1003') AND l.document_number < 'U4';
             UPDATE lead_management.assignments SET assignment_status_id = 4 WHERE lead_document_number IN ('U1', 'U2', 'U3');"
        ))
        .expect("data before the upgrade");
    let columns = table_columns(client);
    let before = fingerprints(client, &columns);
    for table in ["leads", "sellers", "assignments", "assignment_records", "audit_logs"] {
        assert!(before[table].0 > 0, "nothing to compare in {table}");
    }
    (columns, before)
}

fn extversion(client: &mut Client) -> String {
    scalar(client, "SELECT extversion FROM pg_extension WHERE extname = 'lead_assigner'")
}

/// `ALTER EXTENSION lead_assigner UPDATE [TO version]` (None: to the default version), then: the
/// version reached, every row kept, and the catalog equal to a fresh install of that version
/// (`fresh`, a database where it was installed with CREATE EXTENSION).
fn update_and_compare(client: &mut Client, to: Option<&str>, fresh: &mut Client, (columns, before): &Snapshot) {
    let target = to.unwrap_or_else(|| current_version());
    let statement = match to {
        Some(version) => format!("ALTER EXTENSION lead_assigner UPDATE TO '{version}'"),
        None => "ALTER EXTENSION lead_assigner UPDATE".to_owned(),
    };
    client.batch_execute(&statement).unwrap_or_else(|error| panic!("{statement}: {}", describe(&error)));
    assert_eq!(extversion(client), target);
    assert_eq!(extversion(fresh), target);

    let after = fingerprints(client, columns);
    let differing: Vec<_> = before.keys().filter(|table| before[*table] != after[*table]).collect();
    assert!(differing.is_empty(), "rows changed by the upgrade to {target} in {differing:?}");

    let (upgraded, installed) = (catalog(client), catalog(fresh));
    let only_upgraded: Vec<_> = upgraded.iter().filter(|line| !installed.contains(line)).collect();
    let only_installed: Vec<_> = installed.iter().filter(|line| !upgraded.contains(line)).collect();
    assert!(
        only_upgraded.is_empty() && only_installed.is_empty(),
        "catalog after the upgrade to {target} differs from a fresh install:\nonly after upgrade: {only_upgraded:#?}\nonly in a fresh install: {only_installed:#?}"
    );
}

/// The derived state was built from the older data, and the engine runs on it.
fn assert_engine_runs(client: &mut Client) {
    assert_eq!(
        scalar::<i64>(client, "SELECT sum(violations)::bigint FROM check_invariants()"),
        0,
        "invariants after the upgrade"
    );
    assert!(scalar::<i32>(client, "SELECT assign_leads()") > 0, "pending leads from before the upgrade get assigned");
    assert_eq!(scalar::<i32>(client, "SELECT inserted FROM simulate_cycle(3)"), 3);
    assert_eq!(scalar::<i64>(client, "SELECT sum(violations)::bigint FROM check_invariants()"), 0);
}

/// A new database with `CREATE EXTENSION lead_assigner VERSION 'version'`.
fn database_at(test: &str, version: &str) -> String {
    let database = fresh_database(test);
    connect(&database)
        .batch_execute(&format!(
            "DROP EXTENSION lead_assigner CASCADE; CREATE EXTENSION lead_assigner VERSION '{version}'"
        ))
        .unwrap_or_else(|error| panic!("installing {version}: {}", describe(&error)));
    database
}

#[test]
fn upgrade_from_0_1_0_through_0_2_0_keeps_every_row_and_matches_a_fresh_install() {
    let mut fresh_0_2_0 = connect(&database_at("upgrade_fresh_0_2_0", "0.2.0"));
    let mut fresh = connect(&fresh_database("upgrade_fresh"));
    assert_eq!(extversion(&mut fresh), current_version());

    // The pg_cron database: jobs can only run there.
    let cron_db = cron_database();
    let mut client = connect(&cron_db);
    client
        .batch_execute(
            "CREATE EXTENSION IF NOT EXISTS pg_cron;
             SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'lead_assigner%';
             DROP EXTENSION IF EXISTS lead_assigner CASCADE;
             CREATE EXTENSION lead_assigner VERSION '0.1.0';",
        )
        .expect("install 0.1.0");
    let data = write_data(&mut client);
    client.batch_execute("SELECT start_simulation('1 minute')").expect("schedule the simulation at 0.1.0");
    let job = simulation_job_id(&mut client).expect("the simulation is scheduled at 0.1.0");

    // Each step of the chain on its own: 0.1.0 -> 0.2.0 equals the frozen 0.2.0 install script.
    update_and_compare(&mut client, Some("0.2.0"), &mut fresh_0_2_0, &data);
    update_and_compare(&mut client, None, &mut fresh, &data);
    assert_engine_runs(&mut client);
    assert_eq!(
        scalar::<i64>(&mut client, "SELECT count(*) FROM cron.job WHERE jobname = 'lead_assigner_maintenance'"),
        1,
        "the upgrade schedules maintain() where pg_cron is"
    );
    let last_run: i64 =
        scalar(&mut client, &format!("SELECT coalesce(max(runid), 0) FROM cron.job_run_details WHERE jobid = {job}"));
    eprintln!("upgrade: waiting for the simulation job scheduled at 0.1.0 to run after the upgrade (up to 150 s)");
    wait_for_succeeded_run(&mut client, job, last_run);
    assert_eq!(scalar::<i64>(&mut client, "SELECT sum(violations)::bigint FROM check_invariants()"), 0);
    client
        .batch_execute("SELECT stop_simulation(); SELECT cron.unschedule('lead_assigner_maintenance');")
        .expect("unschedule");
}

#[test]
fn upgrade_from_0_2_0_keeps_every_row_and_matches_a_fresh_install() {
    let mut fresh = connect(&fresh_database("upgrade_fresh_current"));
    let mut client = connect(&database_at("upgrade_from_0_2_0", "0.2.0"));
    let data = write_data(&mut client);
    // The 0.2.0 API moves leads too, so the history has versions written by the functions.
    client.batch_execute("SELECT set_assignment_status('U10', 'In Progress')").expect("assignments at 0.2.0");
    let data = (data.0.clone(), fingerprints(&mut client, &data.0));
    update_and_compare(&mut client, None, &mut fresh, &data);
    assert_engine_runs(&mut client);
}
