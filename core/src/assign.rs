//! Assignment strategies: decide which pending lead goes to which seller.
//!
//! Pure planning, no I/O. The database layer hands in sellers sorted by
//! `document_number` (collation "C", i.e. bytewise, same as `str` ordering) with
//! their state now ([`SellerState`]), and each business line's pending leads in
//! the order they are to be taken (priority, then document number; the order
//! across lines does not matter), and writes the resulting pairs back in a
//! single statement.
//!
//! Every strategy works per business line, only offers a lead to sellers with
//! [`SellerState::room`] left that are not in the lead's `excluded_sellers`, and
//! is work-conserving: a lead is left pending only when no seller of its line
//! with room left is allowed to take it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::str::FromStr;

use crate::eligibility::SellerState;

/// How leads are distributed among the eligible sellers of a business line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// First seller with room, in document_number order (the original behaviour).
    #[default]
    Greedy,
    /// Seller with the most free capacity; ties go to the smaller document_number.
    Balanced,
    /// Smooth weighted rotation through the sellers, continuing after where the
    /// last run stopped.
    RoundRobin,
    /// Seller with the lowest `(open_leads + 1) / max_leads`; ties go to the
    /// smaller document_number. Sellers fill in proportion to their capacity.
    Proportional,
}

impl Strategy {
    /// All strategies, in the order they are documented.
    pub const ALL: [Strategy; 4] = [Strategy::Greedy, Strategy::Balanced, Strategy::RoundRobin, Strategy::Proportional];

    /// The name accepted by [`FromStr`] and stored/reported by the extension.
    pub fn as_str(&self) -> &'static str {
        match self {
            Strategy::Greedy => "greedy",
            Strategy::Balanced => "balanced",
            Strategy::RoundRobin => "round_robin",
            Strategy::Proportional => "proportional",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Strategy::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(wanted)).ok_or_else(|| {
            format!("unknown strategy '{wanted}': expected one of greedy, balanced, round_robin, proportional")
        })
    }
}

/// A lead waiting for a seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLead<'a> {
    pub document_number: &'a str,
    pub business_line_id: i32,
    /// Sellers that let this lead time out: it is never offered to them again.
    /// Usually empty; kept short (checked by linear search).
    pub excluded_sellers: &'a [&'a str],
}

impl PendingLead<'_> {
    /// Whether the seller with this document number may be offered the lead.
    fn allows(&self, seller_document_number: &str) -> bool {
        !self.excluded_sellers.contains(&seller_document_number)
    }
}

/// Where round_robin stopped last time, per business line: the document number of
/// the last seller that got a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundRobinCursor<'a> {
    pub business_line_id: i32,
    pub last_seller: &'a str,
}

/// The outcome of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// (index into leads, index into sellers), in lead order.
    pub pairs: Vec<(usize, usize)>,
    /// round_robin only: new cursor per business line that received at least one
    /// lead (business_line_id, seller index), sorted by business_line_id.
    /// Empty for other strategies.
    pub cursors: Vec<(i32, usize)>,
    /// How many sellers had room (`room(now) > 0`) before assigning, all business
    /// lines together.
    pub eligible_sellers: usize,
}

/// Heap key for balanced: most free capacity first, then smaller document number,
/// then smaller index (only matters for duplicate document numbers).
type BalancedKey<'a> = (i64, Reverse<&'a str>, Reverse<usize>);

fn balanced_key<'a>(sellers: &[SellerState<'a>], i: usize) -> BalancedKey<'a> {
    (sellers[i].capacity_room(), Reverse(sellers[i].document_number), Reverse(i))
}

/// Sort key for proportional: the fraction `(open + 1) / max_leads` (compared
/// exactly by cross-multiplication; a zero denominator sorts after every finite
/// fraction), then document number, then index. Smaller is served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProportionalKey<'a> {
    /// open_leads (negative counted as 0) + leads this plan gave + 1; >= 1.
    numerator: i128,
    /// max_leads (negative counted as 0); >= 1 for every seller with room.
    denominator: i128,
    document_number: &'a str,
    index: usize,
}

impl<'a> ProportionalKey<'a> {
    fn new(sellers: &[SellerState<'a>], i: usize) -> Self {
        let s = &sellers[i];
        ProportionalKey {
            numerator: i128::from(s.open_leads.max(0)) + 1,
            denominator: i128::from(s.max_leads.max(0)),
            document_number: s.document_number,
            index: i,
        }
    }
}

impl Ord for ProportionalKey<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // a/b < c/d  <=>  a*d < c*b for b, d >= 0 and a, c >= 1. A numerator
        // never exceeds max_leads + 1 <= 2^63 (a seller takes at most its room),
        // so each product is below 2^126: no overflow.
        (self.numerator * other.denominator)
            .cmp(&(other.numerator * self.denominator))
            .then_with(|| self.document_number.cmp(other.document_number))
            .then_with(|| self.index.cmp(&other.index))
    }
}

impl PartialOrd for ProportionalKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Rotates `line_sellers` (indexes in document order) so that it starts at the
/// first seller strictly after `last`; if `last` is past everyone (or `None`),
/// the order is unchanged.
fn rotate_after(line_sellers: &mut [usize], sellers: &[SellerState], last: Option<&str>) {
    if let Some(last) = last {
        let start = line_sellers.partition_point(|&i| sellers[i].document_number <= last);
        line_sellers.rotate_left(start % line_sellers.len().max(1));
    }
}

/// Smooth weighted round robin (nginx style) over the sellers of one line.
///
/// Each pick adds every candidate's weight to its current weight, picks the
/// largest (ties: the earliest in `order`), and subtracts the candidates' total
/// weight from the winner. Candidates are the sellers still in `order` that the
/// lead allows; an excluded seller keeps its current weight for later picks.
///
/// When a seller fills up it leaves for good and the rotation restarts as a new
/// run would: current weights back to 0 and `order` starting just after that
/// seller. This keeps all-weights-1 exactly the plain rotation (plain nginx
/// SWRR, which keeps the others' current weights, would not: with A, B, C where
/// B fills after one lead it gives A B C C instead of A B C A).
///
/// Cost: O(M) per lead for the M sellers of the line (plus O(M) when one fills).
struct Swrr {
    /// Sellers with room left, in rotation order.
    order: Vec<usize>,
    /// Current weight of `order[k]`.
    current: Vec<i64>,
}

