//! One definition of "may this seller take a lead now, and if not, why", shared
//! by the planner ([`crate::assign::plan`]), preview and explain.
//!
//! Pure: the database converts `now()` into each seller's local clock and counts
//! the leads of the last day; everything here is arithmetic on those numbers.
//!
//! Two kinds of rule: those about the seller alone ([`SellerState::availability`],
//! [`SellerState::room`]) and those about the seller and one lead: its territory
//! ([`SellerState::covers`]) and the lead's exclusions ([`may_take`]).
//! [`reason_for_lead`] combines both.

/// A window in which a seller works, in the seller's own time zone. Half-open:
/// `starts_at <= seconds < ends_at`. A window with `starts_at >= ends_at` (e.g.
/// one crossing midnight) is not allowed by the database and never matches here;
/// a night shift is two windows, one on each day. `ends_at` may be 86 400
/// (`24:00:00`) so a window can run up to the end of its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    /// ISO weekday: 1 = Monday .. 7 = Sunday.
    pub weekday: u8,
    /// Seconds since local midnight.
    pub starts_at: u32,
    /// Seconds since local midnight, exclusive.
    pub ends_at: u32,
}

impl WorkingHours {
    /// Whether `clock` falls inside this window.
    pub fn contains(&self, clock: LocalClock) -> bool {
        self.weekday == clock.weekday && self.starts_at <= clock.seconds && clock.seconds < self.ends_at
    }
}

/// "Now" in the seller's own time zone (the database converts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalClock {
    /// ISO weekday: 1 = Monday .. 7 = Sunday.
    pub weekday: u8,
    /// Seconds since local midnight.
    pub seconds: u32,
}

/// Everything the rules need to know about one seller at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerState<'a> {
    pub document_number: &'a str,
    pub business_line_id: i32,
    pub is_active: bool,
    /// May be 0; negative is treated as 0.
    pub max_leads: i64,
    /// Leads currently held in a status that occupies capacity (may exceed
    /// `max_leads`; negative is treated as 0).
    pub open_leads: i64,
    /// Microseconds since the Unix epoch; away while `now < away_until`.
    pub away_until: Option<i64>,
    /// Empty: always available; otherwise only inside one of them (several per
    /// day allowed).
    pub hours: &'a [WorkingHours],
    /// Now in the seller's time zone, for `hours`.
    pub local_now: LocalClock,
    /// `None`: no cap; otherwise at most this many leads assigned in the last day
    /// (negative is treated as 0).
    pub daily_cap: Option<i64>,
    /// Leads assigned to this seller in the last day, whatever their status now.
    pub assigned_last_day: i64,
    /// Round-robin weight, 1..=100; out-of-range values are clamped, see
    /// [`SellerState::effective_weight`].
    pub weight: i64,
    /// The countries (ids) whose leads the seller takes; empty: every country.
    pub countries: &'a [i32],
}

/// Why a seller may or may not take a lead. The first failing rule wins, in the
/// order of [`SellerState::availability`] and [`reason_for_lead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Eligible,
    Inactive,
    Full,
    Away,
    OutsideHours,
    DailyCap,
    Excluded,
    AlreadyAssigned,
    OutsideTerritory,
}

impl Reason {
    /// Every reason, in declaration order.
    pub const ALL: [Reason; 9] = [
        Reason::Eligible,
        Reason::Inactive,
        Reason::Full,
        Reason::Away,
        Reason::OutsideHours,
        Reason::DailyCap,
        Reason::Excluded,
        Reason::AlreadyAssigned,
        Reason::OutsideTerritory,
    ];

    /// The name reported by the extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Eligible => "eligible",
            Reason::Inactive => "inactive",
            Reason::Full => "full",
            Reason::Away => "away",
            Reason::OutsideHours => "outside_hours",
            Reason::DailyCap => "daily_cap",
            Reason::Excluded => "excluded",
            Reason::AlreadyAssigned => "already_assigned",
            Reason::OutsideTerritory => "outside_territory",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SellerState<'_> {
    /// Free capacity slots, ignoring every other rule: `max_leads - open_leads`,
    /// never negative. Balanced orders sellers by this.
    pub fn capacity_room(&self) -> i64 {
        // Saturating: extreme values from the caller must not overflow/panic.
        self.max_leads.max(0).saturating_sub(self.open_leads.max(0)).max(0)
    }

    /// Leads the daily cap still allows (`i64::MAX` without a cap).
    pub fn daily_room(&self) -> i64 {
        self.daily_cap.map_or(i64::MAX, |cap| cap.max(0).saturating_sub(self.assigned_last_day.max(0)).max(0))
    }

    /// Whether the seller's territory includes `country_id` (no territory: every country).
    pub fn covers(&self, country_id: i32) -> bool {
        self.countries.is_empty() || self.countries.contains(&country_id)
    }

