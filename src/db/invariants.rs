//! The data model's invariants, checked against a recount, and the repair of the derived state
//! after a load with triggers off. Both read the whole book: they are for tests, audits and
//! maintenance, never for a run.

use pgrx::spi::SpiClient;

use super::{pairs, PerServer, Statement};
use crate::errors::OrRaise;

/// Per seller, the leads held in a status that occupies capacity, counted from assignments.
macro_rules! load_recount {
    () => {
        "SELECT a.seller_document_number, count(*)::int AS open_leads \
         FROM lead_management.assignments a JOIN lead_management.assignment_statuses st USING (assignment_status_id) \
         WHERE st.occupies_capacity AND a.seller_document_number IS NOT NULL GROUP BY a.seller_document_number"
    };
}

/// Every Pending lead with its business line, priority and country, read from assignments and
/// leads.
macro_rules! queue_recount {
    () => {
        "SELECT a.lead_document_number, l.business_line_id, l.priority, l.country_id \
         FROM lead_management.assignments a JOIN lead_management.leads l ON l.document_number = a.lead_document_number \
         JOIN lead_management.assignment_statuses st USING (assignment_status_id) WHERE lower(btrim(st.name)) = 'pending'"
    };
}

/// Every seller with working hours and its windows packed, read from seller_hours.
macro_rules! schedule_recount {
    () => {
        concat!(
            "SELECT h.seller_document_number, ",
            packed_windows!(),
            " AS windows FROM lead_management.seller_hours h GROUP BY h.seller_document_number"
        )
    };
}

/// The invariants, over the watermarks this kind of server can read (see `queue_watermarks!`).
macro_rules! check_invariants {
    ($watermarks:expr) => {
        Statement {
            sql: concat!(
                "WITH recount AS (", load_recount!(), "), queued AS (", queue_recount!(), "), ",
                "scheduled AS (", schedule_recount!(), ") ",
                "SELECT 'no seller over capacity', count(*) FROM lead_management.sellers s JOIN recount r ON r.seller_document_number = s.document_number \
                   WHERE r.open_leads > s.max_leads_count \
                 UNION ALL SELECT 'every lead has an assignment', count(*) FROM lead_management.leads l \
                   WHERE NOT EXISTS (SELECT FROM lead_management.assignments a WHERE a.lead_document_number = l.document_number) \
                 UNION ALL SELECT 'no open lead on an inactive seller', coalesce(sum(r.open_leads), 0) FROM lead_management.sellers s \
                   JOIN recount r ON r.seller_document_number = s.document_number WHERE NOT s.is_active \
                 UNION ALL SELECT 'no open status without a seller', count(*) FROM lead_management.assignments a \
                   JOIN lead_management.assignment_statuses st USING (assignment_status_id) \
                   WHERE st.occupies_capacity AND a.seller_document_number IS NULL \
                 UNION ALL SELECT 'no assignment across business lines', count(*) FROM lead_management.assignments a \
                   JOIN lead_management.leads l ON l.document_number = a.lead_document_number \
                   JOIN lead_management.sellers s ON s.document_number = a.seller_document_number \
                   WHERE l.business_line_id <> s.business_line_id \
                 UNION ALL SELECT 'no open lead held by a seller outside its territory', count(*) FROM lead_management.assignments a \
                   JOIN lead_management.assignment_statuses st USING (assignment_status_id) \
                   JOIN lead_management.leads l ON l.document_number = a.lead_document_number \
                   WHERE st.occupies_capacity AND ", outside_territory!(), " \
                 UNION ALL SELECT 'seller loads equal a recount', count(*) FROM lead_management.seller_loads m \
                   FULL JOIN recount r ON r.seller_document_number = m.seller_document_number \
                   WHERE coalesce(m.open_leads, 0) <> coalesce(r.open_leads, 0) \
                 UNION ALL SELECT 'the queue holds exactly the Pending leads', count(*) FROM lead_management.assignment_queue q \
                   FULL JOIN queued p ON p.lead_document_number = q.lead_document_number \
                   WHERE q.lead_document_number IS NULL OR p.lead_document_number IS NULL \
                      OR (q.business_line_id, q.priority, q.country_id) IS DISTINCT FROM (p.business_line_id, p.priority, p.country_id) \
                 UNION ALL SELECT 'no queued lead is older than its line''s watermark', count(*) FROM lead_management.assignment_queue q \
                   JOIN ",
                $watermarks,
                " w USING (business_line_id) WHERE q.enqueued_by < w.enqueued_since \
                 UNION ALL SELECT 'seller schedules equal seller_hours', count(*) FROM lead_management.seller_schedules m \
                   FULL JOIN scheduled r ON r.seller_document_number = m.seller_document_number \
                   WHERE m.windows IS DISTINCT FROM r.windows \
                 UNION ALL SELECT 'every assignment version is in assignment_records', count(*) FROM lead_management.assignments a \
                   WHERE NOT EXISTS (SELECT FROM lead_management.assignment_records h WHERE h.assignment_id = a.assignment_id \
                     AND h.assignment_status_id = a.assignment_status_id \
                     AND h.seller_document_number IS NOT DISTINCT FROM a.seller_document_number)"
            ),
            arg_types: &[],
        }
    };
}

static CHECK_INVARIANTS: PerServer = PerServer {
    primary: check_invariants!(queue_watermarks!(primary)),
    standby: check_invariants!(queue_watermarks!(standby)),
};

/// (invariant, rows that break it), one row per invariant.
pub fn check(client: &mut SpiClient<'_>) -> Vec<(String, i64)> {
    CHECK_INVARIANTS.here().read(client, &[], "checking the invariants", pairs)
}

