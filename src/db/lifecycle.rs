//! Single-lead and single-seller changes: status moves, (de)activation, status lookup.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::{first_row, Statement};
use crate::errors::OrRaise;

pub struct Status {
    pub id: i32,
    pub name: String,
    pub occupies_capacity: bool,
}

static FIND_STATUS: Statement = Statement {
    sql: "SELECT assignment_status_id, name, occupies_capacity FROM lead_management.assignment_statuses \
          WHERE lower(btrim(name)) = lower(btrim($1))",
    arg_types: &[pg_sys::TEXTOID],
};

pub fn find_status(client: &mut SpiClient<'_>, name: &str) -> Option<Status> {
    let row = first_row(FIND_STATUS.query(client, &[name.into()]).or_raise("looking up the status"))?;
    Some(Status {
        id: row.get(1).or_raise("reading the status")?,
        name: row.get(2).or_raise("reading the status")?,
        occupies_capacity: row.get(3).or_raise("reading the status")?,
    })
}

static CREATE_STATUS: Statement = Statement {
    sql: "INSERT INTO lead_management.assignment_statuses (name) VALUES (btrim($1)) ON CONFLICT DO NOTHING",
    arg_types: &[pg_sys::TEXTOID],
};

/// Creates a status that does not occupy capacity; a concurrent creator of the same name wins quietly.
pub fn create_status(client: &mut SpiClient<'_>, name: &str) {
    CREATE_STATUS.run(client, &[name.into()]).or_raise("creating the status");
}

static STATUS_NAMES: Statement = Statement {
    sql: "SELECT string_agg(name, ', ' ORDER BY assignment_status_id) FROM lead_management.assignment_statuses",
    arg_types: &[],
};

pub fn status_names(client: &mut SpiClient<'_>) -> String {
    STATUS_NAMES
        .query(client, &[])
        .or_raise("listing statuses")
        .first()
        .get(1)
        .or_raise("listing statuses")
        .unwrap_or_default()
}

static LEAD_LINE_AND_COUNTRY: Statement = Statement {
    sql: "SELECT business_line_id, country_id FROM lead_management.leads WHERE document_number = $1",
    arg_types: &[pg_sys::TEXTOID],
};

/// The lead's business line and country.
pub fn lead_line_and_country(client: &mut SpiClient<'_>, lead: &str) -> Option<(i32, i32)> {
    let row = first_row(LEAD_LINE_AND_COUNTRY.query(client, &[lead.into()]).or_raise("looking up the lead"))?;
    Some((row.get(1).or_raise("reading the lead")?, row.get(2).or_raise("reading the lead")?))
}

static LEAD_HOLDER: Statement = Statement {
    sql: "SELECT seller_document_number FROM lead_management.assignments WHERE lead_document_number = $1",
    arg_types: &[pg_sys::TEXTOID],
};

/// The seller the lead is assigned to now, whatever the status.
pub fn lead_holder(client: &mut SpiClient<'_>, lead: &str) -> Option<String> {
    first_row(LEAD_HOLDER.query(client, &[lead.into()]).or_raise("looking up the assignment"))?
        .get(1)
        .or_raise("reading the assignment")
}

static SELLER_BUSINESS_LINE: Statement = Statement {
    sql: "SELECT business_line_id FROM lead_management.sellers WHERE document_number = $1",
    arg_types: &[pg_sys::TEXTOID],
};

pub fn seller_business_line(client: &mut SpiClient<'_>, seller: &str) -> Option<i32> {
    first_row(SELLER_BUSINESS_LINE.query(client, &[seller.into()]).or_raise("looking up the seller"))?
        .get(1)
        .or_raise("reading the seller")
}

pub struct CurrentAssignment {
    pub seller: Option<String>,
    pub occupies_capacity: bool,
}

static LOCK_ASSIGNMENT: Statement = Statement {
    sql: "SELECT a.seller_document_number, s.occupies_capacity \
          FROM lead_management.assignments a JOIN lead_management.assignment_statuses s USING (assignment_status_id) \
          WHERE a.lead_document_number = $1 FOR UPDATE OF a",
    arg_types: &[pg_sys::TEXTOID],
};

pub fn lock_assignment(client: &mut SpiClient<'_>, lead: &str) -> Option<CurrentAssignment> {
    let row = first_row(LOCK_ASSIGNMENT.run(client, &[lead.into()]).or_raise("locking the assignment"))?;
    Some(CurrentAssignment {
        occupies_capacity: row.get(2).or_raise("reading the assignment")?,
        seller: row.get(1).or_raise("reading the assignment"),
    })
}

