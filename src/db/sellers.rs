//! Sellers as the rules see them: one row per seller with its maintained load, its daily count,
//! its working hours and "now" converted to its own time zone. The rules themselves are the
//! core's (`lead_assigner_core::eligibility`); this only reads their inputs.
//!
//! The sellers' own columns and hours are kept by the backend between runs, stamped with the
//! versions of seller_roster_versions they were read at; a run reads the loads, and the sellers
//! again only when a version changed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lead_assigner_core::eligibility::{LocalClock, SellerState, WorkingHours};
use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use super::Statement;
use crate::errors::OrRaise;

/// The sellers' own columns, territories (their countries, sorted) and working hours (from seller_schedules, one row per seller with
/// each window packed in one bigint, see `packed_windows!`); the time zone only for a seller with
/// hours (its clock is computed per zone, not per seller, see [`local_clocks`]). Loads and
/// daily counts are read per run, apart.
static ROSTER: Statement = Statement {
    sql: "SELECT s.document_number, s.business_line_id, s.is_active, s.max_leads_count, s.away_until, \
                 CASE WHEN w.windows IS NULL THEN NULL ELSE s.time_zone END, s.daily_cap, s.weight, w.windows, t.countries \
          FROM lead_management.sellers s \
          LEFT JOIN lead_management.seller_schedules w ON w.seller_document_number = s.document_number \
          LEFT JOIN (SELECT seller_document_number, array_agg(country_id ORDER BY country_id) AS countries \
                     FROM lead_management.seller_countries GROUP BY 1) t ON t.seller_document_number = s.document_number",
    arg_types: &[],
};

/// What the roster was read at: the versions of every line (see seller_roster_versions), of that
/// table (a re-created extension starts its versions again) and for which user (privileges and
/// row security are the reader's).
///
/// One row per line (NULLs when there is none), unordered and unaggregated: a sort or an
/// aggregate costs this read, which every run makes, more than the lines themselves.
static ROSTER_VERSIONS: Statement = Statement {
    sql: "SELECT 'lead_management.seller_roster_versions'::regclass::oid::bigint, v.business_line_id, v.version \
          FROM (SELECT) AS table_oid LEFT JOIN lead_management.seller_roster_versions v ON true",
    arg_types: &[],
};

static RENEW_EVERY_ROSTER_VERSION: Statement = Statement {
    sql: renew_roster_versions!(
        "SELECT business_line_id FROM lead_management.business_lines \
         UNION ALL SELECT business_line_id FROM lead_management.seller_roster_versions"
    ),
    arg_types: &[],
};

/// Every line's sellers are read again by every backend: after TRUNCATE, or a load with
/// triggers off (repair_assignments()).
pub fn renew_every_roster_version(client: &mut SpiClient<'_>) {
    RENEW_EVERY_ROSTER_VERSION.run(client, &[]).or_raise("renewing the sellers' roster versions");
}

/// The maintained loads; a seller without a row has none.
static LOADS: Statement = Statement {
    sql: "SELECT seller_document_number, open_leads::bigint FROM lead_management.seller_loads WHERE open_leads <> 0",
    arg_types: &[],
};

#[derive(PartialEq)]
struct RosterVersion {
    user: pg_sys::Oid,
    table: i64,
    /// (business line, version), in line order.
    versions: Vec<(i32, i64)>,
}

/// A seller's own columns and working hours.
pub struct RosterSeller {
    pub document_number: String,
    pub business_line_id: i32,
    is_active: bool,
    max_leads: i64,
    away_until: Option<i64>,
    /// Index into [`Roster::zones`], only for a seller with working hours.
    zone: Option<usize>,
    daily_cap: Option<i64>,
    weight: i64,
    hours: Vec<WorkingHours>,
    /// Sorted; empty: covers every country.
    pub countries: Vec<i32>,
}

/// Every seller in document_number order, as of `version`.
struct Roster {
    version: RosterVersion,
    sellers: Vec<Rc<RosterSeller>>,
    position: HashMap<String, usize>,
    /// The time zones of the sellers with working hours, each once.
    zones: Vec<String>,
}

thread_local! {
    // Kept between runs: a run reads the versions (one row) and, unless one changed, only the
    // loads, instead of every seller with its hours.
    static KEPT_ROSTER: RefCell<Option<Rc<Roster>>> = const { RefCell::new(None) };
}

