//! What the statement-level triggers write: one set-based statement per table and event over the
//! statement's transition tables (`old_rows`, `new_rows`), however many rows it changed.
//!
//! Transition tables are visible to SPI only after `SPI_register_trigger_data`; [`with_changes`]
//! opens the SPI connection that has them.

use std::ffi::CStr;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgRelation;

use super::{run_per_relation, ChangeSize, Statement};
use crate::errors::OrRaise;

/// The event a statement-level trigger fired for, which decides the transition tables it has.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Insert,
    Update,
    Delete,
}

impl Event {
    pub fn of(trigger: &PgTrigger<'_>) -> Option<Event> {
        match trigger.op().ok()? {
            PgTriggerOperation::Insert => Some(Event::Insert),
            PgTriggerOperation::Update => Some(Event::Update),
            PgTriggerOperation::Delete => Some(Event::Delete),
            PgTriggerOperation::Truncate => None,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Update => "UPDATE",
            Event::Delete => "DELETE",
        }
    }

    /// `column` of every row the statement touched, new versions and old (each value once for
    /// an UPDATE), as a query over its transition tables.
    fn touched(self, column: &str) -> String {
        match self {
            Event::Insert => format!("SELECT {column} FROM new_rows"),
            Event::Update => format!("SELECT {column} FROM new_rows UNION SELECT {column} FROM old_rows"),
            Event::Delete => format!("SELECT {column} FROM old_rows"),
        }
    }
}

/// Runs `work` on an SPI connection that sees the trigger's transition tables.
pub fn with_changes<R>(trigger: &PgTrigger<'_>, work: impl FnOnce(&mut SpiClient<'_>) -> R) -> R {
    Spi::connect_mut(|client| {
        // SAFETY: the trigger data outlives this call; PostgreSQL only reads it to register the
        // transition tables as ephemeral relations of the current SPI connection.
        let registered =
            unsafe { pg_sys::SPI_register_trigger_data(std::ptr::from_ref(trigger.trigger_data()).cast_mut()) };
        if registered != pg_sys::SPI_OK_TD_REGISTER as i32 {
            crate::errors::raise(
                pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("lead_assigner: registering the transition tables failed ({registered})"),
                "This is a bug in lead_assigner; please report it with the server log.",
            );
        }
        let rows = |table: *mut pg_sys::Tuplestorestate| {
            if table.is_null() {
                0
            } else {
                // SAFETY: a transition table the trigger has lives as long as its data.
                unsafe { pg_sys::tuplestore_tuple_count(table) }
            }
        };
        let data = trigger.trigger_data();
        ChangeSize::of(rows(data.tg_oldtable).max(rows(data.tg_newtable))).during(|| work(client))
    })
}

/// The context every audit row of one statement shares, computed once here instead of five
/// volatile column defaults per row, and passed as parameters ($3 to $7): the same values as
/// clock_timestamp(), inet_client_addr(), session_user, current_setting('application_name')
/// and txid_current(), without a subquery per column in every audit statement.
fn audit_context() -> [DatumWithOid<'static>; 5] {
    // SAFETY: each call reads the backend's own state: the clock, its client connection, its
    // session user, a GUC string and its top transaction id (assigned already: the statement
    // being audited wrote a row).
    unsafe {
        let ip_address = pgrx::direct_function_call_as_datum(pg_sys::inet_client_addr, &[]);
        let db_user = CStr::from_ptr(pg_sys::GetUserNameFromId(pg_sys::GetSessionUserId(), false));
        let application_name =
            if pg_sys::application_name.is_null() { c"" } else { CStr::from_ptr(pg_sys::application_name) };
        [
            DatumWithOid::new(pg_sys::GetCurrentTimestamp(), pg_sys::TIMESTAMPTZOID),
            match ip_address {
                Some(address) => DatumWithOid::new(address, pg_sys::INETOID),
                None => DatumWithOid::null_oid(pg_sys::INETOID),
            },
            db_user.to_string_lossy().into_owned().into(),
            application_name.to_string_lossy().into_owned().into(),
            DatumWithOid::new(pg_sys::GetTopFullTransactionId().value as i64, pg_sys::INT8OID),
        ]
    }
}