static CREATE_MISSING_PENDING: Statement = Statement {
    sql: "INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id) \
          SELECT l.document_number, s.assignment_status_id \
          FROM lead_management.leads l, lead_management.assignment_statuses s \
          WHERE lower(btrim(s.name)) = 'pending' \
            AND NOT EXISTS (SELECT FROM lead_management.assignments a WHERE a.lead_document_number = l.document_number) \
          ON CONFLICT (lead_document_number) DO NOTHING",
    arg_types: &[],
};

/// A load with triggers off may have given sellers leads outside their territories.
static RELEASE_OUTSIDE_TERRITORIES: Statement = Statement { sql: release_outside_territory!("true"), arg_types: &[] };

static REPAIR_LOADS: Statement = Statement {
    sql: concat!(
        "WITH recount AS (", load_recount!(), "), ",
        "wrong AS (SELECT coalesce(r.seller_document_number, m.seller_document_number) AS seller, coalesce(r.open_leads, 0) AS open_leads \
           FROM lead_management.seller_loads m FULL JOIN recount r ON r.seller_document_number = m.seller_document_number \
           WHERE coalesce(m.open_leads, 0) <> coalesce(r.open_leads, 0)) \
         INSERT INTO lead_management.seller_loads AS m (seller_document_number, open_leads) \
         SELECT seller, open_leads FROM wrong ORDER BY seller \
         ON CONFLICT (seller_document_number) DO UPDATE SET open_leads = excluded.open_leads"
    ),
    arg_types: &[],
};

static REPAIR_QUEUE: Statement = Statement {
    sql: concat!(
        "WITH queued AS (", queue_recount!(), "), ",
        "stale AS (DELETE FROM lead_management.assignment_queue q \
           WHERE NOT EXISTS (SELECT FROM queued p WHERE p.lead_document_number = q.lead_document_number) RETURNING 1), \
         placed AS (INSERT INTO lead_management.assignment_queue AS q (lead_document_number, business_line_id, priority, country_id) \
           SELECT * FROM queued p WHERE NOT EXISTS (SELECT FROM lead_management.assignment_queue q \
             WHERE q.lead_document_number = p.lead_document_number \
               AND (q.business_line_id, q.priority, q.country_id) = (p.business_line_id, p.priority, p.country_id)) \
           ON CONFLICT (lead_document_number) DO UPDATE SET business_line_id = excluded.business_line_id, priority = excluded.priority, \
             country_id = excluded.country_id, enqueued_by = excluded.enqueued_by \
           RETURNING 1), \
         unmarked AS (DELETE FROM lead_management.assignment_queue_watermarks w WHERE EXISTS (SELECT \
           FROM lead_management.assignment_queue q WHERE q.business_line_id = w.business_line_id AND q.enqueued_by < w.enqueued_since) \
           RETURNING 1) \
         SELECT (SELECT count(*) FROM stale) + (SELECT count(*) FROM placed) + (SELECT count(*) FROM unmarked)"
    ),
    arg_types: &[],
};

static REPAIR_SCHEDULES: Statement = Statement {
    sql: concat!(
        "WITH scheduled AS (", schedule_recount!(), "), ",
        "stale AS (DELETE FROM lead_management.seller_schedules m \
           WHERE NOT EXISTS (SELECT FROM scheduled r WHERE r.seller_document_number = m.seller_document_number) RETURNING 1), \
         placed AS (INSERT INTO lead_management.seller_schedules AS m (seller_document_number, windows) \
           SELECT * FROM scheduled r WHERE NOT EXISTS (SELECT FROM lead_management.seller_schedules m \
             WHERE m.seller_document_number = r.seller_document_number AND m.windows = r.windows) \
           ORDER BY 1 ON CONFLICT (seller_document_number) DO UPDATE SET windows = excluded.windows RETURNING 1) \
         SELECT (SELECT count(*) FROM stale) + (SELECT count(*) FROM placed)"
    ),
    arg_types: &[],
};

/// What [`repair`] changed.
pub struct Repaired {
    pub pending_created: i64,
    pub released_outside_territory: i64,
    pub loads_corrected: i64,
    pub queue_corrected: i64,
    pub schedules_corrected: i64,
}

/// Gives leads loaded with triggers off their Pending row (the triggers then queue them), puts
/// back to Pending the open leads their sellers' territories do not cover, and sets seller_loads, assignment_queue and seller_schedules to a recount; a watermark that a
/// queued lead is older than is dropped (its line is read in queue order again), and every
/// backend reads the sellers again.
pub fn repair(client: &mut SpiClient<'_>) -> Repaired {
    let pending_created = CREATE_MISSING_PENDING.run(client, &[]).or_raise("creating missing Pending rows").len();
    let released = RELEASE_OUTSIDE_TERRITORIES.run(client, &[]).or_raise("releasing leads outside territories").len();
    let loads_corrected = REPAIR_LOADS.run(client, &[]).or_raise("correcting seller loads").len();
    let mut corrected = |statement: &'static Statement, what: &str| {
        statement.write_returning(client, &[], what, |row| row.get::<i64>(1).unwrap_or(0)).first().copied().unwrap_or(0)
    };
    let queue_corrected = corrected(&REPAIR_QUEUE, "correcting the assignment queue");
    let schedules_corrected = corrected(&REPAIR_SCHEDULES, "correcting the sellers' schedules");
    // Sellers loaded with triggers off changed no version: every backend reads them again.
    super::sellers::renew_every_roster_version(client);
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Repaired {
        pending_created: count(pending_created),
        released_outside_territory: count(released),
        loads_corrected: count(loads_corrected),
        queue_corrected,
        schedules_corrected,
    }
}
