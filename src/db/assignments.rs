//! Reads and writes of assignments: set-based, one statement per step of a run.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

use std::collections::BTreeMap;

use lead_assigner_core::bounds::LineRead;

use super::{pairs, PerServer, Row, Statement};
use crate::errors::{raise, OrRaise};

/// A lead planned for a seller, as a run writes it (apply_plan) and announces it (runs::notify).
pub struct Pair {
    pub lead: String,
    pub seller: String,
    pub business_line_id: i32,
}

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
    for row in READ_STATUSES.query(client, &[]).or_raise("reading assignment statuses") {
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

/// Per business line, at most `limit` Pending leads in the order runs take them (priority, then
/// document_number), as (document_number, business_line_id, priority, country, read through the
/// line's watermark, xmin of the snapshot the read saw). A line that is not asked for is not read
/// at all, however long its backlog. A line with a watermark (and `$3`) is read through the
/// arrival index, in arrival order and at most `ARRIVALS_SLACK` past its limit: the caller sorts
/// it. A line without one is read in queue order only when `$5` says it is read whole (a line
/// read per country is read by READ_PENDING_BY_COUNTRY then). A line that gives no lead gives one
/// row without a lead, saying whether it has a watermark. (The ORDER BY is the arrival index's
/// order: it keeps a generic plan on the index, where an unordered range of unknown width would
/// be read by a scan of the whole table, dead rows included.)
macro_rules! read_pending {
    ($watermarks:expr) => {
        Statement {
            sql: concat!(
                "SELECT q.lead_document_number, r.business_line_id, q.priority, q.country_id, w.enqueued_since IS NOT NULL, \
                        (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint) \
                 FROM unnest($1::int[], $2::bigint[], $5::bool[]) AS r(business_line_id, lead_limit, whole) \
                 LEFT JOIN ",
                $watermarks,
                " w ON w.business_line_id = r.business_line_id AND $3 \
                 LEFT JOIN LATERAL ( \
                     (SELECT lead_document_number, priority, country_id FROM lead_management.assignment_queue q \
                      WHERE q.business_line_id = r.business_line_id AND w.enqueued_since IS NULL AND r.whole \
                      ORDER BY q.priority DESC, q.lead_document_number LIMIT r.lead_limit) \
                     UNION ALL \
                     (SELECT lead_document_number, priority, country_id FROM lead_management.assignment_queue q \
                      WHERE q.business_line_id = r.business_line_id AND q.enqueued_by >= w.enqueued_since \
                      ORDER BY q.enqueued_by LIMIT r.lead_limit + $4)) q ON true"
            ),
            arg_types: &[pg_sys::INT4ARRAYOID, pg_sys::INT8ARRAYOID, pg_sys::BOOLOID, pg_sys::INT8OID, pg_sys::BOOLARRAYOID],
        }
    };
}
static READ_PENDING: PerServer = PerServer {
    primary: read_pending!(queue_watermarks!(primary)),
    standby: read_pending!(queue_watermarks!(standby)),
};

/// Per (business line, country, limit), the country's first leads of the line in queue order,
/// through assignment_queue_country_order_idx; a row without a country stands for every country
/// of lead_management.countries that the line has no row of its own for. A country no row names
/// is not read at all, however long its backlog. Every (line, country) read gives at least one
/// row (without a lead when it has none), with its limit and how many countries there are.
static READ_PENDING_BY_COUNTRY: Statement = Statement {
    sql: "WITH asked AS (SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[]) AS r(business_line_id, country_id, lead_limit)), \
          reads AS (SELECT business_line_id, country_id, lead_limit FROM asked WHERE country_id IS NOT NULL \
                    UNION ALL \
                    SELECT a.business_line_id, c.country_id, a.lead_limit FROM asked a JOIN lead_management.countries c \
                      ON a.country_id IS NULL AND NOT EXISTS (SELECT FROM asked x \
                         WHERE x.business_line_id = a.business_line_id AND x.country_id = c.country_id)) \
          SELECT q.lead_document_number, r.business_line_id, q.priority, r.country_id, r.lead_limit, \
                 (SELECT count(*) FROM lead_management.countries) \
          FROM reads r \
          LEFT JOIN LATERAL (SELECT lead_document_number, priority \
              FROM lead_management.assignment_queue q \
              WHERE q.business_line_id = r.business_line_id AND q.country_id = r.country_id \
              ORDER BY q.priority DESC, q.lead_document_number LIMIT r.lead_limit) q ON true",
    arg_types: &[pg_sys::INT4ARRAYOID, pg_sys::INT4ARRAYOID, pg_sys::INT8ARRAYOID],
};

/// How many more leads than a line has room for a read through its watermark may return before
/// the run gives the watermark up and reads the line in queue order.
const ARRIVALS_SLACK: i64 = 64;

/// A lead a run may assign: Pending, or (`lapsed_from`) about to be requeued because the seller
/// it sits with let the acceptance timeout pass.
pub struct Candidate {
    pub document_number: String,
    pub business_line_id: i32,
    pub priority: i16,
    pub country_id: i32,
    pub lapsed_from: Option<String>,
}

impl Candidate {
    /// The order runs take leads in: per business line, higher priority first, then document number.
    pub fn queue_order(&self) -> (i32, std::cmp::Reverse<i16>, &str) {
        (self.business_line_id, std::cmp::Reverse(self.priority), &self.document_number)
    }
}

/// What a run read from the queue.
pub struct PendingRead {
    /// Per business line, its first leads in queue order (per country for a line read so).
    pub candidates: Vec<Candidate>,
    /// xmin of the snapshot of the read: a lead it did not see was queued by a transaction that
    /// was running then or began later. `None` when it read no row.
    pub snapshot_xmin: Option<i64>,
    /// Lines whose arrivals since their watermark outnumber their room: the watermark no longer
    /// pays and is dropped.
    pub overflowed: Vec<i32>,
    /// Lines whose every queued lead is among the candidates.
    pub complete: Vec<i32>,
}

/// A queued lead of a row whose first column is its document number (NULL: a row without one).
fn queued(row: &Row<'_>) -> Option<Candidate> {
    Some(Candidate {
        document_number: row.get(1)?,
        business_line_id: row.get(2).unwrap_or_default(),
        priority: row.get(3).unwrap_or_default(),
        country_id: row.get(4).unwrap_or_default(),
        lapsed_from: None,
    })
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// What `reads` asks of each line's queue (see `lead_assigner_core::bounds`), merged in queue
/// order. A line with a watermark is read through it (every lead queued since, in arrival order,
/// cut to each country's limit for a line read per country) unless it has too many arrivals;
/// otherwise a line read whole gives its first leads in queue order, a line read per country
/// each country's first leads in queue order.
pub fn pending(client: &mut SpiClient<'_>, reads: &[LineRead]) -> PendingRead {
    let mut read =
        PendingRead { candidates: Vec::new(), snapshot_xmin: None, overflowed: Vec::new(), complete: Vec::new() };
    if reads.is_empty() {
        return read;
    }
    let limit_of = |read: &LineRead| match read {
        LineRead::Whole { limit, .. } => *limit,
        // Every lead of the line that a run can assign, whatever its country.
        LineRead::ByCountry { every_country, countries, .. } => {
            countries.iter().fold(*every_country, |total, &(_, limit)| total.saturating_add(limit))
        }
    };
    let lines: Vec<i32> = reads.iter().map(LineRead::business_line_id).collect();
    let limits: Vec<i64> = reads.iter().map(limit_of).collect();
    let whole: Vec<bool> = reads.iter().map(|read| matches!(read, LineRead::Whole { .. })).collect();
    let rows = READ_PENDING.here().read(
        client,
        &[lines.into(), limits.into(), true.into(), ARRIVALS_SLACK.into(), whole.into()],
        "reading pending leads",
        |row| {
            (row.get::<i32>(2).unwrap_or_default(), queued(row), row.get::<bool>(5).unwrap_or(false), row.get::<i64>(6))
        },
    );
    let mut watermarked: Vec<i32> = Vec::new();
    let mut arrivals: BTreeMap<i32, Vec<Candidate>> = BTreeMap::new();
    for (line, candidate, through_watermark, snapshot_xmin) in rows {
        read.snapshot_xmin = read.snapshot_xmin.or(snapshot_xmin);
        if through_watermark && !watermarked.contains(&line) {
            watermarked.push(line);
        }
        match candidate {
            Some(candidate) if through_watermark => arrivals.entry(line).or_default().push(candidate),
            Some(candidate) => read.candidates.push(candidate),
            None => {}
        }
    }
    let (mut whole_again, mut by_country): (Vec<(i32, i64)>, Vec<&LineRead>) = (Vec::new(), Vec::new());
    for line_read in reads {
        let line = line_read.business_line_id();
        let limit = limit_of(line_read);
        let is_whole = matches!(line_read, LineRead::Whole { .. });
        if !watermarked.contains(&line) {
            if !is_whole {
                by_country.push(line_read);
            } else if count(read.candidates.iter().filter(|c| c.business_line_id == line).count()) < limit {
                read.complete.push(line);
            }
            continue;
        }
        let mut of_line = arrivals.remove(&line).unwrap_or_default();
        if count(of_line.len()) >= limit.saturating_add(ARRIVALS_SLACK) {
            read.overflowed.push(line);
            if is_whole {
                whole_again.push((line, limit));
            } else {
                by_country.push(line_read);
            }
            continue;
        }
        // Every lead of the line is here: keep, in queue order, what the line's limits allow.
        of_line.sort_by(|a, b| a.queue_order().cmp(&b.queue_order()));
        let arrived = of_line.len();
        let mut taken: BTreeMap<Option<i32>, i64> = BTreeMap::new();
        of_line.retain(|c| {
            let n = taken.entry((!is_whole).then_some(c.country_id)).or_default();
            *n += 1;
            *n <= line_read.limit_for(c.country_id)
        });
        if of_line.len() == arrived && (!is_whole || count(arrived) < limit) {
            read.complete.push(line);
        }
        read.candidates.append(&mut of_line);
    }
    if !whole_again.is_empty() {
        let (lines, limits): (Vec<i32>, Vec<i64>) = whole_again.into_iter().unzip();
        let whole = vec![true; lines.len()];
        read.candidates.extend(
            READ_PENDING
                .here()
                .read(
                    client,
                    &[lines.into(), limits.into(), false.into(), ARRIVALS_SLACK.into(), whole.into()],
                    "reading pending leads in queue order",
                    queued,
                )
                .into_iter()
                .flatten(),
        );
    }
    if !by_country.is_empty() {
        read_by_country(client, &by_country, &mut read);
    }
    read.candidates.sort_by(|a, b| a.queue_order().cmp(&b.queue_order()));
    read
}

/// Reads each country of `reads` (lines read per country) in queue order; a line is complete
/// when every country there is was read and each gave fewer leads than its limit.
fn read_by_country(client: &mut SpiClient<'_>, reads: &[&LineRead], read: &mut PendingRead) {
    let (mut lines, mut countries, mut limits) = (Vec::new(), Vec::new(), Vec::new());
    for line_read in reads {
        if let LineRead::ByCountry { business_line_id, every_country, countries: listed } = line_read {
            let every = (*every_country > 0).then_some((None, *every_country));
            for (country, limit) in listed.iter().map(|&(c, limit)| (Some(c), limit)).chain(every) {
                lines.push(*business_line_id);
                countries.push(country);
                limits.push(limit);
            }
        }
    }
    // Per (line, country) read: its limit and the leads it gave.
    let mut per_country: BTreeMap<(i32, i32), (i64, i64)> = BTreeMap::new();
    let mut all_countries = 0;
    let rows = READ_PENDING_BY_COUNTRY.read(
        client,
        &[lines.into(), countries.into(), limits.into()],
        "reading pending leads per country",
        |row| (queued(row), row.get::<i32>(2), row.get::<i32>(4), row.get::<i64>(5), row.get::<i64>(6)),
    );
    for (candidate, line, country, limit, countries_there) in rows {
        all_countries = countries_there.unwrap_or_default();
        let entry = per_country.entry((line.unwrap_or_default(), country.unwrap_or_default())).or_default();
        entry.0 = limit.unwrap_or_default();
        if let Some(candidate) = candidate {
            entry.1 += 1;
            read.candidates.push(candidate);
        }
    }
    for line_read in reads {
        let line = line_read.business_line_id();
        let of_line: Vec<&(i64, i64)> =
            per_country.range((line, i32::MIN)..=(line, i32::MAX)).map(|(_, v)| v).collect();
        if count(of_line.len()) == all_countries && of_line.iter().all(|(limit, got)| got < limit) {
            read.complete.push(line);
        }
    }
}

/// After a run: a line it emptied (it saw every queued lead of it and assigned them all) gets
/// the run's snapshot xmin as its watermark; an overflowed line loses its watermark.
static MARK_QUEUE: Statement = Statement {
    sql: "WITH dropped AS (DELETE FROM lead_management.assignment_queue_watermarks WHERE business_line_id = ANY($3)) \
          INSERT INTO lead_management.assignment_queue_watermarks (business_line_id, enqueued_since) \
          SELECT line, $2::text::xid8 FROM unnest($1::int[]) AS line ORDER BY line \
          ON CONFLICT (business_line_id) DO UPDATE SET enqueued_since = excluded.enqueued_since",
    arg_types: &[pg_sys::INT4ARRAYOID, pg_sys::INT8OID, pg_sys::INT4ARRAYOID],
};

/// `emptied` lines get `snapshot_xmin` (from [`pending`]) as their watermark; `overflowed`
/// lines that were not emptied lose theirs.
pub fn mark_queue(client: &mut SpiClient<'_>, emptied: Vec<i32>, snapshot_xmin: Option<i64>, overflowed: Vec<i32>) {
    let emptied = if snapshot_xmin.is_some() { emptied } else { Vec::new() };
    let overflowed: Vec<i32> = overflowed.into_iter().filter(|line| !emptied.contains(line)).collect();
    if emptied.is_empty() && overflowed.is_empty() {
        return;
    }
    MARK_QUEUE
        .run(client, &[emptied.into(), snapshot_xmin.into(), overflowed.into()])
        .or_raise("marking the assignment queue");
}

/// Per business line, the queued leads that some seller may not be offered: a run may pass
/// over each of them, so it reads that many more.
static EXCLUDED_PENDING_PER_LINE: Statement = Statement {
    sql: "SELECT q.business_line_id, count(DISTINCT e.lead_document_number) \
          FROM lead_management.assignment_exclusions e \
          JOIN lead_management.assignment_queue q USING (lead_document_number) GROUP BY q.business_line_id",
    arg_types: &[],
};

pub fn excluded_pending_per_line(client: &mut SpiClient<'_>) -> Vec<(i32, i64)> {
    EXCLUDED_PENDING_PER_LINE.read(client, &[], "counting excluded leads", pairs)
}

static READ_EXCLUSIONS: Statement = Statement {
    sql: "SELECT lead_document_number, seller_document_number FROM lead_management.assignment_exclusions \
          WHERE lead_document_number = ANY($1)",
    arg_types: &[pg_sys::TEXTARRAYOID],
};

/// (lead, seller) pairs never to be offered again, for the given leads.
pub fn exclusions(client: &mut SpiClient<'_>, leads: Vec<&str>) -> Vec<(String, String)> {
    READ_EXCLUSIONS.read(client, &[leads.into()], "reading exclusions", pairs)
}

/// Leads in status Assigned for longer than the acceptance timeout (`$2` seconds), through the
/// (status, assigned_at) index: the cost follows the lapsed leads, not the book.
static READ_LAPSED: Statement = Statement {
    sql: "SELECT a.lead_document_number, l.business_line_id, l.priority, l.country_id, a.seller_document_number \
          FROM lead_management.assignments a JOIN lead_management.leads l ON l.document_number = a.lead_document_number \
          WHERE a.assignment_status_id = $1 AND a.assigned_at < now() - make_interval(secs => $2) \
          ORDER BY a.lead_document_number",
    arg_types: &[pg_sys::INT4OID, pg_sys::INT4OID],
};

pub fn lapsed(client: &mut SpiClient<'_>, statuses: &Statuses, timeout_seconds: i32) -> Vec<Candidate> {
    READ_LAPSED
        .query(client, &[statuses.assigned.into(), timeout_seconds.into()])
        .or_raise("reading lapsed assignments")
        .map(|row| Candidate {
            document_number: row.get(1).or_raise("reading a lapsed lead").unwrap_or_default(),
            business_line_id: row.get(2).or_raise("reading a lapsed lead").unwrap_or_default(),
            priority: row.get(3).or_raise("reading a lapsed lead").unwrap_or_default(),
            country_id: row.get(4).or_raise("reading a lapsed lead").unwrap_or_default(),
            lapsed_from: row.get(5).or_raise("reading a lapsed lead"),
        })
        .collect()
}

/// Puts lapsed leads back to Pending and excludes the seller each lapsed with; only rows still
/// Assigned to that seller move. Returns how many moved.
static REQUEUE_LAPSED: Statement = Statement {
    sql: "WITH lapsed AS (SELECT * FROM unnest($1::text[], $2::text[]) AS p(lead, seller)), \
          excluded AS (INSERT INTO lead_management.assignment_exclusions (lead_document_number, seller_document_number, excluded_at) \
                       SELECT lead, seller, now() FROM lapsed ORDER BY lead, seller ON CONFLICT DO NOTHING) \
          UPDATE lead_management.assignments a \
          SET assignment_status_id = $3, seller_document_number = NULL, assigned_at = NULL, updated_at = now() \
          FROM lapsed p WHERE a.lead_document_number = p.lead AND a.seller_document_number = p.seller \
            AND a.assignment_status_id = $4",
    arg_types: &[pg_sys::TEXTARRAYOID, pg_sys::TEXTARRAYOID, pg_sys::INT4OID, pg_sys::INT4OID],
};

pub fn requeue_lapsed(client: &mut SpiClient<'_>, statuses: &Statuses, leads: Vec<&str>, sellers: Vec<&str>) -> usize {
    if leads.is_empty() {
        return 0;
    }
    REQUEUE_LAPSED
        .run(client, &[leads.into(), sellers.into(), statuses.pending.into(), statuses.assigned.into()])
        .or_raise("requeueing lapsed assignments")
        .len()
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
    READ_CURSORS.read(client, &[], "reading round-robin cursors", pairs)
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
