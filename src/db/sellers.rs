//! Sellers as the rules see them: one row per seller with its maintained load, its daily count,
//! its working hours and "now" converted to its own time zone. The rules themselves are the
//! core's (`lead_assigner_core::eligibility`); this only reads their inputs.

use std::collections::HashMap;

use lead_assigner_core::eligibility::{LocalClock, SellerState, WorkingHours};
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone};
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::{Row, Statement};

/// The columns of a seller's state, read in one pass. Working hours come from seller_schedules,
/// one row per seller with each window packed in one bigint (see `packed_windows!`); the time
/// zone only for a seller with hours (its clock is computed per zone, not per seller, see
/// [`with_local_clocks`]); the daily count apart, only for the sellers that need it (see
/// [`with_daily_counts`]).
macro_rules! seller_state {
    () => {
        "SELECT s.document_number, s.business_line_id, s.is_active, s.max_leads_count, coalesce(l.open_leads, 0)::bigint, \
                s.away_until, CASE WHEN w.windows IS NULL THEN NULL ELSE s.time_zone END, s.daily_cap, s.weight, w.windows \
         FROM lead_management.sellers s \
         LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number \
         LEFT JOIN lead_management.seller_schedules w ON w.seller_document_number = s.document_number "
    };
}

/// Active sellers with capacity left: the only ones a run can use (whether they are away, off
/// hours or capped the core decides).
static SELLERS_WITH_ROOM: Statement = Statement {
    sql: concat!(seller_state!(), "WHERE s.is_active AND s.max_leads_count > coalesce(l.open_leads, 0)"),
    arg_types: &[],
};

/// Every seller of one business line (explain_lead()).
static SELLERS_OF_LINE: Statement =
    Statement { sql: concat!(seller_state!(), "WHERE s.business_line_id = $1"), arg_types: &[pg_sys::INT4OID] };

/// Every seller (the seller_workload view).
static ALL_SELLERS: Statement = Statement { sql: seller_state!(), arg_types: &[] };

