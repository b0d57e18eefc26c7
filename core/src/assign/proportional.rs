//! proportional: the seller with the lowest `(open_leads + 1) / max_leads`; ties
//! go to the smaller document number. Sellers fill in proportion to their
//! capacity.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::{pop_allowed, LineQueue, PendingLead, Rule};
use crate::eligibility::SellerState;

pub(super) struct Proportional;

impl Rule for Proportional {
    fn name(&self) -> &'static str {
        "proportional"
    }

    fn queue<'a>(&self, line: Vec<usize>, sellers: &[SellerState<'a>], _: Option<&str>) -> Box<dyn LineQueue + 'a> {
        Box::new(LeastLoaded(line.iter().map(|&i| Reverse(Key::new(sellers, i))).collect()))
    }

    fn order(&self, line: &mut [usize], sellers: &[SellerState], _: Option<&str>) {
        line.sort_by_key(|&i| Key::new(sellers, i));
    }
}

/// Sort key: the fraction `(open + 1) / max_leads` (compared exactly by
/// cross-multiplication; a zero denominator sorts after every finite fraction),
/// then document number, then index. Smaller is served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key<'a> {
    /// open_leads (negative counted as 0) + leads this plan gave + 1; >= 1.
    numerator: i128,
    /// max_leads (negative counted as 0); >= 1 for every seller with room.
    denominator: i128,
    document_number: &'a str,
    index: usize,
}

impl<'a> Key<'a> {
    fn new(sellers: &[SellerState<'a>], i: usize) -> Self {
        let s = &sellers[i];
        Key {
            numerator: i128::from(s.open_leads.max(0)) + 1,
            denominator: i128::from(s.max_leads.max(0)),
            document_number: s.document_number,
            index: i,
        }
    }
}

impl Ord for Key<'_> {
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

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Min-heap keyed by the seller's current load fraction.
struct LeastLoaded<'a>(BinaryHeap<Reverse<Key<'a>>>);

impl LineQueue for LeastLoaded<'_> {
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        let Reverse(mut key) =
            pop_allowed(&mut self.0, |k| k.0.index, |s| lead.allows(&sellers[s]))?;
        let s = key.index;
        left[s] -= 1;
        if left[s] > 0 {
            key.numerator += 1;
            self.0.push(Reverse(key));
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use crate::assign::testing::*;
    use crate::assign::*;
    use proptest::prelude::{prop_assert, proptest};

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

    proptest! {
        #![proptest_config(config())]

        /// (5) Proportional from empty sellers competing for every lead (no
        /// territories, no exclusions): after any number of leads, two
        /// sellers a, b of a line that both still have room satisfy
        /// |open_a/cap_a - open_b/cap_b| <= 1/min(cap_a, cap_b).
        #[test]
        fn assign_prop_proportional_keeps_ratios_close(
            (sv, specs, _cv) in rule_scenario(),
        ) {
            let sv: Vec<S> = sv.into_iter().map(|x| S { open: 0, countries: Vec::new(), ..x }).collect();
            let specs: Vec<LeadSpec> = specs.into_iter().map(|(line, country, _)| (line, country, Vec::new())).collect();
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
