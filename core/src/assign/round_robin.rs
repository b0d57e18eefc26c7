//! round_robin: smooth weighted rotation through the sellers, continuing after
//! where the last run stopped (the cursor).

use std::cmp::Reverse;

use super::{LineQueue, PendingLead, Rule};
use crate::eligibility::SellerState;

pub(super) struct RoundRobin;

impl Rule for RoundRobin {
    fn name(&self) -> &'static str {
        "round_robin"
    }

    fn queue<'a>(
        &self,
        mut line: Vec<usize>,
        sellers: &[SellerState<'a>],
        cursor: Option<&str>,
    ) -> Box<dyn LineQueue + 'a> {
        rotate_after(&mut line, sellers, cursor);
        Box::new(Swrr { current: vec![0; line.len()], order: line })
    }

    fn order(&self, line: &mut [usize], sellers: &[SellerState], cursor: Option<&str>) {
        rotate_after(line, sellers, cursor);
        // Stable: equal weights keep the rotation order.
        line.sort_by_key(|&i| Reverse(sellers[i].effective_weight()));
    }

    fn moves_cursor(&self) -> bool {
        true
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

impl LineQueue for Swrr {
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        let mut total = 0;
        let mut best: Option<usize> = None;
        for (k, &s) in self.order.iter().enumerate() {
            if !lead.allows(&sellers[s]) {
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

#[cfg(test)]
mod tests {
    use crate::assign::testing::*;
    use crate::assign::*;
    use proptest::prelude::{prop, prop_assert, prop_assert_eq, prop_oneof, proptest};

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

    proptest! {
        #![proptest_config(config())]

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

        /// Every rule at once (weights, territories, exclusions, away, hours, caps, cursors):
        /// the same plan as the O(N·M) reference.
        #[test]
        fn assign_prop_round_robin_with_every_rule_matches_naive(sc in rule_scenario()) {
            with_scenario(&sc, |leads, sellers, cursors| {
                let p = plan(leads, sellers, NOW, Strategy::RoundRobin, cursors);
                let (pairs, cur) = naive_weighted_round_robin(leads, sellers, cursors);
                prop_assert_eq!(p.pairs, pairs);
                prop_assert_eq!(p.cursors, cur);
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

    }
}
