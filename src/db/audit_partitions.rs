//! Upkeep of what only grows. audit_logs is partitioned by month (UTC). maintain() creates the coming months' partitions
//! ahead of time, moves rows that landed in the DEFAULT partition (no monthly partition covered
//! them yet) into their month, and drops whole months past the retention. Rows never leave one
//! by one: a month leaves whole, and the drop is itself logged in audit_logs.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::Statement;
use crate::errors::OrRaise;

/// Months (as partition suffix YYYY_MM, UTC bounds) that need a partition: this one and the
/// next `$1`, and every month that has rows in the DEFAULT partition.
static MONTHS_WITHOUT_PARTITION: Statement = Statement {
    sql: "WITH this_month AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AS m), \
               wanted AS (SELECT generate_series(m, m + make_interval(months => $1), interval '1 month') AS m FROM this_month \
                          UNION SELECT DISTINCT date_trunc('month', changed_at AT TIME ZONE 'UTC') FROM lead_management.audit_logs_default) \
          SELECT to_char(m, 'YYYY_MM'), (m AT TIME ZONE 'UTC')::text, ((m + interval '1 month') AT TIME ZONE 'UTC')::text \
          FROM wanted w \
          WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                            WHERE n.nspname = 'lead_management' AND c.relname = 'audit_logs_' || to_char(w.m, 'YYYY_MM')) \
          ORDER BY m",
    arg_types: &[pg_sys::INT4OID],
};

/// Monthly partitions whose whole month ended before now() - retention (`$1` seconds).
static EXPIRED_PARTITIONS: Statement = Statement {
    sql: "SELECT substr(c.relname, 12), p.month_start::text, (p.month_start + interval '1 month')::text \
          FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid \
          CROSS JOIN LATERAL (SELECT (to_timestamp(substr(c.relname, 12), 'YYYY_MM')::timestamp AT TIME ZONE 'UTC') AS month_start) p \
          WHERE i.inhparent = 'lead_management.audit_logs'::regclass AND c.relname ~ '^audit_logs_[0-9]{4}_[0-9]{2}$' \
            AND p.month_start + interval '1 month' <= now() - make_interval(secs => $1) \
          ORDER BY c.relname",
    arg_types: &[pg_sys::INT4OID],
};

static LOG_PRUNE: Statement = Statement {
    sql: "INSERT INTO lead_management.audit_logs (table_name, action, old_value) \
          VALUES ('audit_logs', 'PRUNE', jsonb_build_object('partition', $1::text, 'from', $2::timestamptz, 'to', $3::timestamptz, \
                  'rows', $4::bigint, 'retention', make_interval(secs => $5)::text))",
    arg_types: &[pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT8OID, pg_sys::INT4OID],
};

/// One thing maintain() did: (action, partition, rows).
pub type Step = (String, String, i64);

/// A month's partition, its bounds as timestamptz literals.
struct Month {
    suffix: String,
    from: String,
    to: String,
}

fn months(client: &mut SpiClient<'_>, statement: &'static Statement, arg: i32) -> Vec<Month> {
    statement
        .query(client, &[arg.into()])
        .or_raise("listing audit partitions")
        .map(|row| Month {
            suffix: row.get(1).or_raise("reading a partition").unwrap_or_default(),
            from: row.get(2).or_raise("reading a partition").unwrap_or_default(),
            to: row.get(3).or_raise("reading a partition").unwrap_or_default(),
        })
        .collect()
}

/// Creates the partitions of this month and the next `months_ahead`, and of every month that
/// has rows in the DEFAULT partition, moving those rows in. Names and bounds come from the
/// catalog query above (digits only), so the DDL needs no quoting beyond the literals.
pub fn create_ahead(client: &mut SpiClient<'_>, months_ahead: i32) -> Vec<Step> {
    let mut steps = Vec::new();
    for month in months(client, &MONTHS_WITHOUT_PARTITION, months_ahead) {
        let partition = format!("lead_management.audit_logs_{}", month.suffix);
        let (from, to) = (&month.from, &month.to);
        // A partition cannot be created over rows the DEFAULT partition holds for its range:
        // build it beside, move those rows, then attach.
        client
            .update(
                &format!(
                    "CREATE TABLE {partition} (LIKE lead_management.audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS, \
                     PRIMARY KEY (audit_log_id))"
                ),
                None,
                &[],
            )
            .or_raise("creating an audit partition");
        let moved = client
            .update(
                &format!(
                    "WITH moved AS (DELETE FROM lead_management.audit_logs_default \
                     WHERE changed_at >= '{from}' AND changed_at < '{to}' RETURNING *) \
                     INSERT INTO {partition} SELECT * FROM moved"
                ),
                None,
                &[],
            )
            .or_raise("moving audit rows into their partition")
            .len();
        client
            .update(
                &format!(
                    "ALTER TABLE lead_management.audit_logs ATTACH PARTITION {partition} FOR VALUES FROM ('{from}') TO ('{to}')"
                ),
                None,
                &[],
            )
            .or_raise("attaching an audit partition");
        client
            .update(
                &format!(
                    "COMMENT ON TABLE {partition} IS 'Audit rows of {} (UTC), created by maintain()'",
                    month.suffix
                ),
                None,
                &[],
            )
            .or_raise("commenting an audit partition");
        steps.push(("created".to_owned(), partition, i64::try_from(moved).unwrap_or(i64::MAX)));
    }
    steps
}

/// Detaches and drops every month past `retention_seconds`, logging each drop as a PRUNE row.
pub fn drop_expired(client: &mut SpiClient<'_>, retention_seconds: i32) -> Vec<Step> {
    let mut steps = Vec::new();
    for month in months(client, &EXPIRED_PARTITIONS, retention_seconds) {
        let partition = format!("lead_management.audit_logs_{}", month.suffix);
        let rows: i64 = client
            .select(&format!("SELECT count(*) FROM {partition}"), None, &[])
            .or_raise("counting an expired partition")
            .first()
            .get(1)
            .or_raise("counting an expired partition")
            .unwrap_or(0);
        for ddl in [
            format!("ALTER TABLE lead_management.audit_logs DETACH PARTITION {partition}"),
            format!("DROP TABLE {partition}"),
        ] {
            client.update(&ddl, None, &[]).or_raise("dropping an expired audit partition");
        }
        LOG_PRUNE
            .run(
                client,
                &[
                    partition.as_str().into(),
                    month.from.as_str().into(),
                    month.to.as_str().into(),
                    rows.into(),
                    retention_seconds.into(),
                ],
            )
            .or_raise("logging the pruned partition");
        steps.push(("dropped".to_owned(), partition, rows));
    }
    steps
}

/// Daily caps read the last 25 hours; older buckets only take room.
static FORGET_OLD_HOURLY_COUNTS: Statement = Statement {
    sql: "DELETE FROM lead_management.seller_hourly_assignments WHERE hour < now() - interval '26 hours'",
    arg_types: &[],
};

pub fn forget_old_hourly_counts(client: &mut SpiClient<'_>) -> Option<Step> {
    let removed = FORGET_OLD_HOURLY_COUNTS.run(client, &[]).or_raise("forgetting old hourly counts").len();
    (removed > 0).then(|| {
        (
            "pruned".to_owned(),
            "lead_management.seller_hourly_assignments".to_owned(),
            i64::try_from(removed).unwrap_or(i64::MAX),
        )
    })
}