/// One audit_logs row per changed row, with the old and new images as jsonb. An UPDATE's
/// transition tables hold old and new versions in the same order, so the n-th old row pairs
/// with the n-th new one (primary keys may change, so they cannot pair them).
pub fn audit(client: &mut SpiClient<'_>, relation: &PgRelation, event: Event) {
    let [changed_at, ip_address, db_user, application_name, transaction_id] = audit_context();
    run_per_relation(
        client,
        relation,
        event,
        "audit",
        &[
            pg_sys::TEXTOID,
            pg_sys::TEXTOID,
            pg_sys::TIMESTAMPTZOID,
            pg_sys::INETOID,
            pg_sys::TEXTOID,
            pg_sys::TEXTOID,
            pg_sys::INT8OID,
        ],
        &[
            relation.name().into(),
            event.action().into(),
            changed_at,
            ip_address,
            db_user,
            application_name,
            transaction_id,
        ],
        || {
            let (images, changed_rows) = match event {
                Event::Insert => ("NULL::jsonb, to_jsonb(n)", "new_rows n"),
                Event::Delete => ("to_jsonb(o), NULL::jsonb", "old_rows o"),
                // The rows are paired as they are, and only then turned into jsonb: the pairing
                // sorts or hashes one side, and a row is a third of the size of its image.
                Event::Update => (
                    "to_jsonb(o.version), to_jsonb(n.version)",
                    "(SELECT row_number() OVER () AS i, o AS version FROM old_rows o) o \
                     JOIN (SELECT row_number() OVER () AS i, n AS version FROM new_rows n) n USING (i)",
                ),
            };
            format!(
                "INSERT INTO lead_management.audit_logs \
                 (table_name, action, old_value, new_value, changed_at, ip_address, db_user, application_name, transaction_id) \
                 SELECT $1, $2, {images}, $3, $4, $5, $6, $7 FROM {changed_rows}"
            )
        },
    )
    .or_raise("writing the audit rows");
}

static RECORD_VERSIONS: Statement = Statement {
    sql: "INSERT INTO lead_management.assignment_records \
          (assigned_at, seller_document_number, lead_document_number, assignment_status_id, updated_at, assignment_id) \
          SELECT n.assigned_at, n.seller_document_number, n.lead_document_number, n.assignment_status_id, clock_timestamp(), n.assignment_id \
          FROM new_rows n",
    arg_types: &[],
};

/// Every new version of an assignment goes to assignment_records.
pub fn record_versions(client: &mut SpiClient<'_>) {
    RECORD_VERSIONS.run(client, &[]).or_raise("writing the assignment history");
}

static CREATE_PENDING_FOR_NEW_LEADS: Statement = Statement {
    sql: "INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id) \
          SELECT n.document_number, s.assignment_status_id \
          FROM new_rows n, lead_management.assignment_statuses s WHERE lower(btrim(s.name)) = 'pending' \
          ON CONFLICT (lead_document_number) DO NOTHING",
    arg_types: &[],
};

/// Every lead a statement inserted gets its Pending assignment.
pub fn create_pending_for_new_leads(client: &mut SpiClient<'_>) {
    CREATE_PENDING_FOR_NEW_LEADS.run(client, &[]).or_raise("creating the Pending assignments");
}

static BUSINESS_LINES_OF_NEW_LEADS: Statement = Statement {
    sql: "SELECT coalesce(array_agg(DISTINCT business_line_id ORDER BY business_line_id), '{}') FROM new_rows",
    arg_types: &[],
};

pub fn business_lines_of_new_leads(client: &mut SpiClient<'_>) -> Vec<i32> {
    BUSINESS_LINES_OF_NEW_LEADS
        .query(client, &[])
        .or_raise("reading the new leads' business lines")
        .first()
        .get(1)
        .or_raise("reading the new leads' business lines")
        .unwrap_or_default()
}

/// Status ids the derived-state statements need, as subqueries (planned once, read per run).
const PENDING_STATUS: &str =
    "(SELECT assignment_status_id FROM lead_management.assignment_statuses WHERE lower(btrim(name)) = 'pending')";
const OPEN_STATUSES: &str =
    "(SELECT assignment_status_id FROM lead_management.assignment_statuses WHERE occupies_capacity)";

/// Whether the installed schema keys the queue by country (0.3.0 on). A 0.2.0 database is served
/// by this library too until `ALTER EXTENSION lead_assigner UPDATE`, and its queue has no such
/// column. Three catalog cache lookups, no query.
fn queue_has_country() -> bool {
    // SAFETY: catalog cache lookups by name; a missing schema or table gives InvalidOid.
    unsafe {
        let schema = pg_sys::get_namespace_oid(c"lead_management".as_ptr(), true);
        let queue = pg_sys::get_relname_relid(c"assignment_queue".as_ptr(), schema);
        queue != pg_sys::InvalidOid
            && pg_sys::get_attnum(queue, c"country_id".as_ptr()) != pg_sys::InvalidAttrNumber as pg_sys::AttrNumber
    }
}

