//! Test helpers shared by the strategy modules' tests: owned sellers and leads to
//! borrow from, naive reference plans (the oracles), the rules every plan obeys,
//! and the property-test generators.

use std::collections::HashMap;

use super::*;
use crate::eligibility::{reason_for_lead, LocalClock, Reason, WorkingHours};
// Explicit imports: proptest's `Strategy` trait would clash with ours.
use proptest::prelude::{prop, prop_assert, prop_assert_eq, prop_oneof, Just, ProptestConfig};
use proptest::strategy::Strategy as Gen;
use proptest::test_runner::TestCaseError;

/// Cases per property test.
pub(super) fn config() -> ProptestConfig {
    ProptestConfig::with_cases(400)
}

// ---- sellers and leads -------------------------------------------------------------

/// "Now" for every test, in microseconds since the epoch.
pub(super) const NOW: i64 = 1_700_000_000_000_000;

/// Owned seller description so tests can build borrowed `SellerState`s from it.
#[derive(Debug, Clone)]
pub(super) struct S {
    pub(super) doc: String,
    pub(super) line: i32,
    pub(super) active: bool,
    pub(super) max: i64,
    pub(super) open: i64,
    pub(super) away_until: Option<i64>,
    pub(super) hours: Vec<WorkingHours>,
    pub(super) clock: LocalClock,
    pub(super) cap: Option<i64>,
    pub(super) last_day: i64,
    pub(super) weight: i64,
    /// Empty: every country.
    pub(super) countries: Vec<i32>,
}

/// A seller with no rule configured.
pub(super) fn s(doc: &str, line: i32, active: bool, max: i64, open: i64) -> S {
    S {
        doc: doc.to_string(),
        line,
        active,
        max,
        open,
        away_until: None,
        hours: Vec::new(),
        clock: LocalClock { weekday: 1, seconds: 0 },
        cap: None,
        last_day: 0,
        weight: 1,
        countries: Vec::new(),
    }
}

/// A seller with no rule but a weight.
pub(super) fn sw(doc: &str, line: i32, max: i64, weight: i64) -> S {
    S { weight, ..s(doc, line, true, max, 0) }
}

pub(super) fn sellers_of(v: &[S]) -> Vec<SellerState<'_>> {
    v.iter()
        .map(|x| SellerState {
            document_number: &x.doc,
            business_line_id: x.line,
            is_active: x.active,
            max_leads: x.max,
            open_leads: x.open,
            away_until: x.away_until,
            hours: &x.hours,
            local_now: x.clock,
            daily_cap: x.cap,
            assigned_last_day: x.last_day,
            weight: x.weight,
            countries: &x.countries,
        })
        .collect()
}

/// The country of the leads that do not say otherwise.
pub(super) const HOME: i32 = 1;

/// Lead document numbers, sorted, one per business line entry.
pub(super) fn lead_docs(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("L{i:05}")).collect()
}

pub(super) fn leads_of<'a>(docs: &'a [String], lines: &[i32]) -> Vec<PendingLead<'a>> {
    docs.iter()
        .zip(lines)
        .map(|(d, &l)| PendingLead { document_number: d, business_line_id: l, country_id: HOME, excluded_sellers: &[] })
        .collect()
}

/// A lead of a test: (business line, country, excluded sellers).
pub(super) type LeadSpec = (i32, i32, Vec<String>);

/// Borrowed exclusion lists, one per lead.
pub(super) fn excluded_refs(v: &[LeadSpec]) -> Vec<Vec<&str>> {
    v.iter().map(|(_, _, ex)| ex.iter().map(String::as_str).collect()).collect()
}

/// Leads with a business line, a country and exclusions each.
pub(super) fn leads_with<'a>(docs: &'a [String], specs: &[LeadSpec], ex: &'a [Vec<&'a str>]) -> Vec<PendingLead<'a>> {
    docs.iter()
        .zip(specs)
        .zip(ex)
        .map(|((d, (line, country, _)), ex)| PendingLead {
            document_number: d,
            business_line_id: *line,
            country_id: *country,
            excluded_sellers: ex,
        })
        .collect()
}

/// How many leads each seller received.
pub(super) fn counts(plan: &Plan, n_sellers: usize) -> Vec<usize> {
    let mut c = vec![0; n_sellers];
    for &(_, s) in &plan.pairs {
        c[s] += 1;
    }
    c
}

/// Seller index for every lead, `None` when pending.
pub(super) fn by_lead(plan: &Plan, n_leads: usize) -> Vec<Option<usize>> {
    let mut v = vec![None; n_leads];
    for &(l, s) in &plan.pairs {
        v[l] = Some(s);
    }
    v
}

