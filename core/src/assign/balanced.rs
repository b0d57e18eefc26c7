//! balanced: the seller with the most free capacity; ties go to the smaller
//! document number.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{pop_allowed, LineQueue, PendingLead, Rule};
use crate::eligibility::SellerState;

pub(super) struct Balanced;

/// Heap key: most free capacity first, then smaller document number, then
/// smaller index (only matters for duplicate document numbers).
type Key<'a> = (i64, Reverse<&'a str>, Reverse<usize>);

fn key<'a>(sellers: &[SellerState<'a>], i: usize) -> Key<'a> {
    (sellers[i].capacity_room(), Reverse(sellers[i].document_number), Reverse(i))
}

impl Rule for Balanced {
    fn name(&self) -> &'static str {
        "balanced"
    }

    fn queue<'a>(&self, line: Vec<usize>, sellers: &[SellerState<'a>], _: Option<&str>) -> Box<dyn LineQueue + 'a> {
        Box::new(MostFree(line.iter().map(|&i| key(sellers, i)).collect()))
    }

    fn order(&self, line: &mut [usize], sellers: &[SellerState], _: Option<&str>) {
        line.sort_by_key(|&i| Reverse(key(sellers, i)));
    }
}

/// Max-heap keyed by the seller's current free capacity.
struct MostFree<'a>(BinaryHeap<Key<'a>>);

impl LineQueue for MostFree<'_> {
    fn take(&mut self, lead: &PendingLead, sellers: &[SellerState], left: &mut [i64]) -> Option<usize> {
        let (free, doc, index) = pop_allowed(&mut self.0, |k| k.2 .0, |s| lead.allows(&sellers[s]))?;
        let s = index.0;
        left[s] -= 1;
        if left[s] > 0 {
            self.0.push((free - 1, doc, index));
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use crate::assign::testing::*;
    use crate::assign::*;
    use proptest::prelude::{prop_assert_eq, proptest};

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

    proptest! {
        #![proptest_config(config())]

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

    }
}