    /// `weight` clamped to 1..=100.
    pub fn effective_weight(&self) -> i64 {
        self.weight.clamp(1, 100)
    }

    /// Lead-independent availability at `now` (microseconds since the epoch):
    /// the first failing of Inactive, Away, OutsideHours, Full, DailyCap; else
    /// Eligible.
    pub fn availability(&self, now: i64) -> Reason {
        if !self.is_active {
            Reason::Inactive
        } else if self.away_until.is_some_and(|until| now < until) {
            Reason::Away
        } else if !self.hours.is_empty() && !self.hours.iter().any(|h| h.contains(self.local_now)) {
            Reason::OutsideHours
        } else if self.capacity_room() == 0 {
            Reason::Full
        } else if self.daily_room() == 0 {
            Reason::DailyCap
        } else {
            Reason::Eligible
        }
    }

    /// Leads this seller may still take now: 0 unless Eligible, else
    /// min(capacity room, daily-cap room).
    pub fn room(&self, now: i64) -> i64 {
        if self.availability(now) == Reason::Eligible {
            self.capacity_room().min(self.daily_room())
        } else {
            0
        }
    }
}

/// The rules about a seller and one lead: whether a seller that has room may be offered a lead
/// of `country_id` that it is `excluded` from (or not). The planner asks this for every
/// (lead, seller with room) pair it considers; [`reason_for_lead`] agrees with it.
pub fn may_take(seller: &SellerState, country_id: i32, excluded: bool) -> bool {
    seller.covers(country_id) && !excluded
}