/// Plans `n` leads of business line 1 (no exclusions, no cursor).
pub(super) fn plan_line_1(sv: &[S], n: usize, st: Strategy) -> Plan {
    let docs = lead_docs(n);
    plan(&leads_of(&docs, &vec![1; n]), &sellers_of(sv), NOW, st, &[])
}

pub(super) fn picked(plan: &Plan) -> Vec<usize> {
    plan.pairs.iter().map(|&(_, s)| s).collect()
}

pub(super) fn original_sellers() -> Vec<S> {
    vec![s("S1", 1, true, 50, 0), s("S2", 2, true, 30, 0), s("S3", 3, true, 40, 0), s("S4", 1, true, 25, 0)]
}

// ---- naive references for the property tests --------------------------------

pub(super) type Pairs = Vec<(usize, usize)>;

pub(super) fn start_room(sellers: &[SellerState]) -> Vec<i64> {
    sellers.iter().map(|s| s.room(NOW)).collect()
}

/// O(N·M) reference for greedy, balanced and proportional: each lead goes to
/// the best allowed seller of its line with room left, where `better(a, b,
/// taken)` says a beats b; ties keep the earlier (smaller document) seller.
pub(super) fn naive(
    leads: &[PendingLead],
    sellers: &[SellerState],
    better: impl Fn(usize, usize, &[i64]) -> bool,
) -> Pairs {
    let mut left = start_room(sellers);
    let mut taken = vec![0i64; sellers.len()];
    let mut pairs = Vec::new();
    for (li, l) in leads.iter().enumerate() {
        let mut best: Option<usize> = None;
        for si in 0..sellers.len() {
            let seller = &sellers[si];
            if seller.business_line_id != l.business_line_id
                || left[si] <= 0
                || !seller.covers(l.country_id)
                || l.excluded_sellers.contains(&seller.document_number)
            {
                continue;
            }
            if best.is_none_or(|b| better(si, b, &taken)) {
                best = Some(si);
            }
        }
        if let Some(si) = best {
            left[si] -= 1;
            taken[si] += 1;
            pairs.push((li, si));
        }
    }
    pairs
}

/// First fit.
pub(super) fn naive_greedy(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
    naive(leads, sellers, |_, _, _| false)
}

/// Most free capacity.
pub(super) fn naive_balanced(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
    naive(leads, sellers, |a, b, t| sellers[a].capacity_room() - t[a] > sellers[b].capacity_room() - t[b])
}

/// Lowest (open + taken + 1) / max, compared exactly.
pub(super) fn naive_proportional(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
    let frac =
        |i: usize, t: &[i64]| (i128::from(sellers[i].open_leads.max(0) + t[i] + 1), i128::from(sellers[i].max_leads));
    naive(leads, sellers, |a, b, t| {
        let ((na, da), (nb, db)) = (frac(a, t), frac(b, t));
        na * db < nb * da
    })
}

pub(super) fn naive_for(st: Strategy, leads: &[PendingLead], sellers: &[SellerState]) -> Option<Pairs> {
    match st {
        Strategy::Greedy => Some(naive_greedy(leads, sellers)),
        Strategy::Balanced => Some(naive_balanced(leads, sellers)),
        Strategy::Proportional => Some(naive_proportional(leads, sellers)),
        Strategy::RoundRobin => None,
    }
}

/// O(N·M): per line, scan cyclically from just after the previous pick
/// (round robin with all weights 1, no exclusions and no territories).
pub(super) fn naive_round_robin(
    leads: &[PendingLead],
    sellers: &[SellerState],
    cursors: &[RoundRobinCursor],
) -> (Pairs, Vec<(i32, usize)>) {
    let mut room = start_room(sellers);
    // Position (index into `sellers`) to start scanning from, per line.
    let mut next: HashMap<i32, usize> = HashMap::new();
    for c in cursors {
        let pos = sellers
            .iter()
            .position(|s| s.business_line_id == c.business_line_id && s.document_number > c.last_seller)
            .unwrap_or(0);
        next.insert(c.business_line_id, pos);
    }
    let mut pairs = Vec::new();
    let mut last: HashMap<i32, usize> = HashMap::new();
    let m = sellers.len();
    for (li, l) in leads.iter().enumerate() {
        let start = next.get(&l.business_line_id).copied().unwrap_or(0);
        let found = (0..m)
            .map(|k| (start + k) % m)
            .find(|&si| sellers[si].business_line_id == l.business_line_id && room[si] > 0);
        if let Some(si) = found {
            room[si] -= 1;
            pairs.push((li, si));
            next.insert(l.business_line_id, (si + 1) % m);
            last.insert(l.business_line_id, si);
        }
    }
    let mut cur: Vec<_> = last.into_iter().collect();
    cur.sort_unstable();
    (pairs, cur)
}