impl Swrr {
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<usize> = None;
        for (k, &s) in self.order.iter().enumerate() {
            if !lead.allows(sellers[s].document_number) {
                continue;
            }
            let weight = sellers[s].effective_weight();
            self.current[k] += weight;
            total += weight;
            if best.is_none_or(|b| self.current[k] > self.current[b]) {
                best = Some(k);
            }
        }
        let k = best?;
        self.current[k] -= total;
        let s = self.order[k];
        left[s] -= 1;
        if left[s] == 0 {
            self.order.remove(k);
            // The seller after the one that left comes first.
            let len = self.order.len().max(1);
            self.order.rotate_left(k % len);
            self.current.clear();
            self.current.resize(self.order.len(), 0);
        }
        Some(s)
    }
}

/// Removes and returns the greatest entry of `heap` whose seller `allowed`
/// accepts; the entries skipped on the way are put back. O(log M) when the first
/// is allowed, O(k log M) when k had to be skipped.
fn pop_allowed<K: Ord>(
    heap: &mut BinaryHeap<K>,
    seller_of: impl Fn(&K) -> usize,
    allowed: impl Fn(usize) -> bool,
) -> Option<K> {
    let mut skipped = Vec::new();
    let found = loop {
        match heap.pop() {
            Some(key) if allowed(seller_of(&key)) => break Some(key),
            Some(key) => skipped.push(key),
            None => break None,
        }
    };
    heap.extend(skipped);
    found
}

/// Per-business-line state of the chosen strategy. Only sellers with room at the
/// start are ever put in here, and one leaves as soon as its room is used up.
enum LineQueue<'a> {
    /// Sellers with room in document order plus the first one that may still have
    /// room. Room only ever decreases, so the pointer only moves forward.
    Greedy {
        sellers: Vec<usize>,
        next: usize,
    },
    /// Max-heap keyed by the seller's current free capacity.
    Balanced(BinaryHeap<BalancedKey<'a>>),
    /// Min-heap keyed by the seller's current load fraction.
    Proportional(BinaryHeap<Reverse<ProportionalKey<'a>>>),
    RoundRobin(Swrr),
}

impl LineQueue<'_> {
    /// Picks the seller for `lead` and takes one slot from `left`. `None` when no
    /// seller of the line with room left is allowed to take it.
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        let allowed = |s: usize| lead.allows(sellers[s].document_number);
        match self {
            LineQueue::Greedy { sellers: line, next } => {
                while line.get(*next).is_some_and(|&s| left[s] == 0) {
                    *next += 1;
                }
                // Without exclusions this is the seller at `next`.
                let s = line[*next..].iter().copied().find(|&s| left[s] > 0 && allowed(s))?;
                left[s] -= 1;
                Some(s)
            }
            LineQueue::Balanced(heap) => {
                let (free, doc, index) = pop_allowed(heap, |k| k.2 .0, allowed)?;
                let s = index.0;
                left[s] -= 1;
                if left[s] > 0 {
                    heap.push((free - 1, doc, index));
                }
                Some(s)
            }
            LineQueue::Proportional(heap) => {
                let Reverse(mut key) = pop_allowed(heap, |k| k.0.index, allowed)?;
                let s = key.index;
                left[s] -= 1;
                if left[s] > 0 {
                    key.numerator += 1;
                    heap.push(Reverse(key));
                }
                Some(s)
            }
            LineQueue::RoundRobin(swrr) => swrr.take(lead, sellers, left),
        }
    }
}

/// Free slots (`room(now)`) per business line (lines with none left out),
/// ascending by line. Without exclusions every strategy assigns exactly the first
/// min(pending, room) leads of a line, so a run needs to read no more pending
/// leads than this; a lead with `excluded_sellers` may be passed over, so a
/// reader should read one more lead per such lead.
pub fn room_per_line(sellers: &[SellerState], now: i64) -> Vec<(i32, i64)> {
    // Keyed by line in a BTreeMap: a handful of lines, a lookup per seller, and ascending order
    // for free (hashing each key costs more than comparing it with a few others).
    let mut room: BTreeMap<i32, i64> = BTreeMap::new();
    for seller in sellers {
        let free = seller.room(now);
        if free > 0 {
            let line = room.entry(seller.business_line_id).or_default();
            *line = line.saturating_add(free);
        }
    }
    room.into_iter().collect()
}

fn is_sorted_by_doc(sellers: &[SellerState]) -> bool {
    sellers.windows(2).all(|w| w[0].document_number <= w[1].document_number)
}

/// The last cursor given for `business_line_id` (later entries win).
fn cursor_for<'a>(cursors: &[RoundRobinCursor<'a>], business_line_id: i32) -> Option<&'a str> {
    cursors.iter().rev().find(|c| c.business_line_id == business_line_id).map(|c| c.last_seller)
}

/// Assigns `leads` to `sellers` with the given strategy, with the sellers' state
/// at `now` (microseconds since the epoch).
///
/// `sellers` must be in ascending `document_number` order (duplicates tolerated);
/// each business line's leads are taken in the order given. `cursors` is only
/// used by [`Strategy::RoundRobin`]; if a business line appears several times,
/// the last entry wins.
///
/// Runs in O((N + M) log M) for balanced and proportional and O(N + M) for
/// greedy (plus hashing) when no lead has exclusions; a lead with k excluded
/// sellers costs O(k log M) more (greedy: O(M) more). Round robin costs O(M_l)
/// per lead of a line with M_l sellers.
pub fn plan(
    leads: &[PendingLead],
    sellers: &[SellerState],
    now: i64,
    strategy: Strategy,
    cursors: &[RoundRobinCursor],
) -> Plan {
    debug_assert!(is_sorted_by_doc(sellers), "sellers must be sorted by document_number");

    let mut left: Vec<i64> = sellers.iter().map(|s| s.room(now)).collect();

    // Sellers with room per business line, keeping document order (per line as in room_per_line).
    let mut by_line: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, s) in sellers.iter().enumerate() {
        if left[i] > 0 {
            by_line.entry(s.business_line_id).or_default().push(i);
        }
    }
    let eligible_sellers = by_line.values().map(Vec::len).sum();

    let mut queues: BTreeMap<i32, LineQueue> = by_line
        .into_iter()
        .map(|(line, mut idx)| {
            let queue = match strategy {
                Strategy::Greedy => LineQueue::Greedy { sellers: idx, next: 0 },
                Strategy::Balanced => LineQueue::Balanced(idx.iter().map(|&i| balanced_key(sellers, i)).collect()),
                Strategy::Proportional => {
                    LineQueue::Proportional(idx.iter().map(|&i| Reverse(ProportionalKey::new(sellers, i))).collect())
                }
                Strategy::RoundRobin => {
                    rotate_after(&mut idx, sellers, cursor_for(cursors, line));
                    LineQueue::RoundRobin(Swrr { current: vec![0; idx.len()], order: idx })
                }
            };
            (line, queue)
        })
        .collect();

    let mut pairs = Vec::new();
    // Last seller that got a lead, per line (round_robin output cursor).
    let mut last_assigned: BTreeMap<i32, usize> = BTreeMap::new();
    for (li, lead) in leads.iter().enumerate() {
        // Leads of a line without sellers with room just stay pending.
        let Some(queue) = queues.get_mut(&lead.business_line_id) else {
            continue;
        };
        if let Some(s) = queue.take(lead, sellers, &mut left) {
            pairs.push((li, s));
            if strategy == Strategy::RoundRobin {
                last_assigned.insert(lead.business_line_id, s);
            }
        }
    }

    let cursors: Vec<(i32, usize)> = last_assigned.into_iter().collect();
    Plan { pairs, cursors, eligible_sellers }
}