pub struct SellerLoad {
    pub is_active: bool,
    pub max_leads: i32,
    pub open_leads: i64,
}

static SELLER_LOAD: Statement = Statement {
    sql: "SELECT s.is_active, s.max_leads_count, coalesce(l.open_leads, 0)::bigint \
          FROM lead_management.sellers s \
          LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number \
          WHERE s.document_number = $1",
    arg_types: &[pg_sys::TEXTOID],
};

pub fn seller_load(client: &mut SpiClient<'_>, seller: &str) -> Option<SellerLoad> {
    let row = first_row(SELLER_LOAD.query(client, &[seller.into()]).or_raise("reading the seller's load"))?;
    Some(SellerLoad {
        is_active: row.get(1).or_raise("reading the seller's load")?,
        max_leads: row.get(2).or_raise("reading the seller's load")?,
        open_leads: row.get(3).or_raise("reading the seller's load")?,
    })
}

static SET_STATUS: Statement = Statement {
    sql: "UPDATE lead_management.assignments SET assignment_status_id = $2, updated_at = now() \
          WHERE lead_document_number = $1 AND assignment_status_id IS DISTINCT FROM $2",
    arg_types: &[pg_sys::TEXTOID, pg_sys::INT4OID],
};

pub fn set_status(client: &mut SpiClient<'_>, lead: &str, status_id: i32) {
    SET_STATUS.run(client, &[lead.into(), status_id.into()]).or_raise("changing the status");
}

static REQUEUE_LEAD: Statement = Statement {
    sql: "UPDATE lead_management.assignments \
          SET assignment_status_id = $2, seller_document_number = NULL, assigned_at = NULL, updated_at = now() \
          WHERE lead_document_number = $1 AND assignment_status_id <> $2 \
            AND ($3::int[] IS NULL OR assignment_status_id = ANY($3))",
    arg_types: &[pg_sys::TEXTOID, pg_sys::INT4OID, pg_sys::INT4ARRAYOID],
};

/// Back to Pending: the seller lets go, the next assign_leads() run decides again. With
/// `only_from`, only a lead in one of those statuses moves (a closed lead keeps its seller for
/// the record).
pub fn requeue_lead(client: &mut SpiClient<'_>, lead: &str, pending_id: i32, only_from: Option<&[i32]>) {
    REQUEUE_LEAD
        .run(client, &[lead.into(), pending_id.into(), only_from.map(<[i32]>::to_vec).into()])
        .or_raise("requeueing the lead");
}

static MOVE_IN_QUEUE: Statement = Statement {
    sql: "UPDATE lead_management.assignment_queue SET business_line_id = $2, priority = $3, country_id = $4, \
          enqueued_by = pg_current_xact_id() WHERE lead_document_number = $1",
    arg_types: &[pg_sys::TEXTOID, pg_sys::INT4OID, pg_sys::INT2OID, pg_sys::INT4OID],
};

/// Where a lead stands in the queue: its business line, priority and country.
pub struct QueuePlace {
    pub business_line_id: i32,
    pub priority: i16,
    pub country_id: i32,
}

/// A Pending lead's place in the queue follows its business line, priority and country. A moved
/// lead counts as queued now, so a run that reads only what arrived since its line was emptied
/// finds it.
pub fn requeue_position(client: &mut SpiClient<'_>, lead: &str, place: &QueuePlace) {
    MOVE_IN_QUEUE
        .run(client, &[lead.into(), place.business_line_id.into(), place.priority.into(), place.country_id.into()])
        .or_raise("moving the lead in the queue");
}

/// Open leads held by one of the sellers `$1`, or being one of the leads `$2`, that their
/// seller's territory does not cover go back to Pending.
static RELEASE_OUTSIDE_TERRITORY: Statement = Statement {
    sql: release_outside_territory!("a.seller_document_number = ANY($1) OR a.lead_document_number = ANY($2)"),
    arg_types: &[pg_sys::TEXTARRAYOID, pg_sys::TEXTARRAYOID],
};

/// Puts back to Pending the open leads of `sellers`, and the `leads`, that their seller's
/// territory does not cover; returns how many. The caller holds their lines' locks.
pub fn release_outside_territory(client: &mut SpiClient<'_>, sellers: &[String], leads: &[&str]) -> usize {
    RELEASE_OUTSIDE_TERRITORY
        .run(client, &[sellers.to_vec().into(), leads.to_vec().into()])
        .or_raise("releasing leads outside their seller's territory")
        .len()
}