/// A seller's state as read, owning what [`SellerState`] borrows.
pub struct SellerRow {
    pub document_number: String,
    pub business_line_id: i32,
    is_active: bool,
    max_leads: i64,
    open_leads: i64,
    away_until: Option<i64>,
    /// Set only for a seller with working hours.
    time_zone: Option<String>,
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

const UNIX_TO_POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn seller_row(row: &Row<'_>) -> SellerRow {
    let windows: Vec<i64> = row.get(10).unwrap_or_default();
    SellerRow {
        document_number: row.get(1).unwrap_or_default(),
        business_line_id: row.get(2).unwrap_or_default(),
        is_active: row.get(3).unwrap_or_default(),
        max_leads: row.get::<i32>(4).unwrap_or_default().into(),
        open_leads: row.get(5).unwrap_or_default(),
        away_until: row
            .get::<TimestampWithTimeZone>(6)
            .map(|until| pg_sys::TimestampTz::from(until).saturating_add(UNIX_TO_POSTGRES_EPOCH_MICROS)),
        time_zone: row.get(7),
        local_now: LocalClock { weekday: 0, seconds: 0 },
        daily_cap: row.get::<i32>(8).map(i64::from),
        assigned_last_day: 0,
        weight: row.get::<i32>(9).unwrap_or(1).into(),
        hours: windows
            .iter()
            .map(|&window| WorkingHours {
                weekday: (window >> 34) as u8,
                starts_at: ((window >> 17) & 0x1_ffff) as u32,
                ends_at: (window & 0x1_ffff) as u32,
            })
            .collect(),
    }
}

/// "Now" in each time zone the sellers with hours use: one conversion per zone, not per seller.
static LOCAL_CLOCKS: Statement = Statement {
    sql: "SELECT z.zone, date_part('isodow', now() AT TIME ZONE z.zone)::int, \
                 floor(date_part('epoch', (now() AT TIME ZONE z.zone)::time))::int \
          FROM unnest($1::text[]) AS z(zone)",
    arg_types: &[pg_sys::TEXTARRAYOID],
};

fn with_local_clocks(client: &mut SpiClient<'_>, mut sellers: Vec<SellerRow>) -> Vec<SellerRow> {
    let mut zones: Vec<&str> = sellers.iter().filter_map(|row| row.time_zone.as_deref()).collect();
    if zones.is_empty() {
        return sellers;
    }
    zones.sort_unstable();
    zones.dedup();
    let clocks: HashMap<String, LocalClock> = LOCAL_CLOCKS
        .read(client, &[zones.into()], "reading the sellers' local time", |row| {
            let clock = LocalClock {
                weekday: row.get::<i32>(2).unwrap_or_default() as u8,
                seconds: row.get::<i32>(3).unwrap_or_default() as u32,
            };
            (row.get(1).unwrap_or_default(), clock)
        })
        .into_iter()
        .collect();
    for seller in &mut sellers {
        if let Some(clock) = seller.time_zone.as_ref().and_then(|zone| clocks.get(zone)) {
            seller.local_now = *clock;
        }
    }
    sellers
}

/// Leads assigned per seller in the last 24 hours plus the current partial hour (the start
/// computed once, not per bucket), from the maintained hourly buckets: an assignment counts for
/// 24 to 25 hours, so a cap is never exceeded.
static DAILY_COUNTS: Statement = Statement {
    // A join, not `= ANY($1)`: a kept (generic) plan searches an array parameter linearly per row.
    sql: "SELECT c.seller_document_number, sum(c.assigned)::bigint \
          FROM unnest($1::text[]) AS w(seller_document_number) \
          JOIN lead_management.seller_hourly_assignments c USING (seller_document_number) \
          WHERE c.hour >= (SELECT date_trunc('hour', now() - interval '24 hours', 'UTC')) GROUP BY 1",
    arg_types: &[pg_sys::TEXTARRAYOID],
};

/// Which sellers' daily counts a read needs.
enum Counted {
    /// Those with a cap: the rules read no other.
    Capped,
    /// All of them: the seller_workload view shows every count.
    All,
}

fn with_daily_counts(client: &mut SpiClient<'_>, mut sellers: Vec<SellerRow>, counted: Counted) -> Vec<SellerRow> {
    let wanted: Vec<&str> = sellers
        .iter()
        .filter(|row| matches!(counted, Counted::All) || row.daily_cap.is_some())
        .map(|row| row.document_number.as_str())
        .collect();
    if wanted.is_empty() {
        return sellers;
    }
    let counts: HashMap<String, i64> =
        DAILY_COUNTS.read(client, &[wanted.into()], "reading the daily counts", super::pairs).into_iter().collect();
    for seller in &mut sellers {
        seller.assigned_last_day = counts.get(&seller.document_number).copied().unwrap_or(0);
    }
    sellers
}

/// Sellers in document_number order (sorted here: byte order, as COLLATE "C" sorts them, without
/// a sort node in every read).
fn read(
    client: &mut SpiClient<'_>,
    statement: &'static Statement,
    args: &[DatumWithOid<'_>],
    counted: Counted,
) -> Vec<SellerRow> {
    let mut sellers = statement.read(client, args, "reading sellers", seller_row);
    sellers.sort_unstable_by(|a, b| a.document_number.cmp(&b.document_number));
    let sellers = with_local_clocks(client, sellers);
    with_daily_counts(client, sellers, counted)
}

pub fn with_room(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    read(client, &SELLERS_WITH_ROOM, &[], Counted::Capped)
}

pub fn all(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    read(client, &ALL_SELLERS, &[], Counted::All)
}

pub fn of_line(client: &mut SpiClient<'_>, business_line_id: i32) -> Vec<SellerRow> {
    read(client, &SELLERS_OF_LINE, &[business_line_id.into()], Counted::Capped)
}

/// The transaction's now() in microseconds since the Unix epoch: the moment every rule is
/// judged at, the same one the statements above convert into each seller's time zone.
pub fn now_micros() -> i64 {
    // SAFETY: reads the transaction's start time.
    (unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }) + UNIX_TO_POSTGRES_EPOCH_MICROS
}