const UNIX_TO_POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The sellers as the current snapshot sees them. The versions are read first: a change that
/// commits between the two reads leaves the roster stamped with an older version than it holds,
/// so the next run reads it again rather than trusting a stale one.
fn roster(client: &mut SpiClient<'_>) -> Rc<Roster> {
    let mut table = 0;
    let mut versions: Vec<(i32, i64)> = Vec::new();
    ROSTER_VERSIONS.read(client, &[], "reading the sellers' roster versions", |row| {
        table = row.get(1).unwrap_or_default();
        if let (Some(line), Some(version)) = (row.get(2), row.get(3)) {
            versions.push((line, version));
        }
    });
    versions.sort_unstable();
    // SAFETY: reads the current user id.
    let version = RosterVersion { user: unsafe { pg_sys::GetUserId() }, table, versions };
    if let Some(kept) = KEPT_ROSTER.with_borrow(|kept| kept.clone()).filter(|kept| kept.version == version) {
        return kept;
    }
    let mut zones: Vec<String> = Vec::new();
    let mut sellers = ROSTER.read(client, &[], "reading sellers", |row| {
        let windows: Vec<i64> = row.get(9).unwrap_or_default();
        let zone = row.get::<String>(6).map(|zone| match zones.iter().position(|known| *known == zone) {
            Some(i) => i,
            None => {
                zones.push(zone);
                zones.len() - 1
            }
        });
        RosterSeller {
            document_number: row.get(1).unwrap_or_default(),
            business_line_id: row.get(2).unwrap_or_default(),
            is_active: row.get(3).unwrap_or_default(),
            max_leads: row.get::<i32>(4).unwrap_or_default().into(),
            away_until: row
                .get::<TimestampWithTimeZone>(5)
                .map(|until| pg_sys::TimestampTz::from(until).saturating_add(UNIX_TO_POSTGRES_EPOCH_MICROS)),
            zone,
            daily_cap: row.get::<i32>(7).map(i64::from),
            weight: row.get::<i32>(8).unwrap_or(1).into(),
            hours: windows
                .iter()
                .map(|&window| WorkingHours {
                    weekday: (window >> 34) as u8,
                    starts_at: ((window >> 17) & 0x1_ffff) as u32,
                    ends_at: (window & 0x1_ffff) as u32,
                })
                .collect(),
            countries: row.get(10).unwrap_or_default(),
        }
    });
    // Sorted here: byte order, as COLLATE "C" sorts them, without a sort node in the read.
    sellers.sort_unstable_by(|a, b| a.document_number.cmp(&b.document_number));
    let position = sellers.iter().enumerate().map(|(i, seller)| (seller.document_number.clone(), i)).collect();
    let sellers = sellers.into_iter().map(Rc::new).collect();
    let roster = Rc::new(Roster { version, sellers, position, zones });
    KEPT_ROSTER.set(Some(Rc::clone(&roster)));
    roster
}

/// A seller as the rules judge it now: its own columns, its load, its clock and daily count.
pub struct SellerRow {
    pub seller: Rc<RosterSeller>,
    open_leads: i64,
    local_now: LocalClock,
    assigned_last_day: i64,
}

impl SellerRow {
    pub fn state(&self) -> SellerState<'_> {
        let seller = &*self.seller;
        SellerState {
            document_number: &seller.document_number,
            business_line_id: seller.business_line_id,
            is_active: seller.is_active,
            max_leads: seller.max_leads,
            open_leads: self.open_leads,
            away_until: seller.away_until,
            hours: &seller.hours,
            local_now: self.local_now,
            daily_cap: seller.daily_cap,
            assigned_last_day: self.assigned_last_day,
            weight: seller.weight,
            countries: &seller.countries,
        }
    }

    /// The run gives back a lead this seller let time out: one slot less held.
    pub fn release_one(&mut self) {
        self.open_leads -= 1;
    }
}

/// "Now" in each of the roster's time zones: one conversion per zone, not per seller.
static LOCAL_CLOCKS: Statement = Statement {
    sql: "SELECT date_part('isodow', now() AT TIME ZONE z.zone)::int, \
                 floor(date_part('epoch', (now() AT TIME ZONE z.zone)::time))::int \
          FROM unnest($1::text[]) WITH ORDINALITY AS z(zone, i) ORDER BY z.i",
    arg_types: &[pg_sys::TEXTARRAYOID],
};