/// Why `seller` may or may not take a lead of `country_id`: AlreadyAssigned if `holder` (the
/// lead's current seller) is this seller; else Inactive; else OutsideTerritory if the seller
/// does not cover the country (a fact about the lead that outlasts the seller's momentary
/// state); else the availability reason if not Eligible; else Excluded if `excluded` (the
/// seller let this lead time out); else Eligible. For a seller with `room(now) > 0` and no
/// holder, Eligible exactly when [`may_take`].
pub fn reason_for_lead(
    seller: &SellerState,
    now: i64,
    country_id: i32,
    holder: Option<&str>,
    excluded: bool,
) -> Reason {
    if holder == Some(seller.document_number) {
        return Reason::AlreadyAssigned;
    }
    match seller.availability(now) {
        Reason::Inactive => Reason::Inactive,
        _ if !seller.covers(country_id) => Reason::OutsideTerritory,
        Reason::Eligible if excluded => Reason::Excluded,
        reason => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000_000;
    const HOUR: u32 = 3600;

    fn seller(hours: &[WorkingHours]) -> SellerState<'_> {
        SellerState {
            document_number: "S1",
            business_line_id: 1,
            is_active: true,
            max_leads: 5,
            open_leads: 2,
            away_until: None,
            hours,
            local_now: LocalClock { weekday: 3, seconds: 10 * HOUR },
            daily_cap: None,
            assigned_last_day: 0,
            weight: 1,
            countries: &[],
        }
    }

    /// The country of the leads in these tests unless they say otherwise.
    const HOME: i32 = 1;

    fn wh(weekday: u8, starts_at: u32, ends_at: u32) -> WorkingHours {
        WorkingHours { weekday, starts_at, ends_at }
    }

    #[test]
    fn eligibility_reason_names() {
        let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "eligible",
                "inactive",
                "full",
                "away",
                "outside_hours",
                "daily_cap",
                "excluded",
                "already_assigned",
                "outside_territory"
            ]
        );
        assert_eq!(Reason::OutsideHours.to_string(), "outside_hours");
    }

    #[test]
    fn eligibility_eligible_without_rules() {
        let s = seller(&[]);
        assert_eq!(s.availability(NOW), Reason::Eligible);
        assert_eq!(s.room(NOW), 3);
        assert_eq!(reason_for_lead(&s, NOW, HOME, None, false), Reason::Eligible);
        assert_eq!(reason_for_lead(&s, NOW, HOME, Some("S2"), false), Reason::Eligible);
    }

    #[test]
    fn eligibility_inactive() {
        let s = SellerState { is_active: false, ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::Inactive);
        assert_eq!(s.room(NOW), 0);
        // Inactive comes before every other failing rule.
        let s = SellerState { away_until: Some(NOW + 1), open_leads: 9, ..s };
        assert_eq!(s.availability(NOW), Reason::Inactive);
    }

    #[test]
    fn eligibility_full() {
        for (max, open) in [(5, 5), (5, 9), (0, 0), (-3, 0)] {
            let s = SellerState { max_leads: max, open_leads: open, ..seller(&[]) };
            assert_eq!(s.availability(NOW), Reason::Full, "{max} {open}");
            assert_eq!(s.room(NOW), 0);
        }
        // Extreme values saturate instead of overflowing; negative open counts as 0.
        let s = SellerState { max_leads: i64::MAX, open_leads: i64::MIN, ..seller(&[]) };
        assert_eq!(s.room(NOW), i64::MAX);
        let s = SellerState { max_leads: 0, open_leads: -5, ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::Full);
    }

    #[test]
    fn eligibility_away_until_exactly_now_is_back() {
        let s = SellerState { away_until: Some(NOW + 1), ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::Away);
        assert_eq!(s.room(NOW), 0);
        let s = SellerState { away_until: Some(NOW), ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::Eligible);
        let s = SellerState { away_until: Some(NOW - 1), ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::Eligible);
        // Away comes before hours and capacity.
        let h = [wh(1, 0, 1)];
        let s = SellerState { away_until: Some(i64::MAX), open_leads: 7, ..seller(&h) };
        assert_eq!(s.availability(NOW), Reason::Away);
    }

    #[test]
    fn eligibility_outside_hours() {
        // Wednesday 10:00 local.
        let h = [wh(3, 8 * HOUR, 10 * HOUR)];
        assert_eq!(seller(&h).availability(NOW), Reason::OutsideHours, "ends_at is exclusive");
        let h = [wh(3, 10 * HOUR, 18 * HOUR)];
        assert_eq!(seller(&h).availability(NOW), Reason::Eligible, "starts_at is inclusive");
        let h = [wh(2, 0, 86_400), wh(4, 0, 86_400)];
        assert_eq!(seller(&h).availability(NOW), Reason::OutsideHours, "other days only");
        assert_eq!(seller(&h).room(NOW), 0);
        // Outside hours comes before capacity.
        let s = SellerState { open_leads: 9, ..seller(&h) };
        assert_eq!(s.availability(NOW), Reason::OutsideHours);
    }

    #[test]
    fn eligibility_several_windows_per_day() {
        let h = [wh(3, 8 * HOUR, 9 * HOUR), wh(3, 12 * HOUR, 13 * HOUR), wh(3, 9 * HOUR + 1800, 10 * HOUR + 1)];
        assert_eq!(seller(&h).availability(NOW), Reason::Eligible);
        for (seconds, want) in [
            (8 * HOUR, Reason::Eligible),
            (9 * HOUR, Reason::OutsideHours),
            (9 * HOUR + 1799, Reason::OutsideHours),
            (9 * HOUR + 1800, Reason::Eligible),
            (10 * HOUR + 1, Reason::OutsideHours),
            (12 * HOUR + 59 * 60, Reason::Eligible),
            (13 * HOUR, Reason::OutsideHours),
        ] {
            let s = SellerState { local_now: LocalClock { weekday: 3, seconds }, ..seller(&h) };
            assert_eq!(s.availability(NOW), want, "{seconds}");
        }
    }

    #[test]
    fn eligibility_window_across_midnight_never_matches() {
        // 22:00-02:00 is refused by the database; here it is an empty window.
        let h = [wh(3, 22 * HOUR, 2 * HOUR)];
        for seconds in [0, HOUR, 2 * HOUR, 22 * HOUR, 23 * HOUR] {
            let s = SellerState { local_now: LocalClock { weekday: 3, seconds }, ..seller(&h) };
            assert_eq!(s.availability(NOW), Reason::OutsideHours, "{seconds}");
        }
        // Empty window (starts_at == ends_at) too.
        let h = [wh(3, 10 * HOUR, 10 * HOUR)];
        assert_eq!(seller(&h).availability(NOW), Reason::OutsideHours);
        // The night shift is two windows.
        let h = [wh(3, 22 * HOUR, 86_400), wh(4, 0, 2 * HOUR)];
        for (weekday, seconds, want) in [
            (3, 23 * HOUR, Reason::Eligible),
            (4, HOUR, Reason::Eligible),
            (4, 2 * HOUR, Reason::OutsideHours),
            (3, HOUR, Reason::OutsideHours),
        ] {
            let s = SellerState { local_now: LocalClock { weekday, seconds }, ..seller(&h) };
            assert_eq!(s.availability(NOW), want, "{weekday} {seconds}");
        }
    }

    #[test]
    fn eligibility_weekday_boundary_sunday_to_monday() {
        let sunday_night = LocalClock { weekday: 7, seconds: 86_399 };
        let monday_midnight = LocalClock { weekday: 1, seconds: 0 };
        let sunday_only = [wh(7, 20 * HOUR, 86_400)];
        let monday_only = [wh(1, 0, 8 * HOUR)];
        let at = |hours, local_now| SellerState { local_now, ..seller(hours) }.availability(NOW);
        assert_eq!(at(&sunday_only, sunday_night), Reason::Eligible);
        assert_eq!(at(&sunday_only, monday_midnight), Reason::OutsideHours);
        assert_eq!(at(&monday_only, sunday_night), Reason::OutsideHours);
        assert_eq!(at(&monday_only, monday_midnight), Reason::Eligible);
        // A window ending at 23:59:59 excludes the very last second of the day.
        let until_235959 = [wh(7, 20 * HOUR, 86_399)];
        assert_eq!(at(&until_235959, sunday_night), Reason::OutsideHours);
    }

    #[test]
    fn eligibility_daily_cap() {
        let s = SellerState { daily_cap: Some(4), assigned_last_day: 4, ..seller(&[]) };
        assert_eq!(s.availability(NOW), Reason::DailyCap);
        assert_eq!(s.room(NOW), 0);
        let s = SellerState { assigned_last_day: 9, ..s };
        assert_eq!(s.availability(NOW), Reason::DailyCap);
        let s = SellerState { daily_cap: Some(0), assigned_last_day: 0, ..s };
        assert_eq!(s.availability(NOW), Reason::DailyCap);
        let s = SellerState { daily_cap: Some(-1), ..s };
        assert_eq!(s.availability(NOW), Reason::DailyCap);
        // Room is the smaller of capacity (3) and cap room.
        let s = SellerState { daily_cap: Some(4), assigned_last_day: 3, ..s };
        assert_eq!((s.availability(NOW), s.room(NOW)), (Reason::Eligible, 1));
        let s = SellerState { daily_cap: Some(100), assigned_last_day: 3, ..s };
        assert_eq!(s.room(NOW), 3);
        let s = SellerState { daily_cap: Some(i64::MAX), assigned_last_day: i64::MIN, ..s };
        assert_eq!(s.room(NOW), 3);
        // Full is reported before the cap.
        let s = SellerState { daily_cap: Some(0), open_leads: 5, ..s };
        assert_eq!(s.availability(NOW), Reason::Full);
    }

    #[test]
    fn eligibility_excluded_and_already_assigned() {
        let s = seller(&[]);
        assert_eq!(reason_for_lead(&s, NOW, HOME, None, true), Reason::Excluded);
        assert_eq!(reason_for_lead(&s, NOW, HOME, Some("S1"), true), Reason::AlreadyAssigned);
        assert_eq!(reason_for_lead(&s, NOW, HOME, Some("S1"), false), Reason::AlreadyAssigned);
        // An unavailable seller reports the availability reason before Excluded.
        let away = SellerState { away_until: Some(NOW + 1), ..s };
        assert_eq!(reason_for_lead(&away, NOW, HOME, None, true), Reason::Away);
        assert_eq!(reason_for_lead(&away, NOW, HOME, Some("S1"), true), Reason::AlreadyAssigned);
        let full = SellerState { open_leads: 5, ..s };
        assert_eq!(reason_for_lead(&full, NOW, HOME, Some("S0"), true), Reason::Full);
    }

    #[test]
    fn eligibility_territory() {
        let everywhere = seller(&[]);
        assert!(everywhere.covers(HOME) && everywhere.covers(99), "no rows: every country");
        let two = SellerState { countries: &[2, 5], ..seller(&[]) };
        assert!(two.covers(2) && two.covers(5) && !two.covers(HOME));
        assert_eq!(reason_for_lead(&two, NOW, HOME, None, false), Reason::OutsideTerritory);
        assert_eq!(reason_for_lead(&two, NOW, 5, None, false), Reason::Eligible);
        assert!(!may_take(&two, HOME, false) && may_take(&two, 5, false) && !may_take(&two, 5, true));
        // Holding the lead and being inactive come first; outside the territory comes before
        // the seller's momentary state and before an exclusion.
        assert_eq!(reason_for_lead(&two, NOW, HOME, Some("S1"), false), Reason::AlreadyAssigned);
        let inactive = SellerState { is_active: false, ..two };
        assert_eq!(reason_for_lead(&inactive, NOW, HOME, None, false), Reason::Inactive);
        let away_full = SellerState { away_until: Some(NOW + 1), open_leads: 9, ..two };
        assert_eq!(reason_for_lead(&away_full, NOW, HOME, None, true), Reason::OutsideTerritory);
        assert_eq!(reason_for_lead(&away_full, NOW, 2, None, true), Reason::Away);
        assert_eq!(reason_for_lead(&two, NOW, 2, None, true), Reason::Excluded);
    }

    #[test]
    fn eligibility_weight_clamped() {
        for (w, want) in [(i64::MIN, 1), (0, 1), (1, 1), (37, 37), (100, 100), (101, 100), (i64::MAX, 100)] {
            assert_eq!(SellerState { weight: w, ..seller(&[]) }.effective_weight(), want);
        }
    }
}