/// Keeps seller_loads, assignment_queue and seller_hourly_assignments equal to what assignments
/// says, by the difference a statement made: a lead leaves the queue when its row stops being
/// Pending and enters when a row becomes Pending; a seller's load moves by its open rows gained
/// minus its open rows lost; a new assignment adds one to its seller's hour.
/// One statement; sellers' rows are updated in document_number order, so two sessions never
/// wait on each other in a cycle.
pub fn track_assignment_state(client: &mut SpiClient<'_>, relation: &PgRelation, event: Event) {
    // Kept plans are per statement name: one for each shape of the queue.
    let with_country = queue_has_country();
    let statement = if with_country { "assignment state" } else { "assignment state, queue without countries" };
    run_per_relation(client, relation, event, statement, &[], &[], || {
        let has_old = event != Event::Insert;
        let has_new = event != Event::Delete;
        let mut steps = Vec::new();
        if has_old {
            // Only a Pending row's lead is queued, so the old rows need no filter on their status
            // (which would also make the planner guess 0.5% of them and probe the queue's index
            // once per row of a 100,000-row UPDATE). A row still Pending for the same lead stays
            // queued.
            let still_pending = if has_new {
                format!(
                    " AND NOT EXISTS (SELECT FROM new_rows n WHERE n.assignment_id = o.assignment_id \
                       AND n.lead_document_number = o.lead_document_number AND n.assignment_status_id = {PENDING_STATUS})"
                )
            } else {
                String::new()
            };
            steps.push(format!(
                "dequeued AS (DELETE FROM lead_management.assignment_queue q USING old_rows o \
                 WHERE q.lead_document_number = o.lead_document_number{still_pending})"
            ));
        }
        if has_new {
            let (country, lead_country) = if with_country { (", country_id", ", l.country_id") } else { ("", "") };
            steps.push(format!(
                "enqueued AS (INSERT INTO lead_management.assignment_queue (lead_document_number, business_line_id, priority{country}) \
                 SELECT n.lead_document_number, l.business_line_id, l.priority{lead_country} \
                 FROM new_rows n JOIN lead_management.leads l ON l.document_number = n.lead_document_number \
                 WHERE n.assignment_status_id = {PENDING_STATUS} \
                 ON CONFLICT (lead_document_number) DO NOTHING)"
            ));
        }
        if has_new {
            // A new assignment (a seller and time it did not have before) counts towards the
            // seller's daily cap in the UTC hour it was made.
            let unchanged = if has_old {
                " AND NOT EXISTS (SELECT FROM old_rows o WHERE o.assignment_id = n.assignment_id \
                   AND o.seller_document_number IS NOT DISTINCT FROM n.seller_document_number \
                   AND o.assigned_at IS NOT DISTINCT FROM n.assigned_at)"
            } else {
                ""
            };
            steps.push(format!(
                "counted AS (INSERT INTO lead_management.seller_hourly_assignments AS h (seller_document_number, hour, assigned) \
                 SELECT n.seller_document_number, date_trunc('hour', n.assigned_at, 'UTC'), count(*) FROM new_rows n \
                 WHERE n.seller_document_number IS NOT NULL AND n.assigned_at IS NOT NULL{unchanged} \
                 GROUP BY 1, 2 ORDER BY 1, 2 \
                 ON CONFLICT (seller_document_number, hour) DO UPDATE SET assigned = h.assigned + excluded.assigned)"
            ));
        }
        let mut deltas = Vec::new();
        if has_new {
            deltas.push(format!(
                "SELECT n.seller_document_number, 1 FROM new_rows n \
                 WHERE n.seller_document_number IS NOT NULL AND n.assignment_status_id IN {OPEN_STATUSES}"
            ));
        }
        if has_old {
            deltas.push(format!(
                "SELECT o.seller_document_number, -1 FROM old_rows o \
                 WHERE o.seller_document_number IS NOT NULL AND o.assignment_status_id IN {OPEN_STATUSES}"
            ));
        }
        format!(
            "WITH {} INSERT INTO lead_management.seller_loads AS l (seller_document_number, open_leads) \
             SELECT seller, sum(delta) FROM ({}) AS d(seller, delta) \
             GROUP BY seller HAVING sum(delta) <> 0 ORDER BY seller \
             ON CONFLICT (seller_document_number) DO UPDATE SET open_leads = l.open_leads + excluded.open_leads",
            steps.join(", "),
            deltas.join(" UNION ALL ")
        )
    })
    .or_raise("keeping seller loads and the assignment queue");
}

