//! Assignment strategies: decide which pending lead goes to which seller.
//!
//! Pure planning, no I/O. The database layer hands in sellers sorted by
//! `document_number` (collation "C", i.e. bytewise, same as `str` ordering) and
//! each business line's pending leads in the order they are to be taken, and
//! writes the resulting pairs back in a single statement.
//!
//! Every strategy works per business line and is work-conserving: a lead is
//! left pending only when no seller of its line has room left.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

/// How leads are distributed among the eligible sellers of a business line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// First seller with room, in document_number order (the original behaviour).
    #[default]
    Greedy,
    /// Seller with the most free capacity; ties go to the smaller document_number.
    Balanced,
    /// Rotate through the sellers, continuing after where the last run stopped.
    RoundRobin,
}

impl Strategy {
    /// All strategies, in the order they are documented.
    pub const ALL: [Strategy; 3] = [Strategy::Greedy, Strategy::Balanced, Strategy::RoundRobin];

    /// The name accepted by [`FromStr`] and stored/reported by the extension.
    pub fn as_str(&self) -> &'static str {
        match self {
            Strategy::Greedy => "greedy",
            Strategy::Balanced => "balanced",
            Strategy::RoundRobin => "round_robin",
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
        Strategy::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| format!("unknown strategy '{wanted}': expected one of greedy, balanced, round_robin"))
    }
}

/// A lead waiting for a seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLead<'a> {
    pub document_number: &'a str,
    pub business_line_id: i32,
}

/// A seller together with how many leads it currently holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seller<'a> {
    pub document_number: &'a str,
    pub business_line_id: i32,
    pub is_active: bool,
    /// May be 0; negative is treated as 0.
    pub max_leads: i64,
    /// Leads currently held in a status that occupies capacity (may exceed `max_leads`).
    pub open_leads: i64,
}

impl Seller<'_> {
    /// Free slots before this plan assigns anything; 0 for inactive sellers.
    fn initial_room(&self) -> i64 {
        if !self.is_active {
            return 0;
        }
        // Saturating: extreme values from the caller must not overflow/panic.
        self.max_leads.max(0).saturating_sub(self.open_leads).max(0)
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
    /// How many sellers were eligible (active with room) before assigning, all
    /// business lines together.
    pub eligible_sellers: usize,
}

/// Heap key for balanced: most free capacity first, then smaller document number,
/// then smaller index (only matters for duplicate document numbers).
type BalancedKey<'a> = (i64, Reverse<&'a str>, Reverse<usize>);

/// Per-business-line state of the chosen strategy. Only sellers with room at the
/// start are ever put in here.
enum LineQueue<'a> {
    /// Eligible sellers in document order plus the first one that may still have
    /// room. Room only ever decreases, so the pointer only moves forward.
    Greedy { sellers: Vec<usize>, next: usize },
    /// Max-heap keyed by the seller's current free capacity.
    Balanced(BinaryHeap<BalancedKey<'a>>),
    /// Rotation order; the front is the next seller to receive a lead.
    RoundRobin(VecDeque<usize>),
}

impl LineQueue<'_> {
    /// Picks the seller for the next lead of this line and takes one slot from
    /// `room`. `None` when every seller of the line is full.
    fn take(&mut self, room: &mut [i64]) -> Option<usize> {
        match self {
            LineQueue::Greedy { sellers, next } => {
                while let Some(&s) = sellers.get(*next) {
                    if room[s] > 0 {
                        room[s] -= 1;
                        return Some(s);
                    }
                    *next += 1;
                }
                None
            }
            LineQueue::Balanced(heap) => {
                let mut top = heap.peek_mut()?;
                let s = top.2 .0;
                room[s] -= 1;
                if room[s] > 0 {
                    // Dropping the PeekMut restores the heap order.
                    top.0 = room[s];
                } else {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
                Some(s)
            }
            LineQueue::RoundRobin(queue) => {
                let s = queue.pop_front()?;
                room[s] -= 1;
                // A seller that fills up leaves the rotation.
                if room[s] > 0 {
                    queue.push_back(s);
                }
                Some(s)
            }
        }
    }
}

/// Free slots per business line (lines with none left out), ascending by line:
/// every strategy assigns exactly the first min(pending, room) leads of a line,
/// so a run needs to read no more pending leads than this.
pub fn room_per_line(sellers: &[Seller]) -> Vec<(i32, i64)> {
    let mut room: HashMap<i32, i64> = HashMap::new();
    for seller in sellers {
        let free = seller.initial_room();
        if free > 0 {
            *room.entry(seller.business_line_id).or_default() += free;
        }
    }
    let mut room: Vec<(i32, i64)> = room.into_iter().collect();
    room.sort_unstable();
    room
}