static SET_SELLER_ACTIVE: Statement = Statement {
    sql: "UPDATE lead_management.sellers SET is_active = $2 WHERE document_number = $1 AND is_active <> $2",
    arg_types: &[pg_sys::TEXTOID, pg_sys::BOOLOID],
};

/// Returns whether the flag changed.
pub fn set_seller_active(client: &mut SpiClient<'_>, seller: &str, active: bool) -> bool {
    SET_SELLER_ACTIVE.run(client, &[seller.into(), active.into()]).or_raise("changing the seller").len() == 1
}

static REQUEUE_SELLER_LEADS: Statement = Statement {
    sql: "UPDATE lead_management.assignments \
          SET assignment_status_id = $2, seller_document_number = NULL, assigned_at = NULL, updated_at = now() \
          WHERE seller_document_number = $1 AND assignment_status_id = ANY($3)",
    arg_types: &[pg_sys::TEXTOID, pg_sys::INT4OID, pg_sys::INT4ARRAYOID],
};

/// Puts a seller's open leads back to Pending; returns how many.
pub fn requeue_seller_leads(client: &mut SpiClient<'_>, seller: &str, pending_id: i32, open: &[i32]) -> usize {
    REQUEUE_SELLER_LEADS
        .run(client, &[seller.into(), pending_id.into(), open.to_vec().into()])
        .or_raise("requeueing the seller's leads")
        .len()
}

static STATUS_IN_USE: Statement = Statement {
    sql: "SELECT EXISTS (SELECT FROM lead_management.assignments WHERE assignment_status_id = $1)",
    arg_types: &[pg_sys::INT4OID],
};

pub fn status_in_use(client: &mut SpiClient<'_>, status_id: i32) -> bool {
    STATUS_IN_USE
        .query(client, &[status_id.into()])
        .or_raise("checking the status")
        .first()
        .get(1)
        .or_raise("checking the status")
        .unwrap_or(true)
}

/// The ISO codes of `$1` (trimmed, any case) that name no country, and the ids of those that do.
static COUNTRIES_BY_CODE: Statement = Statement {
    sql: "SELECT coalesce(array_agg(u.code ORDER BY u.i) FILTER (WHERE c.country_id IS NULL), '{}'), \
                 coalesce(array_agg(DISTINCT c.country_id) FILTER (WHERE c.country_id IS NOT NULL), '{}') \
          FROM unnest($1::text[]) WITH ORDINALITY AS u(code, i) \
          LEFT JOIN lead_management.countries c ON c.code = upper(btrim(u.code))",
    arg_types: &[pg_sys::TEXTARRAYOID],
};

/// (unknown codes, ids of the known ones).
pub fn countries_by_code(client: &mut SpiClient<'_>, codes: &[String]) -> (Vec<String>, Vec<i32>) {
    let row = COUNTRIES_BY_CODE.query(client, &[codes.to_vec().into()]).or_raise("looking up the countries").first();
    (
        row.get(1).or_raise("reading the countries").unwrap_or_default(),
        row.get(2).or_raise("reading the countries").unwrap_or_default(),
    )
}

static COUNTRY_CODES: Statement =
    Statement { sql: "SELECT string_agg(code, ', ' ORDER BY code) FROM lead_management.countries", arg_types: &[] };

pub fn country_codes(client: &mut SpiClient<'_>) -> String {
    first_row(COUNTRY_CODES.query(client, &[]).or_raise("listing countries"))
        .and_then(|row| row.get(1).or_raise("listing countries"))
        .unwrap_or_default()
}

/// Makes the seller's seller_countries rows exactly `$2` (ids), touching only the rows that
/// change; returns the territory's codes, sorted.
static SET_SELLER_COUNTRIES: Statement = Statement {
    sql: "WITH gone AS (DELETE FROM lead_management.seller_countries \
                        WHERE seller_document_number = $1 AND country_id <> ALL($2) RETURNING 1), \
               added AS (INSERT INTO lead_management.seller_countries (seller_document_number, country_id) \
                         SELECT $1, id FROM unnest($2::int[]) AS id ORDER BY id ON CONFLICT DO NOTHING RETURNING 1) \
          SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM lead_management.countries WHERE country_id = ANY($2)",
    arg_types: &[pg_sys::TEXTOID, pg_sys::INT4ARRAYOID],
};

pub fn set_seller_countries(client: &mut SpiClient<'_>, seller: &str, country_ids: Vec<i32>) -> Vec<String> {
    SET_SELLER_COUNTRIES
        .run(client, &[seller.into(), country_ids.into()])
        .or_raise("setting the seller's countries")
        .first()
        .get(1)
        .or_raise("reading the seller's countries")
        .unwrap_or_default()
}