fn local_clocks(client: &mut SpiClient<'_>, zones: &[String]) -> Vec<LocalClock> {
    let zones: Vec<&str> = zones.iter().map(String::as_str).collect();
    LOCAL_CLOCKS.read(client, &[zones.into()], "reading the sellers' local time", |row| LocalClock {
        weekday: row.get::<i32>(1).unwrap_or_default() as u8,
        seconds: row.get::<i32>(2).unwrap_or_default() as u32,
    })
}

/// Leads assigned per seller in the last 24 hours plus the current partial hour (the start
/// computed once, not per bucket), from the maintained hourly buckets: an assignment counts for
/// 24 to 25 hours, so a cap is never exceeded. One pass over the window's buckets rather than
/// a lookup per seller, each of which costs as much as several buckets.
static DAILY_COUNTS: Statement = Statement {
    sql: "SELECT seller_document_number, sum(assigned)::bigint FROM lead_management.seller_hourly_assignments \
          WHERE hour >= (SELECT date_trunc('hour', now() - interval '24 hours', 'UTC')) GROUP BY 1",
    arg_types: &[],
};

/// Which sellers' daily counts a read needs.
enum Counted {
    /// Those with a cap: the rules read no other.
    Capped,
    /// All of them: the seller_workload view shows every count.
    All,
}

impl Roster {
    /// A (seller, number) read as one number per seller of the roster, in its order: 0 for a
    /// seller the read has no row for, and a row of a seller not in the roster ignored.
    fn per_seller(&self, client: &mut SpiClient<'_>, statement: &'static Statement, what: &str) -> Vec<i64> {
        let mut numbers = vec![0; self.sellers.len()];
        statement.read(client, &[], what, |row| {
            let seller: Option<&str> = row.get(1);
            if let Some(&i) = seller.and_then(|seller| self.position.get(seller)) {
                numbers[i] = row.get(2).unwrap_or_default();
            }
        });
        numbers
    }
}

/// The sellers `wanted` keeps, in document_number order, as the rules judge them now.
fn read(client: &mut SpiClient<'_>, wanted: impl Fn(&RosterSeller, i64) -> bool, counted: Counted) -> Vec<SellerRow> {
    let roster = roster(client);
    let open_leads = roster.per_seller(client, &LOADS, "reading seller loads");
    let picked: Vec<usize> = (0..roster.sellers.len()).filter(|&i| wanted(&roster.sellers[i], open_leads[i])).collect();
    let has_hours = |i: &usize| roster.sellers[*i].zone.is_some();
    let clocks = if picked.iter().any(has_hours) { local_clocks(client, &roster.zones) } else { Vec::new() };
    let counts_needed = match counted {
        Counted::All => !picked.is_empty(),
        Counted::Capped => picked.iter().any(|&i| roster.sellers[i].daily_cap.is_some()),
    };
    let counts =
        if counts_needed { roster.per_seller(client, &DAILY_COUNTS, "reading the daily counts") } else { Vec::new() };
    picked
        .into_iter()
        .map(|i| {
            let seller = Rc::clone(&roster.sellers[i]);
            let local_now = seller.zone.and_then(|zone| clocks.get(zone).copied());
            SellerRow {
                open_leads: open_leads[i],
                local_now: local_now.unwrap_or(LocalClock { weekday: 0, seconds: 0 }),
                assigned_last_day: counts.get(i).copied().unwrap_or(0),
                seller,
            }
        })
        .collect()
}

/// Active sellers with capacity left: the only ones a run can use (whether they are away, off
/// hours or capped the core decides).
pub fn with_room(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    read(client, |seller, open_leads| seller.is_active && seller.max_leads > open_leads, Counted::Capped)
}

/// Every seller (the seller_workload view).
pub fn all(client: &mut SpiClient<'_>) -> Vec<SellerRow> {
    read(client, |_, _| true, Counted::All)
}

/// Every seller of one business line (explain_lead()).
pub fn of_line(client: &mut SpiClient<'_>, business_line_id: i32) -> Vec<SellerRow> {
    read(client, |seller, _| seller.business_line_id == business_line_id, Counted::Capped)
}

/// The transaction's now() in microseconds since the Unix epoch: the moment every rule is
/// judged at, the same one the statements above convert into each seller's time zone.
pub fn now_micros() -> i64 {
    // SAFETY: reads the transaction's start time.
    (unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }) + UNIX_TO_POSTGRES_EPOCH_MICROS
}