/// The order in which `strategy` would try the sellers of `business_line_id` for
/// the next lead, given the sellers' state now: indexes into `sellers`, every
/// seller of the line, eligible or not, each where the strategy's key puts it.
/// The seller [`plan`] gives a single lead to is the first one in this order
/// with `room(now) > 0` that the lead does not exclude.
///
/// - greedy: document order;
/// - balanced: most free capacity (`capacity_room`) first, then document order;
/// - proportional: lowest `(open_leads + 1) / max_leads` first (`max_leads` 0
///   last), then document order;
/// - round_robin: the first pick of the smooth weighted rotation, i.e. heaviest
///   (clamped) weight first, ties in rotation order after the cursor; with all
///   weights 1, simply the rotation after the cursor.
pub fn try_order(
    sellers: &[SellerState],
    now: i64,
    business_line_id: i32,
    strategy: Strategy,
    cursors: &[RoundRobinCursor],
) -> Vec<usize> {
    // `now` does not change any strategy's key; it is part of the signature so
    // callers describe the same moment as `plan`.
    let _ = now;
    let mut idx: Vec<usize> = (0..sellers.len()).filter(|&i| sellers[i].business_line_id == business_line_id).collect();
    match strategy {
        Strategy::Greedy => {}
        Strategy::Balanced => idx.sort_by_key(|&i| Reverse(balanced_key(sellers, i))),
        Strategy::Proportional => idx.sort_by_key(|&i| ProportionalKey::new(sellers, i)),
        Strategy::RoundRobin => {
            rotate_after(&mut idx, sellers, cursor_for(cursors, business_line_id));
            // Stable: equal weights keep the rotation order.
            idx.sort_by_key(|&i| Reverse(sellers[i].effective_weight()));
        }
    }
    idx
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::eligibility::{reason_for_lead, LocalClock, Reason, WorkingHours};
    // Explicit imports: proptest's `Strategy` trait would clash with ours.
    use proptest::prelude::{prop, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
    use proptest::strategy::Strategy as Gen;
    use proptest::test_runner::TestCaseError;

    // ---- helpers -------------------------------------------------------------

    /// "Now" for every test, in microseconds since the epoch.
    const NOW: i64 = 1_700_000_000_000_000;

    /// Owned seller description so tests can build borrowed `SellerState`s from it.
    #[derive(Debug, Clone)]
    struct S {
        doc: String,
        line: i32,
        active: bool,
        max: i64,
        open: i64,
        away_until: Option<i64>,
        hours: Vec<WorkingHours>,
        clock: LocalClock,
        cap: Option<i64>,
        last_day: i64,
        weight: i64,
    }

    /// A seller with no rule configured.
    fn s(doc: &str, line: i32, active: bool, max: i64, open: i64) -> S {
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
        }
    }

    /// A seller with no rule but a weight.
    fn sw(doc: &str, line: i32, max: i64, weight: i64) -> S {
        S { weight, ..s(doc, line, true, max, 0) }
    }

    fn sellers_of(v: &[S]) -> Vec<SellerState<'_>> {
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
            })
            .collect()
    }

    /// Lead document numbers, sorted, one per business line entry.
    fn lead_docs(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("L{i:05}")).collect()
    }

    fn leads_of<'a>(docs: &'a [String], lines: &[i32]) -> Vec<PendingLead<'a>> {
        docs.iter()
            .zip(lines)
            .map(|(d, &l)| PendingLead { document_number: d, business_line_id: l, excluded_sellers: &[] })
            .collect()
    }

    /// Borrowed exclusion lists, one per lead.
    fn excluded_refs(v: &[(i32, Vec<String>)]) -> Vec<Vec<&str>> {
        v.iter().map(|(_, ex)| ex.iter().map(String::as_str).collect()).collect()
    }

    /// Leads with a business line and exclusions each.
    fn leads_with<'a>(
        docs: &'a [String],
        specs: &[(i32, Vec<String>)],
        ex: &'a [Vec<&'a str>],
    ) -> Vec<PendingLead<'a>> {
        docs.iter()
            .zip(specs)
            .zip(ex)
            .map(|((d, (line, _)), ex)| PendingLead {
                document_number: d,
                business_line_id: *line,
                excluded_sellers: ex,
            })
            .collect()
    }

    /// How many leads each seller received.
    fn counts(plan: &Plan, n_sellers: usize) -> Vec<usize> {
        let mut c = vec![0; n_sellers];
        for &(_, s) in &plan.pairs {
            c[s] += 1;
        }
        c
    }

    /// Seller index for every lead, `None` when pending.
    fn by_lead(plan: &Plan, n_leads: usize) -> Vec<Option<usize>> {
        let mut v = vec![None; n_leads];
        for &(l, s) in &plan.pairs {
            v[l] = Some(s);
        }
        v
    }

    /// Plans `n` leads of business line 1 (no exclusions, no cursor).
    fn plan_line_1(sv: &[S], n: usize, st: Strategy) -> Plan {
        let docs = lead_docs(n);
        plan(&leads_of(&docs, &vec![1; n]), &sellers_of(sv), NOW, st, &[])
    }

    fn picked(plan: &Plan) -> Vec<usize> {
        plan.pairs.iter().map(|&(_, s)| s).collect()
    }

    fn original_sellers() -> Vec<S> {
        vec![s("S1", 1, true, 50, 0), s("S2", 2, true, 30, 0), s("S3", 3, true, 40, 0), s("S4", 1, true, 25, 0)]
    }

    // ---- strategy names --------------------------------------------------------

    #[test]
    fn assign_strategy_round_trip() {
        for st in Strategy::ALL {
            assert_eq!(st.as_str().parse::<Strategy>(), Ok(st));
            assert_eq!(st.to_string(), st.as_str());
        }
        assert_eq!(" Round_Robin\n".parse::<Strategy>(), Ok(Strategy::RoundRobin));
        assert_eq!("GREEDY".parse::<Strategy>(), Ok(Strategy::Greedy));
        assert_eq!(Strategy::default(), Strategy::Greedy);
    }

    #[test]
    fn assign_strategy_parse_error_lists_valid_values() {
        for bad in ["", "random", "round robin", "greedy,"] {
            let err = bad.parse::<Strategy>().unwrap_err();
            for valid in ["greedy", "balanced", "round_robin", "proportional"] {
                assert!(err.contains(valid), "{err}");
            }
        }
    }

    // ---- unit tests ------------------------------------------------------------

    #[test]
    fn assign_original_scenario_greedy() {
        let sv = original_sellers();
        let sellers = sellers_of(&sv);
        // 10 leads on line 1, 5 on line 2, 3 on line 3, 2 on line 4 (no sellers).
        let lines: Vec<i32> = [1; 10].into_iter().chain([2; 5]).chain([3; 3]).chain([4; 2]).collect();
        let docs = lead_docs(lines.len());
        let leads = leads_of(&docs, &lines);
        let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &[]);
        assert_eq!(p.eligible_sellers, 4);
        assert!(p.cursors.is_empty());
        assert_eq!(p.pairs.len(), 18);
        assert_eq!(counts(&p, 4), vec![10, 5, 3, 0]);
        let assigned = by_lead(&p, leads.len());
        assert_eq!(&assigned[18..], &[None, None]);
    }

    #[test]
    fn assign_original_scenario_all_strategies_respect_lines() {
        let sv = original_sellers();
        let sellers = sellers_of(&sv);
        let lines: Vec<i32> = (0..40).map(|i| i % 4 + 1).collect();
        let docs = lead_docs(lines.len());
        let leads = leads_of(&docs, &lines);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            assert_eq!(p.pairs.len(), 30, "{st}");
            for &(l, s) in &p.pairs {
                assert_eq!(leads[l].business_line_id, sellers[s].business_line_id);
            }
        }
    }

    #[test]
    fn assign_exhaustion_leaves_rest_pending() {
        let sv = original_sellers();
        let sellers = sellers_of(&sv);
        // Line 1 has 50 + 25 = 75 slots.
        let lines = vec![1; 80];
        let docs = lead_docs(lines.len());
        let leads = leads_of(&docs, &lines);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            assert_eq!(p.pairs.len(), 75, "{st}");
            assert_eq!(counts(&p, 4), vec![50, 0, 0, 25], "{st}");
            // Leads are served in order, so the last five are the pending ones.
            assert!(p.pairs.iter().all(|&(l, _)| l < 75), "{st}");
        }
        // Greedy fills S1 first, then S4.
        let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &[]);
        let assigned = by_lead(&p, 80);
        assert!(assigned[..50].iter().all(|&a| a == Some(0)));
        assert!(assigned[50..75].iter().all(|&a| a == Some(3)));
    }

    #[test]
    fn assign_inactive_seller_never_chosen() {
        let sv = vec![s("A", 1, false, 100, 0), s("B", 1, true, 2, 0)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(5);
        let leads = leads_of(&docs, &[1; 5]);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            assert_eq!(p.eligible_sellers, 1);
            assert_eq!(p.pairs, vec![(0, 1), (1, 1)], "{st}");
        }
    }

    #[test]
    fn assign_open_leads_at_or_over_max_means_no_room() {
        let sv = vec![
            s("A", 1, true, 3, 3),
            s("B", 1, true, 3, 7),
            s("C", 1, true, 0, 0),
            s("D", 1, true, -4, 0),
            s("E", 1, true, 4, 2),
        ];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(4);
        let leads = leads_of(&docs, &[1; 4]);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            assert_eq!(p.eligible_sellers, 1, "{st}");
            assert_eq!(p.pairs, vec![(0, 4), (1, 4)], "{st}");
        }
    }

    #[test]
    fn assign_greedy_small_example() {
        // A has 1 free slot, B 2, C 5: first-fit in document order.
        let sv = vec![s("A", 1, true, 2, 1), s("B", 1, true, 2, 0), s("C", 1, true, 5, 0)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(5);
        let leads = leads_of(&docs, &[1; 5]);
        let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &[]);
        assert_eq!(p.pairs, vec![(0, 0), (1, 1), (2, 1), (3, 2), (4, 2)]);
    }

    #[test]
    fn assign_balanced_spreads() {
        // Free capacity: A 2, B 4, C 4.
        let sv = vec![s("A", 1, true, 5, 3), s("B", 1, true, 4, 0), s("C", 1, true, 6, 2)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(6);
        let leads = leads_of(&docs, &[1; 6]);
        let p = plan(&leads, &sellers, NOW, Strategy::Balanced, &[]);
        // free (A,B,C): (2,4,4) -> B (tie, smaller doc) -> (2,3,4) -> C -> (2,3,3)
        // -> B -> (2,2,3) -> C -> (2,2,2) -> A -> (1,2,2) -> B -> (1,1,2)
        let picked: Vec<usize> = p.pairs.iter().map(|&(_, s)| s).collect();
        assert_eq!(picked, vec![1, 2, 1, 2, 0, 1]);
        assert!(p.cursors.is_empty());
    }

    #[test]
    fn assign_round_robin_continues_after_cursor_and_wraps() {
        let sv = vec![
            s("A", 1, true, 10, 0),
            s("B", 1, true, 1, 0),
            s("C", 1, true, 10, 0),
            s("D", 2, true, 10, 0),
            s("E", 2, true, 10, 0),
        ];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(7);
        let leads = leads_of(&docs, &[1, 1, 1, 1, 1, 2, 2]);
        let cursors = [
            // "AZ" is not a seller: the next one after it is B.
            RoundRobinCursor { business_line_id: 1, last_seller: "AZ" },
            // Past the last seller of line 2: wraps to D.
            RoundRobinCursor { business_line_id: 2, last_seller: "E" },
            // Unknown line: ignored.
            RoundRobinCursor { business_line_id: 9, last_seller: "A" },
        ];
        let p = plan(&leads, &sellers, NOW, Strategy::RoundRobin, &cursors);
        // Line 1: B (then full), C, A, C, A. Line 2: D, E.
        let picked: Vec<usize> = p.pairs.iter().map(|&(_, s)| s).collect();
        assert_eq!(picked, vec![1, 2, 0, 2, 0, 3, 4]);
        assert_eq!(p.cursors, vec![(1, 0), (2, 4)]);

        // Without cursors each line starts at its first seller.
        let p = plan(&leads, &sellers, NOW, Strategy::RoundRobin, &[]);
        let picked: Vec<usize> = p.pairs.iter().map(|&(_, s)| s).collect();
        assert_eq!(picked, vec![0, 1, 2, 0, 2, 3, 4]);
        assert_eq!(p.cursors, vec![(1, 2), (2, 4)]);
    }

    #[test]
    fn assign_round_robin_cursor_on_existing_seller() {
        let sv = vec![s("A", 1, true, 10, 0), s("B", 1, true, 10, 0), s("C", 1, true, 10, 0)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(2);
        let leads = leads_of(&docs, &[1, 1]);
        let cursor = [RoundRobinCursor { business_line_id: 1, last_seller: "B" }];
        let p = plan(&leads, &sellers, NOW, Strategy::RoundRobin, &cursor);
        assert_eq!(p.pairs, vec![(0, 2), (1, 0)]);
        assert_eq!(p.cursors, vec![(1, 0)]);
    }

    #[test]
    fn assign_degenerate_inputs_do_not_panic() {
        let sv = vec![s("A", 1, true, i64::MAX, i64::MIN), s("A", 1, true, 1, 0), s("A", 1, true, i64::MIN, i64::MAX)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(3);
        let leads = leads_of(&docs, &[1, 1, 7]);
        let cursor = [RoundRobinCursor { business_line_id: 1, last_seller: "A" }];
        for st in Strategy::ALL {
            assert_eq!(plan(&[], &[], NOW, st, &[]), Plan::default());
            let p = plan(&leads, &[], NOW, st, &cursor);
            assert!(p.pairs.is_empty() && p.cursors.is_empty());
            assert_eq!(p.eligible_sellers, 0);
            let p = plan(&[], &sellers, NOW, st, &cursor);
            assert!(p.pairs.is_empty() && p.cursors.is_empty());
            assert_eq!(p.eligible_sellers, 2);
            let p = plan(&leads, &sellers, NOW, st, &cursor);
            assert_eq!(p.pairs.len(), 2, "{st}");
        }
    }

    #[test]
    fn assign_proportional_fills_by_capacity() {
        // A: 0/2, B: 0/4, C: 3/8 open. Fractions (open + 1) / max.
        let sv = vec![s("A", 1, true, 2, 0), s("B", 1, true, 4, 0), s("C", 1, true, 8, 3)];
        let p = plan_line_1(&sv, 7, Strategy::Proportional);
        // A 1/2, B 1/4, C 4/8 -> B; then all 1/2 -> A; A 2/2, B 2/4, C 4/8 -> B (tie,
        // smaller doc); B 3/4, C 4/8 -> C; C 5/8 -> C; B 3/4, C 6/8 -> B; B 4/4 -> C.
        assert_eq!(picked(&p), vec![1, 0, 1, 2, 2, 1, 2]);
        assert!(p.cursors.is_empty());
        assert_eq!(counts(&p, 3), vec![1, 3, 3]);
    }

    #[test]
    fn assign_proportional_exact_fractions() {
        // 1/3 vs 333333333333333333/999999999999999998: equal in floats, not exactly.
        let sv = vec![s("A", 1, true, 3, 0), s("B", 1, true, 999_999_999_999_999_998, 333_333_333_333_333_332)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(1);
        let p = plan(&leads_of(&docs, &[1]), &sellers, NOW, Strategy::Proportional, &[]);
        // 333333333333333333 * 3 = 999999999999999999 > 999999999999999998: B's fraction is larger.
        assert_eq!(picked(&p), vec![0]);
        assert_eq!(try_order(&sellers, NOW, 1, Strategy::Proportional, &[]), vec![0, 1]);
    }

    #[test]
    fn assign_round_robin_weighted_is_smooth() {
        // nginx's example: weights 5, 1, 1 give a a b a c a a.
        let sv = vec![sw("A", 1, 100, 5), sw("B", 1, 100, 1), sw("C", 1, 100, 1)];
        let p = plan_line_1(&sv, 14, Strategy::RoundRobin);
        assert_eq!(picked(&p), vec![0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]);
        assert_eq!(p.cursors, vec![(1, 0)]);
        // Out-of-range weights are clamped to 1..=100: 0 and -7 count as 1.
        let sv = vec![sw("A", 1, 100, 0), sw("B", 1, 100, -7), sw("C", 1, 100, 1000)];
        let p = plan_line_1(&sv, 102, Strategy::RoundRobin);
        assert_eq!(counts(&p, 3), vec![1, 1, 100]);
    }

    #[test]
    fn assign_round_robin_seller_filling_up_keeps_the_rotation() {
        // Plain nginx SWRR would give A B C C here; the rotation is A B C A.
        let sv = vec![s("A", 1, true, 10, 0), s("B", 1, true, 1, 0), s("C", 1, true, 10, 0)];
        let p = plan_line_1(&sv, 5, Strategy::RoundRobin);
        assert_eq!(picked(&p), vec![0, 1, 2, 0, 2]);
    }

    #[test]
    fn assign_round_robin_swrr_deviation_can_exceed_one_lead() {
        // The counterexample to |count - N·w/W| <= 1 (found by search): nine sellers,
        // after 121 leads the second 87-weight seller is 1.29 leads behind its share.
        // The proven bound -(n-1) < count - N·w/W < 1 holds.
        let weights = [3, 1, 87, 3, 3, 1, 1, 1, 87];
        let sv: Vec<S> = weights.iter().enumerate().map(|(i, &w)| sw(&format!("S{i}"), 1, 1000, w)).collect();
        let p = plan_line_1(&sv, 121, Strategy::RoundRobin);
        let total: i64 = weights.iter().sum();
        let worst = counts(&p, 9).iter().zip(weights).map(|(&c, w)| (c as i64 * total - 121 * w).abs()).max().unwrap();
        assert!(worst > total && worst < 8 * total, "{worst} vs {total}");
    }

    #[test]
    fn assign_exclusions_skip_seller_for_that_lead_only() {
        let sv = vec![s("A", 1, true, 5, 0), s("B", 1, true, 5, 0), s("C", 1, true, 5, 0)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(3);
        const NOT_A: &[&str] = &["A"];
        const NOT_AB: &[&str] = &["B", "A"];
        const NOT_ABC: &[&str] = &["C", "A", "B"];
        let lead = |i: usize, ex: &'static [&'static str]| PendingLead {
            document_number: &docs[i],
            business_line_id: 1,
            excluded_sellers: ex,
        };
        let leads = [lead(0, NOT_A), lead(1, NOT_ABC), lead(2, NOT_AB)];
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            let got = by_lead(&p, 3);
            assert!(got[0].is_some_and(|x| x != 0), "{st}");
            assert_eq!(got[1], None, "{st}");
            assert_eq!(got[2], Some(2), "{st}");
        }
        // Greedy: first allowed seller in document order; A stays first for others.
        let leads = [lead(0, NOT_A), lead(1, &[]), lead(2, NOT_AB)];
        let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &[]);
        assert_eq!(picked(&p), vec![1, 0, 2]);
    }

    #[test]
    fn assign_rules_make_sellers_ineligible() {
        let mut sv: Vec<S> = ["A", "B", "C", "D", "E"].iter().map(|d| s(d, 1, true, 5, 0)).collect();
        sv[0].away_until = Some(NOW + 1);
        sv[1].hours = vec![WorkingHours { weekday: 2, starts_at: 0, ends_at: 86_400 }];
        sv[2].cap = Some(3);
        sv[2].last_day = 3;
        sv[3].cap = Some(4);
        sv[3].last_day = 2;
        let sellers = sellers_of(&sv);
        let docs = lead_docs(9);
        let leads = leads_of(&docs, &[1; 9]);
        assert_eq!(room_per_line(&sellers, NOW), vec![(1, 7)]);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            assert_eq!(p.eligible_sellers, 2, "{st}");
            assert_eq!(counts(&p, 5), vec![0, 0, 0, 2, 5], "{st}");
        }
        // Back at `away_until`.
        let p = plan(&leads, &sellers, NOW + 1, Strategy::Greedy, &[]);
        assert_eq!(counts(&p, 5), vec![5, 0, 0, 2, 2]);
    }

    #[test]
    fn assign_try_order_lists_every_seller_of_the_line() {
        let mut sv = vec![
            s("A", 1, true, 4, 3),
            s("B", 1, false, 10, 0),
            s("C", 2, true, 9, 0),
            s("D", 1, true, 8, 2),
            s("E", 1, true, 0, 0),
        ];
        sv[0].weight = 2;
        sv[3].weight = 3;
        let sellers = sellers_of(&sv);
        let cursor = [RoundRobinCursor { business_line_id: 1, last_seller: "B" }];
        let order = |st, cur: &[RoundRobinCursor]| try_order(&sellers, NOW, 1, st, cur);
        assert_eq!(order(Strategy::Greedy, &[]), vec![0, 1, 3, 4]);
        // Free capacity A 1, B 10 (inactive), D 6, E 0.
        assert_eq!(order(Strategy::Balanced, &[]), vec![1, 3, 0, 4]);
        // (open + 1) / max: A 4/4, B 1/10, D 3/8, E 1/0 (infinite, last).
        assert_eq!(order(Strategy::Proportional, &[]), vec![1, 3, 0, 4]);
        // Heaviest first, ties in rotation order after the cursor: D 3, A 2, then E, B.
        assert_eq!(order(Strategy::RoundRobin, &cursor), vec![3, 0, 4, 1]);
        sv.iter_mut().for_each(|x| x.weight = 1);
        let sellers = sellers_of(&sv);
        assert_eq!(try_order(&sellers, NOW, 1, Strategy::RoundRobin, &cursor), vec![3, 4, 0, 1]);
        assert_eq!(try_order(&sellers, NOW, 1, Strategy::RoundRobin, &[]), vec![0, 1, 3, 4]);
        assert!(try_order(&sellers, NOW, 7, Strategy::Greedy, &[]).is_empty());
    }

    // ---- naive references for the property tests --------------------------------

    type Pairs = Vec<(usize, usize)>;

    fn start_room(sellers: &[SellerState]) -> Vec<i64> {
        sellers.iter().map(|s| s.room(NOW)).collect()
    }

    /// O(N·M) reference for greedy, balanced and proportional: each lead goes to
    /// the best allowed seller of its line with room left, where `better(a, b,
    /// taken)` says a beats b; ties keep the earlier (smaller document) seller.
    fn naive(leads: &[PendingLead], sellers: &[SellerState], better: impl Fn(usize, usize, &[i64]) -> bool) -> Pairs {
        let mut left = start_room(sellers);
        let mut taken = vec![0i64; sellers.len()];
        let mut pairs = Vec::new();
        for (li, l) in leads.iter().enumerate() {
            let mut best: Option<usize> = None;
            for si in 0..sellers.len() {
                let seller = &sellers[si];
                if seller.business_line_id != l.business_line_id
                    || left[si] <= 0
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
    fn naive_greedy(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
        naive(leads, sellers, |_, _, _| false)
    }

    /// Most free capacity.
    fn naive_balanced(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
        naive(leads, sellers, |a, b, t| sellers[a].capacity_room() - t[a] > sellers[b].capacity_room() - t[b])
    }

    /// Lowest (open + taken + 1) / max, compared exactly.
    fn naive_proportional(leads: &[PendingLead], sellers: &[SellerState]) -> Pairs {
        let frac = |i: usize, t: &[i64]| {
            (i128::from(sellers[i].open_leads.max(0) + t[i] + 1), i128::from(sellers[i].max_leads))
        };
        naive(leads, sellers, |a, b, t| {
            let ((na, da), (nb, db)) = (frac(a, t), frac(b, t));
            na * db < nb * da
        })
    }

    fn naive_for(st: Strategy, leads: &[PendingLead], sellers: &[SellerState]) -> Option<Pairs> {
        match st {
            Strategy::Greedy => Some(naive_greedy(leads, sellers)),
            Strategy::Balanced => Some(naive_balanced(leads, sellers)),
            Strategy::Proportional => Some(naive_proportional(leads, sellers)),
            Strategy::RoundRobin => None,
        }
    }

    /// O(N·M): per line, scan cyclically from just after the previous pick
    /// (round robin with all weights 1 and no exclusions).
    fn naive_round_robin(
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

    /// The rules every plan obeys, replayed lead by lead: (1) never an ineligible
    /// pair (line, availability, room left, exclusion); (2) work conserving: a
    /// lead stays pending only if, at its turn, no seller of its line with room
    /// left is allowed to take it; (3) no seller gets more than room(now).
    fn check_rules(leads: &[PendingLead], sellers: &[SellerState], p: &Plan) -> Result<(), TestCaseError> {
        prop_assert!(p.pairs.windows(2).all(|w| w[0].0 < w[1].0), "each lead at most once, in lead order");
        let room = start_room(sellers);
        let mut left = room.clone();
        let assigned = by_lead(p, leads.len());
        for (l, lead) in leads.iter().enumerate() {
            let excluded = |si: usize| lead.excluded_sellers.contains(&sellers[si].document_number);
            let allowed = |si: usize| sellers[si].business_line_id == lead.business_line_id && !excluded(si);
            match assigned[l] {
                Some(si) => {
                    prop_assert!(allowed(si), "lead {} to seller {} of another line or excluded", l, si);
                    prop_assert_eq!(reason_for_lead(&sellers[si], NOW, None, excluded(si)), Reason::Eligible);
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
    fn last_per_line(leads: &[PendingLead], p: &Plan) -> Vec<(i32, usize)> {
        let mut last: HashMap<i32, usize> = HashMap::new();
        for &(l, si) in &p.pairs {
            last.insert(leads[l].business_line_id, si);
        }
        let mut last: Vec<(i32, usize)> = last.into_iter().collect();
        last.sort_unstable();
        last
    }

    // ---- property tests ------------------------------------------------------------

    fn any_strategy() -> impl Gen<Value = Strategy> {
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
    type Scenario = (Vec<S>, Vec<i32>, Vec<(i32, String)>, Strategy);

    fn sorted(mut v: Vec<S>) -> Vec<S> {
        v.sort_by(|a, b| a.doc.cmp(&b.doc));
        v
    }

    fn any_cursors() -> impl Gen<Value = Vec<(i32, String)>> {
        let cursor = (1i32..=4, 0u8..17).prop_map(|(line, d)| (line, format!("S{d:02}")));
        prop::collection::vec(cursor, 0..4)
    }

    /// Sellers without any rule configured.
    fn scenario() -> impl Gen<Value = Scenario> {
        let seller = (0u8..15, 1i32..=3, prop::bool::weighted(0.8), -1i64..6, 0i64..7)
            .prop_map(|(d, line, active, max, open)| s(&format!("S{d:02}"), line, active, max, open));
        let sellers = prop::collection::vec(seller, 0..12).prop_map(sorted);
        let lines = prop::collection::vec(1i32..=4, 0..40);
        (sellers, lines, any_cursors(), any_strategy())
    }

    /// A seller with random rules: away around now (including exactly now),
    /// working hours with the local time on their edges, daily caps, weights
    /// (some out of range).
    fn rule_seller() -> impl Gen<Value = S> {
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
        (base, away, clock, hours, cap, 0i64..5, weight).prop_map(
            |((d, line, active, max, open), away_until, clock, hours, cap, last_day, weight)| S {
                away_until,
                hours,
                clock,
                cap,
                last_day,
                weight,
                ..s(&format!("S{d:02}"), line, active, max, open)
            },
        )
    }

    /// Leads as (line, excluded sellers): most exclude nobody.
    fn rule_leads() -> impl Gen<Value = Vec<(i32, Vec<String>)>> {
        let excluded = prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec((0u8..12).prop_map(|d| format!("S{d:02}")), 1..4),
        ];
        prop::collection::vec((1i32..=4, excluded), 0..40)
    }

    /// (sellers with rules, leads with exclusions, cursors).
    type RuleScenario = (Vec<S>, Vec<(i32, Vec<String>)>, Vec<(i32, String)>);

    fn rule_scenario() -> impl Gen<Value = RuleScenario> {
        (prop::collection::vec(rule_seller(), 0..12).prop_map(sorted), rule_leads(), any_cursors())
    }

    fn cursors_of(v: &[(i32, String)]) -> Vec<RoundRobinCursor<'_>> {
        v.iter().map(|(line, d)| RoundRobinCursor { business_line_id: *line, last_seller: d }).collect()
    }

    /// Builds the borrowed leads, sellers and cursors of `sc` and runs `check` on them.
    fn with_scenario(
        sc: &RuleScenario,
        check: impl FnOnce(&[PendingLead], &[SellerState], &[RoundRobinCursor]) -> Result<(), TestCaseError>,
    ) -> Result<(), TestCaseError> {
        let (sv, specs, cv) = sc;
        let docs = lead_docs(specs.len());
        let ex = excluded_refs(specs);
        check(&leads_with(&docs, specs, &ex), &sellers_of(sv), &cursors_of(cv))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn assign_prop_invariants((sv, lines, cv, st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let cursors = cursors_of(&cv);
            let p = plan(&leads, &sellers, NOW, st, &cursors);
            let room = start_room(&sellers);

            prop_assert_eq!(p.eligible_sellers, room.iter().filter(|&&r| r > 0).count());
            check_rules(&leads, &sellers, &p)?;
            for &(_, si) in &p.pairs {
                prop_assert!(sellers[si].is_active);
            }

            // Cursors: only round robin, last pick of each line that got a lead.
            if st == Strategy::RoundRobin {
                prop_assert_eq!(&p.cursors, &last_per_line(&leads, &p));
            } else {
                prop_assert!(p.cursors.is_empty());
            }

            // Deterministic (HashMaps get fresh random seeds on each call).
            prop_assert_eq!(&plan(&leads, &sellers, NOW, st, &cursors), &p);
        }

        #[test]
        fn assign_prop_greedy_matches_first_fit((sv, lines, cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &cursors_of(&cv));
            prop_assert_eq!(p.pairs, naive_greedy(&leads, &sellers));
        }

        #[test]
        fn assign_prop_balanced_picks_max_free((sv, lines, _cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let p = plan(&leads, &sellers, NOW, Strategy::Balanced, &[]);

            // Each pick had the maximum free capacity of its line at that moment.
            let mut room = start_room(&sellers);
            for &(l, si) in &p.pairs {
                let line = leads[l].business_line_id;
                let max_free = (0..sellers.len())
                    .filter(|&x| sellers[x].business_line_id == line)
                    .map(|x| room[x])
                    .max()
                    .unwrap_or(0);
                prop_assert_eq!(room[si], max_free);
                room[si] -= 1;
            }
            // And the tie-breaks agree with the naive reference.
            prop_assert_eq!(p.pairs, naive_balanced(&leads, &sellers));
        }

        #[test]
        fn assign_prop_round_robin_matches_naive((sv, lines, cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let cursors = cursors_of(&cv);
            let p = plan(&leads, &sellers, NOW, Strategy::RoundRobin, &cursors);
            let (pairs, cur) = naive_round_robin(&leads, &sellers, &cursors);
            prop_assert_eq!(p.pairs, pairs);
            prop_assert_eq!(p.cursors, cur);
        }

        /// (1) (2) (3) for every strategy with random rules and exclusions, plus
        /// agreement with the naive references.
        #[test]
        fn assign_prop_rules_every_strategy(sc in rule_scenario()) {
            with_scenario(&sc, |leads, sellers, cursors| {
                let room = start_room(sellers);
                let plain = sellers.iter().all(|x| x.effective_weight() == 1)
                    && leads.iter().all(|l| l.excluded_sellers.is_empty());
                for st in Strategy::ALL {
                    let p = plan(leads, sellers, NOW, st, cursors);
                    prop_assert_eq!(p.eligible_sellers, room.iter().filter(|&&r| r > 0).count());
                    check_rules(leads, sellers, &p)?;
                    prop_assert_eq!(&plan(leads, sellers, NOW, st, cursors), &p);
                    if let Some(pairs) = naive_for(st, leads, sellers) {
                        prop_assert_eq!(&p.pairs, &pairs, "{}", st);
                        prop_assert!(p.cursors.is_empty());
                    } else {
                        prop_assert_eq!(&p.cursors, &last_per_line(leads, &p));
                        if plain {
                            prop_assert_eq!(&p.pairs, &naive_round_robin(leads, sellers, cursors).0);
                        }
                    }
                }
                // room_per_line is the per-line sum of room(now).
                for (line, total) in room_per_line(sellers, NOW) {
                    let want: i64 = (0..sellers.len()).filter(|&i| sellers[i].business_line_id == line).map(|i| room[i]).sum();
                    prop_assert!(total > 0);
                    prop_assert_eq!(total, want);
                }
                Ok(())
            })?;
        }

        /// (7) The first allowed seller in try_order is the one plan gives a single
        /// lead to, for every strategy; try_order lists every seller of the line once.
        #[test]
        fn assign_prop_try_order_agrees_with_plan(sc in rule_scenario()) {
            with_scenario(&sc, |leads, sellers, cursors| {
                let room = start_room(sellers);
                for st in Strategy::ALL {
                    for lead in leads.iter().take(6) {
                        let line = lead.business_line_id;
                        let order = try_order(sellers, NOW, line, st, cursors);
                        let mut sorted_order = order.clone();
                        sorted_order.sort_unstable();
                        let of_line: Vec<usize> = (0..sellers.len()).filter(|&i| sellers[i].business_line_id == line).collect();
                        prop_assert_eq!(sorted_order, of_line);

                        let first = order
                            .iter()
                            .copied()
                            .find(|&i| room[i] > 0 && !lead.excluded_sellers.contains(&sellers[i].document_number));
                        let p = plan(std::slice::from_ref(lead), sellers, NOW, st, cursors);
                        prop_assert_eq!(p.pairs.first().map(|&(_, s)| s), first, "{}", st);
                    }
                }
                Ok(())
            })?;
        }

        /// (4) Smooth weighted round robin with enough room: after every prefix of
        /// N leads, each seller's count c satisfies -(n-1) < c - N·w/W < 1 (n sellers,
        /// W their total weight), and |c - N·w/W| < 1 when n <= 2.
        ///
        /// Proof: with every seller taking part in every pick, current weight
        /// cw = N·w - W·c and Σ cw = 0. The winner had the largest cw + w, at least
        /// the average W/n > 0, so it ends above -W; the others only grow. Hence
        /// cw > -W for all, i.e. c - N·w/W < 1, and cw = -Σ(others) < (n-1)·W.
        /// (The tighter |c - N·w/W| <= 1 does not hold in general, see
        /// assign_round_robin_swrr_deviation_can_exceed_one_lead.)
        #[test]
        fn assign_prop_round_robin_weights_converge(
            weights in prop::collection::vec(prop_oneof![3 => 1i64..=5, 1 => 1i64..=100], 1..8),
            n_leads in 0usize..300,
            cv in any_cursors(),
        ) {
            let sv: Vec<S> = weights.iter().enumerate().map(|(i, &w)| sw(&format!("S{i:02}"), 1, 1000, w)).collect();
            let sellers = sellers_of(&sv);
            let docs = lead_docs(n_leads);
            let leads = leads_of(&docs, &vec![1; n_leads]);
            let p = plan(&leads, &sellers, NOW, Strategy::RoundRobin, &cursors_of(&cv));
            prop_assert_eq!(p.pairs.len(), n_leads);
            let n = weights.len() as i64;
            let total: i64 = weights.iter().sum();
            let mut got = vec![0i64; weights.len()];
            for (k, &(_, si)) in p.pairs.iter().enumerate() {
                got[si] += 1;
                let picks = k as i64 + 1;
                for (i, &w) in weights.iter().enumerate() {
                    let dev = got[i] * total - picks * w; // W·(c - N·w/W)
                    prop_assert!(dev < total && (n == 1 || dev > -(n - 1) * total), "seller {} after {}: {}", i, picks, dev);
                    if n <= 2 {
                        prop_assert!(dev.abs() < total);
                    }
                }
            }
        }

        /// (5) Proportional from empty sellers: after any number of leads, two
        /// sellers a, b of a line that both still have room satisfy
        /// |open_a/cap_a - open_b/cap_b| <= 1/min(cap_a, cap_b).
        #[test]
        fn assign_prop_proportional_keeps_ratios_close(
            (sv, specs, _cv) in rule_scenario(),
        ) {
            let sv: Vec<S> = sv.into_iter().map(|x| S { open: 0, ..x }).collect();
            let specs: Vec<(i32, Vec<String>)> = specs.into_iter().map(|(line, _)| (line, Vec::new())).collect();
            with_scenario(&(sv, specs, Vec::new()), |leads, sellers, _| {
                let p = plan(leads, sellers, NOW, Strategy::Proportional, &[]);
                let mut left = start_room(sellers);
                let mut open = vec![0i128; sellers.len()];
                for &(_, si) in &p.pairs {
                    left[si] -= 1;
                    open[si] += 1;
                    for a in 0..sellers.len() {
                        for b in 0..sellers.len() {
                            if left[a] <= 0 || left[b] <= 0 || sellers[a].business_line_id != sellers[b].business_line_id {
                                continue;
                            }
                            let (ca, cb) = (i128::from(sellers[a].max_leads), i128::from(sellers[b].max_leads));
                            // |oa/ca - ob/cb| <= 1/min(ca, cb)  <=>  |oa·cb - ob·ca|·min <= ca·cb
                            prop_assert!((open[a] * cb - open[b] * ca).abs() * ca.min(cb) <= ca * cb,
                                "{}: {}/{} vs {}: {}/{}", a, open[a], ca, b, open[b], cb);
                        }
                    }
                }
                Ok(())
            })?;
        }
    }
}
