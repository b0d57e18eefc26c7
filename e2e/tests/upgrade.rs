//! In-place upgrades: `CREATE EXTENSION lead_assigner VERSION '0.1.0'` with the installed
//! package, data and history written at 0.1.0, `ALTER EXTENSION lead_assigner UPDATE`, then
//! every row kept, the catalog identical to a fresh install of the new version, and the engine,
//! the simulator and a pg_cron job scheduled before the upgrade all working after it.

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

#[test]
fn upgrade_from_0_1_0_keeps_every_row_and_matches_a_fresh_install() {
    let database = fresh_database("upgrade_fresh");
    let mut fresh = connect(&database);
    assert_eq!(
        scalar::<String>(&mut fresh, "SELECT extversion FROM pg_extension WHERE extname = 'lead_assigner'"),
        current_version()
    );

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
    // Data and history at 0.1.0, written by its row-level triggers: leads, sellers, assignments
    // moved through several statuses (direct UPDATEs fire the history and audit triggers).
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
             UPDATE lead_management.assignments SET assignment_status_id = 4 WHERE lead_document_number IN ('U1', 'U2', 'U3');
             SELECT start_simulation('1 minute');"
        ))
        .expect("data at 0.1.0");
    let columns = table_columns(&mut client);
    let before = fingerprints(&mut client, &columns);
    for table in ["leads", "sellers", "assignments", "assignment_records", "audit_logs"] {
        assert!(before[table].0 > 0, "nothing to compare in {table}");
    }
    let job = simulation_job_id(&mut client).expect("the simulation is scheduled at 0.1.0");

    client.batch_execute("ALTER EXTENSION lead_assigner UPDATE").expect("ALTER EXTENSION lead_assigner UPDATE");
    assert_eq!(
        scalar::<String>(&mut client, "SELECT extversion FROM pg_extension WHERE extname = 'lead_assigner'"),
        current_version()
    );

    let after = fingerprints(&mut client, &columns);
    let differing: Vec<_> = before.keys().filter(|table| before[*table] != after[*table]).collect();
    assert!(differing.is_empty(), "rows changed by the upgrade in {differing:?}");

    let (upgraded, installed) = (catalog(&mut client), catalog(&mut fresh));
    let only_upgraded: Vec<_> = upgraded.iter().filter(|line| !installed.contains(line)).collect();
    let only_installed: Vec<_> = installed.iter().filter(|line| !upgraded.contains(line)).collect();
    assert!(
        only_upgraded.is_empty() && only_installed.is_empty(),
        "catalog after upgrade differs from a fresh install:\nonly after upgrade: {only_upgraded:#?}\nonly in a fresh install: {only_installed:#?}"
    );

    // The derived state was built from the 0.1.0 data, and the engine runs on it.
    let broken: i64 = scalar(&mut client, "SELECT sum(violations)::bigint FROM check_invariants()");
    assert_eq!(broken, 0, "invariants after the upgrade");
    assert!(scalar::<i32>(&mut client, "SELECT assign_leads()") > 0, "pending 0.1.0 leads get assigned");
    assert_eq!(scalar::<i32>(&mut client, "SELECT inserted FROM simulate_cycle(3)"), 3);
    assert_eq!(scalar::<i64>(&mut client, "SELECT sum(violations)::bigint FROM check_invariants()"), 0);
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
