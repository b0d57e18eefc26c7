//! greedy: the first seller with room, in document order (the original behaviour).

use super::{LineQueue, PendingLead, Rule};
use crate::eligibility::SellerState;

pub(super) struct Greedy;

impl Rule for Greedy {
    fn name(&self) -> &'static str {
        "greedy"
    }

    fn queue<'a>(&self, line: Vec<usize>, _: &[SellerState<'a>], _: Option<&str>) -> Box<dyn LineQueue + 'a> {
        Box::new(FirstFit { sellers: line, next: 0 })
    }

    fn order(&self, _: &mut [usize], _: &[SellerState], _: Option<&str>) {
        // Document order, as given.
    }
}

/// Sellers with room in document order plus the first one that may still have
/// room. Room only ever decreases, so the pointer only moves forward.
struct FirstFit {
    sellers: Vec<usize>,
    next: usize,
}

impl LineQueue for FirstFit {
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        while self.sellers.get(self.next).is_some_and(|&s| left[s] == 0) {
            self.next += 1;
        }
        // Without exclusions this is the seller at `next`.
        let s = self.sellers[self.next..]
            .iter()
            .copied()
            .find(|&s| left[s] > 0 && lead.allows(&sellers[s]))?;
        left[s] -= 1;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use crate::assign::testing::*;
    use crate::assign::*;
    use proptest::prelude::{prop_assert_eq, proptest};

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
    fn assign_greedy_small_example() {
        // A has 1 free slot, B 2, C 5: first-fit in document order.
        let sv = vec![s("A", 1, true, 2, 1), s("B", 1, true, 2, 0), s("C", 1, true, 5, 0)];
        let sellers = sellers_of(&sv);
        let docs = lead_docs(5);
        let leads = leads_of(&docs, &[1; 5]);
        let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &[]);
        assert_eq!(p.pairs, vec![(0, 0), (1, 1), (2, 1), (3, 2), (4, 2)]);
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn assign_prop_greedy_matches_first_fit((sv, lines, cv, _st) in scenario()) {
            let sellers = sellers_of(&sv);
            let docs = lead_docs(lines.len());
            let leads = leads_of(&docs, &lines);
            let p = plan(&leads, &sellers, NOW, Strategy::Greedy, &cursors_of(&cv));
            prop_assert_eq!(p.pairs, naive_greedy(&leads, &sellers));
        }

    }
}