fn is_sorted_by_doc<T>(items: &[T], doc: impl Fn(&T) -> &str) -> bool {
    items.windows(2).all(|w| doc(&w[0]) <= doc(&w[1]))
}

/// Assigns `leads` to `sellers` with the given strategy.
///
/// `sellers` must be in ascending `document_number` order (duplicates tolerated);
/// each business line's leads are taken in the order given. `cursors` is only used by [`Strategy::RoundRobin`]; if a business
/// line appears several times, the last entry wins.
///
/// Runs in O((N + M) log M) for balanced and O(N + M) otherwise (plus hashing).
pub fn plan(leads: &[PendingLead], sellers: &[Seller], strategy: Strategy, cursors: &[RoundRobinCursor]) -> Plan {
    debug_assert!(is_sorted_by_doc(sellers, |s| s.document_number), "sellers must be sorted by document_number");

    let mut room: Vec<i64> = sellers.iter().map(Seller::initial_room).collect();

    // Eligible sellers per business line, keeping document order.
    let mut by_line: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, s) in sellers.iter().enumerate() {
        if room[i] > 0 {
            by_line.entry(s.business_line_id).or_default().push(i);
        }
    }
    let eligible_sellers = by_line.values().map(Vec::len).sum();

    let cursor_of: HashMap<i32, &str> = cursors.iter().map(|c| (c.business_line_id, c.last_seller)).collect();

    let mut queues: HashMap<i32, LineQueue> = by_line
        .into_iter()
        .map(|(line, idx)| {
            let queue = match strategy {
                Strategy::Greedy => LineQueue::Greedy { sellers: idx, next: 0 },
                Strategy::Balanced => LineQueue::Balanced(
                    idx.iter().map(|&i| (room[i], Reverse(sellers[i].document_number), Reverse(i))).collect(),
                ),
                Strategy::RoundRobin => {
                    // Start at the first seller strictly after the cursor; if the
                    // cursor is past everyone, this wraps to the first seller.
                    let start = cursor_of
                        .get(&line)
                        .map_or(0, |&last| idx.partition_point(|&i| sellers[i].document_number <= last));
                    let mut queue = VecDeque::from(idx);
                    let len = queue.len();
                    queue.rotate_left(start % len.max(1));
                    LineQueue::RoundRobin(queue)
                }
            };
            (line, queue)
        })
        .collect();

    let mut pairs = Vec::new();
    // Last seller that got a lead, per line (round_robin output cursor).
    let mut last_assigned: HashMap<i32, usize> = HashMap::new();
    for (li, lead) in leads.iter().enumerate() {
        // Leads of a line without eligible sellers just stay pending.
        let Some(queue) = queues.get_mut(&lead.business_line_id) else {
            continue;
        };
        if let Some(s) = queue.take(&mut room) {
            pairs.push((li, s));
            if strategy == Strategy::RoundRobin {
                last_assigned.insert(lead.business_line_id, s);
            }
        }
    }

    // Sorted so the plan does not depend on HashMap iteration order.
    let mut cursors: Vec<(i32, usize)> = last_assigned.into_iter().collect();
    cursors.sort_unstable();

    Plan { pairs, cursors, eligible_sellers }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Explicit imports: proptest's `Strategy` trait would clash with ours.
    use proptest::prelude::{prop, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
    use proptest::strategy::Strategy as Gen;

    // ---- helpers -------------------------------------------------------------

    /// Owned seller description so tests can build borrowed `Seller`s from it.
    #[derive(Debug, Clone)]
    struct S {
        doc: String,
        line: i32,
        active: bool,
        max: i64,
        open: i64,
    }

    fn s(doc: &str, line: i32, active: bool, max: i64, open: i64) -> S {
        S { doc: doc.to_string(), line, active, max, open }
    }

    fn sellers_of(v: &[S]) -> Vec<Seller<'_>> {
        v.iter()
            .map(|x| Seller {
                document_number: &x.doc,
                business_line_id: x.line,
                is_active: x.active,
                max_leads: x.max,
                open_leads: x.open,
            })
            .collect()
    }

    /// Lead document numbers, sorted, one per business line entry.
    fn lead_docs(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("L{i:05}")).collect()
    }

    fn leads_of<'a>(docs: &'a [String], lines: &[i32]) -> Vec<PendingLead<'a>> {
        docs.iter().zip(lines).map(|(d, &l)| PendingLead { document_number: d, business_line_id: l }).collect()
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
            for valid in ["greedy", "balanced", "round_robin"] {
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
        let p = plan(&leads, &sellers, Strategy::Greedy, &[]);
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
            let p = plan(&leads, &sellers, st, &[]);
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
            let p = plan(&leads, &sellers, st, &[]);
            assert_eq!(p.pairs.len(), 75, "{st}");
            assert_eq!(counts(&p, 4), vec![50, 0, 0, 25], "{st}");
            // Leads are served in order, so the last five are the pending ones.
            assert!(p.pairs.iter().all(|&(l, _)| l < 75), "{st}");
        }
        // Greedy fills S1 first, then S4.
        let p = plan(&leads, &sellers, Strategy::Greedy, &[]);
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
            let p = plan(&leads, &sellers, st, &[]);
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
            let p = plan(&leads, &sellers, st, &[]);
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
        let p = plan(&leads, &sellers, Strategy::Greedy, &[]);
        assert_eq!(p.pairs, vec![(0, 0), (1, 1), (2, 1), (3, 2), (4, 2)]);
    }

    #[test]
    fn assign_balanced_spreads() {
        // Free capacity: A 2, B 4, C 4.
        let sv = vec![s("A", 1, true, 5, 3), s("B", 1, true, 4, 0), s("C", 1, true, 6, 2)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(6);
        let leads = leads_of(&docs, &[1; 6]);
        let p = plan(&leads, &sellers, Strategy::Balanced, &[]);
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
        let p = plan(&leads, &sellers, Strategy::RoundRobin, &cursors);
        // Line 1: B (then full), C, A, C, A. Line 2: D, E.
        let picked: Vec<usize> = p.pairs.iter().map(|&(_, s)| s).collect();
        assert_eq!(picked, vec![1, 2, 0, 2, 0, 3, 4]);
        assert_eq!(p.cursors, vec![(1, 0), (2, 4)]);

        // Without cursors each line starts at its first seller.
        let p = plan(&leads, &sellers, Strategy::RoundRobin, &[]);
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
        let p = plan(&leads, &sellers, Strategy::RoundRobin, &cursor);
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
            assert_eq!(plan(&[], &[], st, &[]), Plan::default());
            let p = plan(&leads, &[], st, &cursor);
            assert!(p.pairs.is_empty() && p.cursors.is_empty());
            assert_eq!(p.eligible_sellers, 0);
            let p = plan(&[], &sellers, st, &cursor);
            assert!(p.pairs.is_empty() && p.cursors.is_empty());
            assert_eq!(p.eligible_sellers, 2);
            let p = plan(&leads, &sellers, st, &cursor);
            assert_eq!(p.pairs.len(), 2, "{st}");
        }
    }

    // ---- naive references for the property tests --------------------------------

    type Pairs = Vec<(usize, usize)>;

    fn start_room(sellers: &[Seller]) -> Vec<i64> {
        sellers.iter().map(|s| if s.is_active { (s.max_leads.max(0) - s.open_leads).max(0) } else { 0 }).collect()
    }

    /// O(N·M) first fit.
    fn naive_greedy(leads: &[PendingLead], sellers: &[Seller]) -> Vec<(usize, usize)> {
        let mut room = start_room(sellers);
        let mut pairs = Vec::new();
        for (li, l) in leads.iter().enumerate() {
            if let Some(si) =
                (0..sellers.len()).find(|&si| sellers[si].business_line_id == l.business_line_id && room[si] > 0)
            {
                room[si] -= 1;
                pairs.push((li, si));
            }
        }
        pairs
    }

    /// O(N·M): scan every seller of the line for the most free capacity.
    fn naive_balanced(leads: &[PendingLead], sellers: &[Seller]) -> Vec<(usize, usize)> {
        let mut room = start_room(sellers);
        let mut pairs = Vec::new();
        for (li, l) in leads.iter().enumerate() {
            let mut best: Option<usize> = None;
            for si in 0..sellers.len() {
                if sellers[si].business_line_id != l.business_line_id || room[si] <= 0 {
                    continue;
                }
                // Strictly greater: on ties the earlier (smaller doc) seller stays.
                if best.is_none_or(|b| room[si] > room[b]) {
                    best = Some(si);
                }
            }
            if let Some(si) = best {
                room[si] -= 1;
                pairs.push((li, si));
            }
        }
        pairs
    }

    /// O(N·M): per line, scan cyclically from just after the previous pick.
    fn naive_round_robin(
        leads: &[PendingLead],
        sellers: &[Seller],
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

    // ---- property tests ------------------------------------------------------------

    /// Random sellers (sorted, duplicate docs possible), lead lines (including a
    /// line 4 that has no sellers) and cursors.
    /// (sellers, lead business lines, cursors as (line, last seller), strategy).
    type Scenario = (Vec<S>, Vec<i32>, Vec<(i32, String)>, Strategy);

    fn scenario() -> impl Gen<Value = Scenario> {
        let seller = (0u8..15, 1i32..=3, prop::bool::weighted(0.8), -1i64..6, 0i64..7)
            .prop_map(|(d, line, active, max, open)| s(&format!("S{d:02}"), line, active, max, open));
        let sellers = prop::collection::vec(seller, 0..12).prop_map(|mut v| {
            v.sort_by(|a, b| a.doc.cmp(&b.doc));
            v
        });
        let lines = prop::collection::vec(1i32..=4, 0..40);
        let cursor = (1i32..=4, 0u8..17).prop_map(|(line, d)| (line, format!("S{d:02}")));
        let cursors = prop::collection::vec(cursor, 0..4);
        let strategy = prop_oneof![Just(Strategy::Greedy), Just(Strategy::Balanced), Just(Strategy::RoundRobin),];
        (sellers, lines, cursors, strategy)
    }

    fn cursors_of(v: &[(i32, String)]) -> Vec<RoundRobinCursor<'_>> {
        v.iter().map(|(line, d)| RoundRobinCursor { business_line_id: *line, last_seller: d }).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn assign_prop_invariants((sv, lines, cv, st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let cursors = cursors_of(&cv);
            let p = plan(&leads, &sellers, st, &cursors);
            let room = start_room(&sellers);

            prop_assert_eq!(p.eligible_sellers, room.iter().filter(|&&r| r > 0).count());

            // Every lead at most once, in lead order.
            prop_assert!(p.pairs.windows(2).all(|w| w[0].0 < w[1].0));

            let got = counts(&p, sellers.len());
            for &(l, si) in &p.pairs {
                prop_assert!(l < leads.len() && si < sellers.len());
                prop_assert_eq!(leads[l].business_line_id, sellers[si].business_line_id);
                prop_assert!(sellers[si].is_active);
            }
            for si in 0..sellers.len() {
                prop_assert!(got[si] as i64 <= room[si], "seller {} over capacity", si);
            }

            // Work-conserving: pending only if the line is full at the end.
            let assigned = by_lead(&p, leads.len());
            for (l, a) in assigned.iter().enumerate() {
                if a.is_none() {
                    let line = leads[l].business_line_id;
                    let line_full = (0..sellers.len()).all(|si| {
                        sellers[si].business_line_id != line || got[si] as i64 >= room[si]
                    });
                    prop_assert!(line_full, "lead {} pending while line {} has room", l, line);
                }
            }

            // Cursors: only round robin, last pick of each line that got a lead.
            if st == Strategy::RoundRobin {
                let mut expected: Vec<(i32, usize)> = Vec::new();
                for &(l, si) in &p.pairs {
                    let line = leads[l].business_line_id;
                    expected.retain(|&(x, _)| x != line);
                    expected.push((line, si));
                }
                expected.sort_unstable();
                prop_assert_eq!(&p.cursors, &expected);
            } else {
                prop_assert!(p.cursors.is_empty());
            }

            // Deterministic (HashMaps get fresh random seeds on each call).
            prop_assert_eq!(&plan(&leads, &sellers, st, &cursors), &p);
        }

        #[test]
        fn assign_prop_greedy_matches_first_fit((sv, lines, cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let p = plan(&leads, &sellers, Strategy::Greedy, &cursors_of(&cv));
            prop_assert_eq!(p.pairs, naive_greedy(&leads, &sellers));
        }

        #[test]
        fn assign_prop_balanced_picks_max_free((sv, lines, _cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let p = plan(&leads, &sellers, Strategy::Balanced, &[]);

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
            let p = plan(&leads, &sellers, Strategy::RoundRobin, &cursors);
            let (pairs, cur) = naive_round_robin(&leads, &sellers, &cursors);
            prop_assert_eq!(p.pairs, pairs);
            prop_assert_eq!(p.cursors, cur);
        }
    }
}