/// O(N·M) reference for round_robin with every rule: weights, territories, exclusions,
/// availability. Per line, smooth weighted round robin over a cyclic scan of all sellers in
/// document order, starting at the first one after the cursor: each lead adds every allowed
/// seller's weight to its current weight and goes to the largest (ties: the first in the scan),
/// which gives back the total added. A seller that fills up makes the scan start just after it,
/// with the line's current weights back to 0.
pub(super) fn naive_weighted_round_robin(
    leads: &[PendingLead],
    sellers: &[SellerState],
    cursors: &[RoundRobinCursor],
) -> (Pairs, Vec<(i32, usize)>) {
    let m = sellers.len();
    let mut room = start_room(sellers);
    let mut current = vec![0i64; m];
    let mut scan_from: HashMap<i32, usize> = HashMap::new();
    for c in cursors {
        let after = sellers.iter().position(|s| s.document_number > c.last_seller).unwrap_or(0);
        scan_from.insert(c.business_line_id, after);
    }
    let (mut pairs, mut last) = (Vec::new(), HashMap::new());
    for (li, l) in leads.iter().enumerate() {
        let start = scan_from.get(&l.business_line_id).copied().unwrap_or(0);
        let candidates: Vec<usize> = (0..m)
            .map(|k| (start + k) % m)
            .filter(|&si| {
                let seller = &sellers[si];
                seller.business_line_id == l.business_line_id
                    && room[si] > 0
                    && seller.covers(l.country_id)
                    && !l.excluded_sellers.contains(&seller.document_number)
            })
            .collect();
        let mut best: Option<usize> = None;
        for &si in &candidates {
            current[si] += sellers[si].weight.clamp(1, 100);
            if best.is_none_or(|b| current[si] > current[b]) {
                best = Some(si);
            }
        }
        let Some(si) = best else { continue };
        current[si] -= candidates.iter().map(|&c| sellers[c].weight.clamp(1, 100)).sum::<i64>();
        room[si] -= 1;
        if room[si] == 0 {
            scan_from.insert(l.business_line_id, (si + 1) % m);
            for (c, seller) in current.iter_mut().zip(sellers) {
                if seller.business_line_id == l.business_line_id {
                    *c = 0;
                }
            }
        }
        pairs.push((li, si));
        last.insert(l.business_line_id, si);
    }
    let mut cur: Vec<_> = last.into_iter().collect();
    cur.sort_unstable();
    (pairs, cur)
}

/// The rules every plan obeys, replayed lead by lead: (1) never an ineligible
/// pair (line, availability, room left, territory, exclusion); (2) work conserving: a
/// lead stays pending only if, at its turn, no seller of its line with room
/// left is allowed to take it; (3) no seller gets more than room(now).
pub(super) fn check_rules(leads: &[PendingLead], sellers: &[SellerState], p: &Plan) -> Result<(), TestCaseError> {
    prop_assert!(p.pairs.windows(2).all(|w| w[0].0 < w[1].0), "each lead at most once, in lead order");
    let room = start_room(sellers);
    let mut left = room.clone();
    let assigned = by_lead(p, leads.len());
    for (l, lead) in leads.iter().enumerate() {
        let excluded = |si: usize| lead.excluded_sellers.contains(&sellers[si].document_number);
        let allowed = |si: usize| {
            sellers[si].business_line_id == lead.business_line_id
                && sellers[si].covers(lead.country_id)
                && !excluded(si)
        };
        match assigned[l] {
            Some(si) => {
                prop_assert!(allowed(si), "lead {} to seller {} of another line or country, or excluded", l, si);
                prop_assert_eq!(
                    reason_for_lead(&sellers[si], NOW, lead.country_id, None, excluded(si)),
                    Reason::Eligible
                );
                prop_assert!(left[si] > 0, "seller {} over its room", si);
                left[si] -= 1;
            }
            None => {
                let open = (0..sellers.len()).find(|&si| allowed(si) && left[si] > 0);
                prop_assert!(open.is_none(), "lead {} pending while seller {:?} could take it", l, open);
            }
        }
    }
    let got = counts(p, sellers.len());
    for si in 0..sellers.len() {
        prop_assert!(got[si] as i64 <= room[si]);
    }
    Ok(())
}

/// The last seller of each line that got a lead.
pub(super) fn last_per_line(leads: &[PendingLead], p: &Plan) -> Vec<(i32, usize)> {
    let mut last: HashMap<i32, usize> = HashMap::new();
    for &(l, si) in &p.pairs {
        last.insert(leads[l].business_line_id, si);
    }
    let mut last: Vec<(i32, usize)> = last.into_iter().collect();
    last.sort_unstable();
    last
}

// ---- generators for the property tests ------------------------------------------

