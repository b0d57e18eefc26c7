//! Sellers as the rules see them: one row per seller with its maintained load, its daily count,
//! its working hours and "now" converted to its own time zone. The rules themselves are the
//! core's (`lead_assigner_core::eligibility`); this only reads their inputs.

use lead_assigner_core::eligibility::{LocalClock, SellerState, WorkingHours};
use pgrx::pg_sys;
use pgrx::spi::{SpiClient, SpiTupleTable};

use super::Statement;
use crate::errors::OrRaise;

/// The columns of a seller's state, read in one pass: working hours and the daily counts are
/// aggregated once and joined, not looked up seller by seller, and "now" is converted to a
/// seller's time zone only when it has hours. The daily count sums the hourly buckets of the last
/// 24 hours plus the current partial hour, so an assignment counts for 24 to 25 hours (never
/// less: a cap is never exceeded). `counted` says for which sellers it is read: a run needs it
/// only where a cap applies.
macro_rules! seller_state {
    ($counted:literal) => {
        concat!(
            "SELECT s.document_number, s.business_line_id, s.is_active, s.max_leads_count, coalesce(l.open_leads, 0)::bigint, \
                    (extract(epoch FROM s.away_until) * 1000000)::bigint, \
                    CASE WHEN w.windows IS NULL THEN 0 ELSE extract(isodow FROM now() AT TIME ZONE s.time_zone)::int END, \
                    CASE WHEN w.windows IS NULL THEN 0 ELSE extract(epoch FROM (now() AT TIME ZONE s.time_zone)::time)::int END, \
                    s.daily_cap, coalesce(d.assigned, 0)::bigint, s.weight, coalesce(w.windows, '{}') \
             FROM lead_management.sellers s \
             LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number \
             LEFT JOIN (SELECT h.seller_document_number, \
                               array_agg(ARRAY[h.weekday::int, extract(epoch FROM h.starts_at)::int, extract(epoch FROM h.ends_at)::int] \
                                         ORDER BY h.weekday, h.starts_at) AS windows \
                        FROM lead_management.seller_hours h GROUP BY 1) w ON w.seller_document_number = s.document_number \
             LEFT JOIN (SELECT c.seller_document_number, sum(c.assigned) AS assigned \
                        FROM lead_management.seller_hourly_assignments c \
                        WHERE c.hour >= date_trunc('hour', now() - interval '24 hours', 'UTC') GROUP BY 1) d \
                    ON d.seller_document_number = s.document_number AND (",
            $counted,
            ") "
        )
    };
}

/// Active sellers with capacity left, in document_number order: the only ones a run can use
/// (whether they are away, off hours or capped the core decides).
static SELLERS_WITH_ROOM: Statement = Statement {
    sql: concat!(
        seller_state!("s.daily_cap IS NOT NULL"),
        "WHERE s.is_active AND s.max_leads_count > coalesce(l.open_leads, 0) ORDER BY s.document_number"
    ),
    arg_types: &[],
};

/// Every seller of one business line, in document_number order (explain_lead()).
static SELLERS_OF_LINE: Statement = Statement {
    sql: concat!(seller_state!("s.daily_cap IS NOT NULL"), "WHERE s.business_line_id = $1 ORDER BY s.document_number"),
    arg_types: &[pg_sys::INT4OID],
};

/// Every seller, with the day's count whether capped or not (the seller_workload view).
static ALL_SELLERS: Statement =
    Statement { sql: concat!(seller_state!("true"), "ORDER BY s.document_number"), arg_types: &[] };

/// A seller's state as read, owning what [`SellerState`] borrows.
pub struct SellerRow {
    pub document_number: String,
    pub business_line_id: i32,
    is_active: bool,
    max_leads: i64,
    open_leads: i64,
    away_until: Option<i64>,
    local_now: LocalClock,
    daily_cap: Option<i64>,
    assigned_last_day: i64,
    weight: i64,
    hours: Vec<WorkingHours>,
}

impl SellerRow {
    pub fn state(&self) -> SellerState<'_> {
        SellerState {
            document_number: &self.document_number,
            business_line_id: self.business_line_id,
            is_active: self.is_active,
            max_leads: self.max_leads,
            open_leads: self.open_leads,
            away_until: self.away_until,
            hours: &self.hours,
            local_now: self.local_now,
            daily_cap: self.daily_cap,
            assigned_last_day: self.assigned_last_day,
            weight: self.weight,
        }
    }

    /// The run gives back a lead this seller let time out: one slot less held.
    pub fn release_one(&mut self) {
        self.open_leads -= 1;
    }
}

fn rows(table: SpiTupleTable<'_>) -> Vec<SellerRow> {
    const WHAT: &str = "reading a seller";
    table
        .map(|row| {
            // Windows as a flat array of (weekday, starts_at, ends_at) triples.
            let hours: Vec<i32> = row.get(12).or_raise(WHAT).unwrap_or_default();
            SellerRow {
                document_number: row.get(1).or_raise(WHAT).unwrap_or_default(),
                business_line_id: row.get(2).or_raise(WHAT).unwrap_or_default(),
                is_active: row.get(3).or_raise(WHAT).unwrap_or_default(),
                max_leads: row.get::<i32>(4).or_raise(WHAT).unwrap_or_default().into(),
                open_leads: row.get(5).or_raise(WHAT).unwrap_or_default(),
                away_until: row.get(6).or_raise(WHAT),
                local_now: LocalClock {
                    weekday: row.get::<i32>(7).or_raise(WHAT).unwrap_or_default() as u8,
                    seconds: row.get::<i32>(8).or_raise(WHAT).unwrap_or_default() as u32,
                },
                daily_cap: row.get::<i32>(9).or_raise(WHAT).map(i64::from),
                assigned_last_day: row.get(10).or_raise(WHAT).unwrap_or_default(),
                weight: row.get::<i32>(11).or_raise(WHAT).unwrap_or(1).into(),
                hours: hours
                    .chunks_exact(3)
                    .map(|window| WorkingHours {
                        weekday: window[0] as u8,
                        starts_at: window[1] as u32,
                        ends_at: window[2] as u32,
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn with_room(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    rows(SELLERS_WITH_ROOM.run(client, &[]).or_raise("reading sellers"))
}

pub fn all(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    rows(ALL_SELLERS.run(client, &[]).or_raise("reading sellers"))
}

pub fn of_line(client: &mut SpiClient<'_>, business_line_id: i32) -> Vec<SellerRow> {
    rows(SELLERS_OF_LINE.run(client, &[business_line_id.into()]).or_raise("reading sellers"))
}

/// The transaction's now() in microseconds since the Unix epoch: the moment every rule is
/// judged at, the same one the statements above convert into each seller's time zone.
pub fn now_micros() -> i64 {
    const UNIX_TO_POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
    // SAFETY: reads the transaction's start time.
    (unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }) + UNIX_TO_POSTGRES_EPOCH_MICROS
}
