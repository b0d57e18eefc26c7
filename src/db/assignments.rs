//! Reads and writes of assignments: set-based, one statement per step of a run.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

use super::Statement;
use crate::errors::{raise, OrRaise};

/// The status ids one run needs, read once per run (the table is tiny and users may add rows).
pub struct Statuses {
    pub pending: i32,
    pub assigned: i32,
    /// Statuses whose assignments hold a seller's slot.
    pub open: Vec<i32>,
}

static READ_STATUSES: Statement = Statement {
    sql: "SELECT assignment_status_id, lower(btrim(name)), occupies_capacity FROM lead_management.assignment_statuses",
    arg_types: &[],
};

pub fn statuses(client: &mut SpiClient<'_>) -> Statuses {
    let (mut pending, mut assigned, mut open) = (None, None, Vec::new());
    for row in READ_STATUSES.run(client, &[]).or_raise("reading assignment statuses") {
        let id: i32 = row.get(1).or_raise("reading a status id").unwrap_or_default();
        let name: String = row.get(2).or_raise("reading a status name").unwrap_or_default();
        if row.get::<bool>(3).or_raise("reading occupies_capacity").unwrap_or(false) {
            open.push(id);
        }
        match name.as_str() {
            "pending" => pending = Some(id),
            "assigned" => assigned = Some(id),
            _ => {}
        }
    }
    let required = |id: Option<i32>, name: &str| {
        id.unwrap_or_else(|| {
            raise(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                format!("assignment status \"{name}\" is missing"),
                format!("Re-create it: INSERT INTO lead_management.assignment_statuses (name, occupies_capacity) VALUES ('{name}', {}).", name == "Assigned"),
            )
        })
    };
    Statuses { pending: required(pending, "Pending"), assigned: required(assigned, "Assigned"), open }
}

static CREATE_PENDING: Statement = Statement {
    sql: "INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id) \
          SELECT $1, assignment_status_id FROM lead_management.assignment_statuses WHERE lower(btrim(name)) = 'pending' \
          ON CONFLICT (lead_document_number) DO NOTHING",
    arg_types: &[pg_sys::TEXTOID],
};

pub fn create_pending(lead_document_number: &str) {
    Spi::connect_mut(|client| CREATE_PENDING.run(client, &[lead_document_number.into()]).map(drop))
        .or_raise("creating the Pending assignment");
}

static INSERT_VERSION: Statement = Statement {
    sql: "INSERT INTO lead_management.assignment_records \
          (assigned_at, seller_document_number, lead_document_number, assignment_status_id, updated_at, assignment_id) \
          VALUES ($1, $2, $3, $4, clock_timestamp(), $5)",
    arg_types: &[pg_sys::TIMESTAMPTZOID, pg_sys::TEXTOID, pg_sys::TEXTOID, pg_sys::INT4OID, pg_sys::INT8OID],
};

/// Copies one version of an assignment row into assignment_records.
pub fn record_version(version: &PgHeapTuple<'_, AllocatedByPostgres>) {
    const WHAT: &str = "reading the assignment row";
    let assigned_at: Option<TimestampWithTimeZone> = version.get_by_name("assigned_at").or_raise(WHAT);
    let seller: Option<String> = version.get_by_name("seller_document_number").or_raise(WHAT);
    let lead: Option<String> = version.get_by_name("lead_document_number").or_raise(WHAT);
    let status: Option<i32> = version.get_by_name("assignment_status_id").or_raise(WHAT);
    let assignment_id: Option<i64> = version.get_by_name("assignment_id").or_raise(WHAT);
    Spi::connect_mut(|client| {
        INSERT_VERSION
            .run(client, &[assigned_at.into(), seller.into(), lead.into(), status.into(), assignment_id.into()])
            .map(drop)
    })
    .or_raise("writing the assignment history row");
}

/// Per business line with room, at most `room` Pending leads in the order runs take them
/// (priority, then document_number), as (document_number, business_line_id). A line without
/// room is not read at all, however long its backlog.
static READ_PENDING: Statement = Statement {
    sql: "SELECT q.lead_document_number, q.business_line_id \
          FROM unnest($1::int[], $2::bigint[]) AS r(business_line_id, room) \
          CROSS JOIN LATERAL (SELECT lead_document_number, business_line_id FROM lead_management.assignment_queue q \
                              WHERE q.business_line_id = r.business_line_id \
                              ORDER BY q.priority DESC, q.lead_document_number LIMIT r.room) q",
    arg_types: &[pg_sys::INT4ARRAYOID, pg_sys::INT8ARRAYOID],
};

pub struct PendingRow {
    pub document_number: String,
    pub business_line_id: i32,
}

