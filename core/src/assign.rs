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
//! [`SellerState::room`] left that cover its country and are not in its
//! `excluded_sellers` ([`crate::eligibility::may_take`]), and is work-conserving:
//! a lead is left pending only when no seller of its line with room left is
//! allowed to take it; the leads behind it are still served in order.
//!
//! This module holds what every strategy shares (the types, the [`plan`] loop
//! and [`try_order`]); how many leads a run must read is [`crate::bounds`]'s; each strategy is a module of its own
//! implementing `Rule`. Adding one means adding its module and its line in
//! `strategies!`.

use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::str::FromStr;

use crate::eligibility::{self, SellerState};

#[cfg(test)]
mod testing;

/// Declares the strategy modules and [`Strategy`], one variant per module, in the
/// order they are documented.
macro_rules! strategies {
    ($($(#[$attr:meta])* $variant:ident => $module:ident::$rule:ident,)*) => {
        $(mod $module;)*

        /// How leads are distributed among the eligible sellers of a business line.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub enum Strategy {
            $($(#[$attr])* $variant,)*
        }

        impl Strategy {
            /// All strategies, in the order they are documented.
            pub const ALL: [Strategy; [$(Strategy::$variant),*].len()] = [$(Strategy::$variant),*];

            fn rule(self) -> &'static dyn Rule {
                match self {
                    $(Strategy::$variant => &$module::$rule,)*
                }
            }
        }
    };
}

strategies! {
    /// First seller with room, in document_number order (the original behaviour).
    #[default]
    Greedy => greedy::Greedy,
    /// Seller with the most free capacity; ties go to the smaller document_number.
    Balanced => balanced::Balanced,
    /// Smooth weighted rotation through the sellers, continuing after where the
    /// last run stopped.
    RoundRobin => round_robin::RoundRobin,
    /// Seller with the lowest `(open_leads + 1) / max_leads`; ties go to the
    /// smaller document_number. Sellers fill in proportion to their capacity.
    Proportional => proportional::Proportional,
}

/// What a strategy module provides.
trait Rule: Sync {
    /// The name accepted by [`FromStr`] and stored/reported by the extension.
    fn name(&self) -> &'static str;

    /// The state of one business line for a plan: `line` holds the line's sellers
    /// with room, in document order; `cursor` is where round_robin stopped last
    /// time on this line.
    fn queue<'a>(&self, line: Vec<usize>, sellers: &[SellerState<'a>], cursor: Option<&str>)
        -> Box<dyn LineQueue + 'a>;

    /// Puts `line` (every seller of the line, in document order) in the order the
    /// strategy tries them for the next lead, see [`try_order`].
    fn order(&self, line: &mut [usize], sellers: &[SellerState], cursor: Option<&str>);

    /// Whether [`Plan::cursors`] reports the last seller per line (round_robin).
    fn moves_cursor(&self) -> bool {
        false
    }
}

/// Per-business-line state of the chosen strategy. Only sellers with room at the
/// start are ever put in here, and one leaves as soon as its room is used up.
trait LineQueue {
    /// Picks the seller for `lead` and takes one slot from `left`. `None` when no
    /// seller of the line with room left is allowed to take it.
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize>;
}

impl Strategy {
    /// The name accepted by [`FromStr`] and stored/reported by the extension.
    pub fn as_str(&self) -> &'static str {
        self.rule().name()
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
            let names: Vec<&str> = Strategy::ALL.iter().map(Strategy::as_str).collect();
            format!("unknown strategy '{wanted}': expected one of {}", names.join(", "))
        })
    }
}

/// A lead waiting for a seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLead<'a> {
    pub document_number: &'a str,
    pub business_line_id: i32,
    /// Only sellers whose territory includes this country may take the lead.
    pub country_id: i32,
    /// Sellers that let this lead time out: it is never offered to them again.
    /// Usually empty; kept short (checked by linear search).
    pub excluded_sellers: &'a [&'a str],
}