/// Keeps seller_schedules equal to seller_hours: every seller the statement touched gets its
/// windows packed again, or loses its row when it has none left. Its sellers row is locked
/// first and the packing is a second statement, with a new snapshot: two sessions changing one
/// seller's hours pack one after the other, the second with the first one's rows.
pub fn track_seller_schedule(client: &mut SpiClient<'_>, relation: &PgRelation, event: Event) {
    run_per_relation(client, relation, event, "schedule lock", &[], &[], || {
        let touched = event.touched("seller_document_number");
        format!(
            "SELECT count(*) FROM (SELECT FROM lead_management.sellers WHERE document_number IN ({touched}) \
             ORDER BY document_number FOR NO KEY UPDATE) AS locked"
        )
    })
    .or_raise("locking the sellers whose hours changed");
    run_per_relation(client, relation, event, "schedule pack", &[], &[], || {
        let touched = event.touched("seller_document_number");
        format!(
            "WITH touched AS ({touched}), \
             packed AS (SELECT h.seller_document_number, {} AS windows FROM lead_management.seller_hours h \
                        WHERE h.seller_document_number IN (SELECT seller_document_number FROM touched) GROUP BY 1), \
             emptied AS (DELETE FROM lead_management.seller_schedules s \
                         WHERE s.seller_document_number IN (SELECT seller_document_number FROM touched) \
                           AND NOT EXISTS (SELECT FROM packed p WHERE p.seller_document_number = s.seller_document_number)) \
             INSERT INTO lead_management.seller_schedules AS s (seller_document_number, windows) \
             SELECT seller_document_number, windows FROM packed ORDER BY 1 \
             ON CONFLICT (seller_document_number) DO UPDATE SET windows = excluded.windows",
            packed_windows!()
        )
    })
    .or_raise("keeping the sellers' schedules");
}

static CLEAR_SCHEDULES: Statement = Statement { sql: "DELETE FROM lead_management.seller_schedules", arg_types: &[] };

/// seller_hours was truncated: no seller has working hours left.
pub fn clear_schedules(client: &mut SpiClient<'_>) {
    CLEAR_SCHEDULES.run(client, &[]).or_raise("clearing the sellers' schedules");
}

/// Gives every business line whose sellers (or their working hours) the statement changed a new
/// roster version: backends that keep those sellers read them again. Lines in order, so that two
/// statements never wait on each other in a cycle.
pub fn track_seller_roster(client: &mut SpiClient<'_>, relation: &PgRelation, event: Event) {
    run_per_relation(client, relation, event, "roster", &[], &[], || {
        let lines = if relation.name() == "sellers" {
            event.touched("business_line_id")
        } else {
            let sellers = event.touched("seller_document_number");
            format!("SELECT s.business_line_id FROM lead_management.sellers s WHERE s.document_number IN ({sellers})")
        };
        format!(renew_roster_versions!("{}"), lines)
    })
    .or_raise("renewing the sellers' roster version");
}

/// A statement on seller_countries may have narrowed the territories of the sellers it touched:
/// under their lines' locks (taken in ascending order, as every path that moves open leads
/// does), each open lead one of them holds from a country outside its territory now goes back
/// to Pending, all in one statement.
pub fn release_outside_territory(client: &mut SpiClient<'_>, relation: &PgRelation, event: Event) {
    let sellers_and_lines = run_per_relation(client, relation, event, "territory sellers", &[], &[], || {
        let touched = event.touched("seller_document_number");
        format!(
            "SELECT coalesce(array_agg(s.document_number), '{{}}'), coalesce(array_agg(DISTINCT s.business_line_id), '{{}}') \
             FROM lead_management.sellers s WHERE s.document_number IN ({touched})"
        )
    })
    .or_raise("reading the sellers whose territories changed")
    .first();
    let sellers: Vec<String> = sellers_and_lines.get(1).or_raise("reading the touched sellers").unwrap_or_default();
    let lines: Vec<i32> = sellers_and_lines.get(2).or_raise("reading the touched sellers").unwrap_or_default();
    if sellers.is_empty() {
        return;
    }
    super::locks::lock_business_lines(client, &lines);
    super::lifecycle::release_outside_territory(client, &sellers, &[]);
}