pub fn pending(client: &mut SpiClient<'_>, room_per_line: &[(i32, i64)]) -> Vec<PendingRow> {
    if room_per_line.is_empty() {
        return Vec::new();
    }
    let (lines, rooms): (Vec<i32>, Vec<i64>) = room_per_line.iter().copied().unzip();
    let rows = READ_PENDING.run(client, &[lines.into(), rooms.into()]).or_raise("reading pending leads");
    let mut pending = Vec::with_capacity(rows.len());
    for row in rows {
        pending.push(PendingRow {
            document_number: row.get(1).or_raise("reading a pending lead").unwrap_or_default(),
            business_line_id: row.get(2).or_raise("reading a pending lead").unwrap_or_default(),
        });
    }
    pending
}

/// Active sellers with room, in document_number order, with the leads they hold open now (the
/// maintained load: one row per seller, whatever the size of the book).
static READ_SELLERS_WITH_ROOM: Statement = Statement {
    sql: "SELECT s.document_number, s.business_line_id, s.max_leads_count, coalesce(l.open_leads, 0)::bigint \
          FROM lead_management.sellers s \
          LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number \
          WHERE s.is_active AND s.max_leads_count > coalesce(l.open_leads, 0) \
          ORDER BY s.document_number",
    arg_types: &[],
};

pub struct SellerRow {
    pub document_number: String,
    pub business_line_id: i32,
    pub max_leads: i64,
    pub open_leads: i64,
}

pub fn sellers_with_room(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    let rows = READ_SELLERS_WITH_ROOM.run(client, &[]).or_raise("reading seller loads");
    let mut sellers = Vec::with_capacity(rows.len());
    for row in rows {
        sellers.push(SellerRow {
            document_number: row.get(1).or_raise("reading a seller").unwrap_or_default(),
            business_line_id: row.get(2).or_raise("reading a seller").unwrap_or_default(),
            max_leads: row.get::<i32>(3).or_raise("reading a seller").unwrap_or_default().into(),
            open_leads: row.get(4).or_raise("reading a seller").unwrap_or_default(),
        });
    }
    sellers
}

/// Writes every pair of a plan in one statement. Only rows still Pending are touched, so a lead
/// changed by someone else meanwhile is left alone; returns how many were assigned.
static APPLY_PLAN: Statement = Statement {
    sql: "UPDATE lead_management.assignments a \
          SET seller_document_number = p.seller, assignment_status_id = $3, assigned_at = now(), updated_at = now() \
          FROM unnest($1::text[], $2::text[]) AS p(lead, seller) \
          WHERE a.lead_document_number = p.lead AND a.assignment_status_id = $4",
    arg_types: &[pg_sys::TEXTARRAYOID, pg_sys::TEXTARRAYOID, pg_sys::INT4OID, pg_sys::INT4OID],
};

pub fn apply_plan(client: &mut SpiClient<'_>, statuses: &Statuses, leads: Vec<&str>, sellers: Vec<&str>) -> usize {
    if leads.is_empty() {
        return 0;
    }
    APPLY_PLAN
        .run(client, &[leads.into(), sellers.into(), statuses.assigned.into(), statuses.pending.into()])
        .or_raise("writing assignments")
        .len()
}

static READ_CURSORS: Statement = Statement {
    sql: "SELECT business_line_id, last_seller_document_number FROM lead_management.round_robin_cursors",
    arg_types: &[],
};

pub fn round_robin_cursors(client: &mut SpiClient<'_>) -> Vec<(i32, String)> {
    READ_CURSORS
        .run(client, &[])
        .or_raise("reading round-robin cursors")
        .map(|row| {
            (
                row.get(1).or_raise("reading a cursor").unwrap_or_default(),
                row.get(2).or_raise("reading a cursor").unwrap_or_default(),
            )
        })
        .collect()
}

static SAVE_CURSORS: Statement = Statement {
    sql: "INSERT INTO lead_management.round_robin_cursors (business_line_id, last_seller_document_number) \
          SELECT * FROM unnest($1::int[], $2::text[]) \
          ON CONFLICT (business_line_id) DO UPDATE SET last_seller_document_number = excluded.last_seller_document_number \
          WHERE round_robin_cursors.last_seller_document_number IS DISTINCT FROM excluded.last_seller_document_number",
    arg_types: &[pg_sys::INT4ARRAYOID, pg_sys::TEXTARRAYOID],
};

pub fn save_round_robin_cursors(client: &mut SpiClient<'_>, business_lines: Vec<i32>, last_sellers: Vec<&str>) {
    if business_lines.is_empty() {
        return;
    }
    SAVE_CURSORS.run(client, &[business_lines.into(), last_sellers.into()]).or_raise("saving round-robin cursors");
}