impl PendingLead<'_> {
    /// Whether `seller` (one with room) may be offered the lead: the lead-dependent rules of
    /// [`eligibility::may_take`].
    fn allows(&self, seller: &SellerState) -> bool {
        eligibility::may_take(seller, self.country_id, self.excluded_sellers.contains(&seller.document_number))
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
/// greedy (plus hashing) when every seller with room may take every lead; a lead
/// that k of them may not take (exclusions, territories) costs O(k log M) more
/// (greedy: O(k) more). Round robin costs O(M_l)
/// per lead of a line with M_l sellers.
pub fn plan(
    leads: &[PendingLead],
    sellers: &[SellerState],
    now: i64,
    strategy: Strategy,
    cursors: &[RoundRobinCursor],
) -> Plan {
    debug_assert!(is_sorted_by_doc(sellers), "sellers must be sorted by document_number");
    let rule = strategy.rule();

    let mut left: Vec<i64> = sellers.iter().map(|s| s.room(now)).collect();

    // Sellers with room per business line, keeping document order.
    let mut by_line: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, s) in sellers.iter().enumerate() {
        if left[i] > 0 {
            by_line.entry(s.business_line_id).or_default().push(i);
        }
    }
    let eligible_sellers = by_line.values().map(Vec::len).sum();

    let mut queues: BTreeMap<i32, Box<dyn LineQueue + '_>> =
        by_line.into_iter().map(|(line, idx)| (line, rule.queue(idx, sellers, cursor_for(cursors, line)))).collect();

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
            if rule.moves_cursor() {
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
/// with `room(now) > 0` that may take it (covers its country, not excluded).
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
    strategy.rule().order(&mut idx, sellers, cursor_for(cursors, business_line_id));
    idx
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::bounds::{read_bounds, LineRead};
    use crate::eligibility::WorkingHours;
    use proptest::prelude::{prop_assert, prop_assert_eq, proptest};

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

    // ---- every strategy --------------------------------------------------------

    #[test]
    fn assign_territories_every_strategy_skips_uncovered_leads_without_blocking() {
        // A covers country 2, B every country, C country 3; one slot each but C's five.
        let sv = vec![
            S { countries: vec![2], ..s("A", 1, true, 1, 0) },
            s("B", 1, true, 1, 0),
            S { countries: vec![3], ..s("C", 1, true, 5, 0) },
        ];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(5);
        let specs: Vec<LeadSpec> = [2, 2, 9, 3, 2].into_iter().map(|country| (1, country, Vec::new())).collect();
        let ex = excluded_refs(&specs);
        let leads = leads_with(&docs, &specs, &ex);
        for st in Strategy::ALL {
            let p = plan(&leads, &sellers, NOW, st, &[]);
            // L2 (country 9) only B covers, and B is full by then; L3 behind it still goes to C.
            assert_eq!(by_lead(&p, 5), vec![Some(0), Some(1), None, Some(2), None], "{st}");
        }
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
            country_id: HOME,
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
        assert_eq!(read_bounds(&sellers, NOW), vec![LineRead::Whole { business_line_id: 1, limit: 7 }]);
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

    proptest! {
        #![proptest_config(config())]

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

        /// (1) (2) (3) for every strategy with random rules and exclusions, plus
        /// agreement with the naive references.
        #[test]
        fn assign_prop_rules_every_strategy(sc in rule_scenario()) {
            with_scenario(&sc, |leads, sellers, cursors| {
                let room = start_room(sellers);
                let plain = sellers.iter().all(|x| x.effective_weight() == 1 && x.countries.is_empty())
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
                // read_bounds: per line and country, the room of the line's sellers that cover it.
                for read in read_bounds(sellers, NOW) {
                    let line = read.business_line_id();
                    let of_line = |i: &usize| sellers[*i].business_line_id == line && room[*i] > 0;
                    prop_assert_eq!(
                        matches!(read, LineRead::Whole { .. }),
                        (0..sellers.len()).filter(of_line).all(|i| sellers[i].countries.is_empty())
                    );
                    for country in 1..=4 {
                        let want: i64 = (0..sellers.len()).filter(of_line).filter(|&i| sellers[i].covers(country)).map(|i| room[i]).sum();
                        prop_assert_eq!(read.limit_for(country), want, "line {} country {}", line, country);
                    }
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
                            .find(|&i| {
                                room[i] > 0
                                    && sellers[i].covers(lead.country_id)
                                    && !lead.excluded_sellers.contains(&sellers[i].document_number)
                            });
                        let p = plan(std::slice::from_ref(lead), sellers, NOW, st, cursors);
                        prop_assert_eq!(p.pairs.first().map(|&(_, s)| s), first, "{}", st);
                    }
                }
                Ok(())
            })?;
        }

    }
}