pub(super) fn any_strategy() -> impl Gen<Value = Strategy> {
    prop_oneof![
        Just(Strategy::Greedy),
        Just(Strategy::Balanced),
        Just(Strategy::RoundRobin),
        Just(Strategy::Proportional)
    ]
}

/// Random sellers (sorted, duplicate docs possible), lead lines (including a
/// line 4 that has no sellers) and cursors.
/// (sellers, lead business lines, cursors as (line, last seller), strategy).
pub(super) type Scenario = (Vec<S>, Vec<i32>, Vec<(i32, String)>, Strategy);

pub(super) fn sorted(mut v: Vec<S>) -> Vec<S> {
    v.sort_by(|a, b| a.doc.cmp(&b.doc));
    v
}

pub(super) fn any_cursors() -> impl Gen<Value = Vec<(i32, String)>> {
    let cursor = (1i32..=4, 0u8..17).prop_map(|(line, d)| (line, format!("S{d:02}")));
    prop::collection::vec(cursor, 0..4)
}

/// Sellers without any rule configured.
pub(super) fn scenario() -> impl Gen<Value = Scenario> {
    let seller = (0u8..15, 1i32..=3, prop::bool::weighted(0.8), -1i64..6, 0i64..7)
        .prop_map(|(d, line, active, max, open)| s(&format!("S{d:02}"), line, active, max, open));
    let sellers = prop::collection::vec(seller, 0..12).prop_map(sorted);
    let lines = prop::collection::vec(1i32..=4, 0..40);
    (sellers, lines, any_cursors(), any_strategy())
}

/// A seller with random rules: away around now (including exactly now),
/// working hours with the local time on their edges, daily caps, weights
/// (some out of range), territories (one to three of countries 1-3, or none).
pub(super) fn rule_seller() -> impl Gen<Value = S> {
    const EDGES: [u32; 6] = [0, 3599, 3600, 7200, 86_399, 86_400];
    let base = (0u8..12, 1i32..=3, prop::bool::weighted(0.9), -1i64..8, 0i64..6);
    let away = prop_oneof![2 => Just(None), 1 => (-2i64..=2).prop_map(|d| Some(NOW + d))];
    let clock =
        (1u8..=3, prop::sample::select(&EDGES[..5])).prop_map(|(weekday, seconds)| LocalClock { weekday, seconds });
    let window = (1u8..=3, prop::sample::select(&EDGES[..]), prop::sample::select(&EDGES[..]))
        .prop_map(|(weekday, a, b)| WorkingHours { weekday, starts_at: a.min(b), ends_at: a.max(b) });
    let hours = prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(window, 1..4)];
    let cap = prop_oneof![2 => Just(None), 1 => (0i64..6).prop_map(Some)];
    let weight = prop_oneof![4 => 1i64..=5, 1 => -2i64..=120];
    let countries = prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec(1i32..=3, 1..4)];
    (base, away, clock, hours, cap, 0i64..5, weight, countries).prop_map(
        |((d, line, active, max, open), away_until, clock, hours, cap, last_day, weight, countries)| S {
            away_until,
            hours,
            clock,
            cap,
            last_day,
            weight,
            countries,
            ..s(&format!("S{d:02}"), line, active, max, open)
        },
    )
}

/// Leads as (line, country, excluded sellers): most exclude nobody; country 4
/// only sellers without a territory cover.
pub(super) fn rule_leads() -> impl Gen<Value = Vec<LeadSpec>> {
    let excluded = prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec((0u8..12).prop_map(|d| format!("S{d:02}")), 1..4),
    ];
    prop::collection::vec((1i32..=4, 1i32..=4, excluded), 0..40)
}

/// (sellers with rules, leads with countries and exclusions, cursors).
pub(super) type RuleScenario = (Vec<S>, Vec<LeadSpec>, Vec<(i32, String)>);

pub(super) fn rule_scenario() -> impl Gen<Value = RuleScenario> {
    (prop::collection::vec(rule_seller(), 0..12).prop_map(sorted), rule_leads(), any_cursors())
}

pub(super) fn cursors_of(v: &[(i32, String)]) -> Vec<RoundRobinCursor<'_>> {
    v.iter().map(|(line, d)| RoundRobinCursor { business_line_id: *line, last_seller: d }).collect()
}

/// Builds the borrowed leads, sellers and cursors of `sc` and runs `check` on them.
pub(super) fn with_scenario(
    sc: &RuleScenario,
    check: impl FnOnce(&[PendingLead], &[SellerState], &[RoundRobinCursor]) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let (sv, specs, cv) = sc;
    let docs = lead_docs(specs.len());
    let ex = excluded_refs(specs);
    check(&leads_with(&docs, specs, &ex), &sellers_of(sv), &cursors_of(cv))
}
