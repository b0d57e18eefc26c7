//! How many pending leads a run must read so that reading more could not change its plan.
//!
//! Every lead a seller takes uses one of its `room(now)` slots, and a strategy takes each line's
//! leads in queue order. A lead of country `c` is left pending only when no seller of its line
//! with room left covers `c` (or every such seller is excluded from it), and room only
//! shrinks: so, without exclusions, the leads of `c` a run assigns are the first ones of `c` in
//! queue order, at most as many as the room of the line's sellers that cover `c`. Reading those
//! per country, and nothing of a country nobody with room covers, reads exactly what the plan
//! can use. When no seller with room has a territory, every lead of the line is covered and the
//! first `room` leads of the whole line are enough (as before territories).

use std::collections::BTreeMap;

use crate::eligibility::SellerState;

/// What to read of one business line's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRead {
    /// The first `limit` leads of the line in queue order: no seller with room has a territory.
    Whole { business_line_id: i32, limit: i64 },
    /// Per country, its first leads in queue order: `countries` lists (country, limit) for the
    /// countries some seller with room names; every other country gets `every_country` (the room
    /// of the sellers without a territory; 0: not read at all).
    ByCountry { business_line_id: i32, every_country: i64, countries: Vec<(i32, i64)> },
}

impl LineRead {
    pub fn business_line_id(&self) -> i32 {
        match self {
            LineRead::Whole { business_line_id, .. } | LineRead::ByCountry { business_line_id, .. } => {
                *business_line_id
            }
        }
    }

    /// How many leads of `country_id` may be read (the whole line's limit for [`LineRead::Whole`]).
    pub fn limit_for(&self, country_id: i32) -> i64 {
        match self {
            LineRead::Whole { limit, .. } => *limit,
            LineRead::ByCountry { every_country, countries, .. } => {
                countries.iter().find(|(c, _)| *c == country_id).map_or(*every_country, |(_, limit)| *limit)
            }
        }
    }

    /// The same read with `extra` more leads allowed everywhere it reads (for leads that some
    /// seller is excluded from and may be passed over).
    pub fn widened(self, extra: i64) -> LineRead {
        match self {
            LineRead::Whole { business_line_id, limit } => {
                LineRead::Whole { business_line_id, limit: limit.saturating_add(extra) }
            }
            LineRead::ByCountry { business_line_id, every_country, countries } => LineRead::ByCountry {
                business_line_id,
                every_country: if every_country > 0 { every_country.saturating_add(extra) } else { 0 },
                countries: countries.into_iter().map(|(c, limit)| (c, limit.saturating_add(extra))).collect(),
            },
        }
    }
}

/// Per business line whose sellers have room (ascending by line), what a run reads of its queue.
pub fn read_bounds(sellers: &[SellerState], now: i64) -> Vec<LineRead> {
    #[derive(Default)]
    struct Room {
        everywhere: i64,
        by_country: BTreeMap<i32, i64>,
    }
    let mut lines: BTreeMap<i32, Room> = BTreeMap::new();
    for seller in sellers {
        let free = seller.room(now);
        if free <= 0 {
            continue;
        }
        let line = lines.entry(seller.business_line_id).or_default();
        if seller.countries.is_empty() {
            line.everywhere = line.everywhere.saturating_add(free);
        }
        // A country listed twice by one seller still gives its room once.
        let mut countries = seller.countries.to_vec();
        countries.sort_unstable();
        countries.dedup();
        for country in countries {
            let room = line.by_country.entry(country).or_default();
            *room = room.saturating_add(free);
        }
    }
    lines
        .into_iter()
        .map(|(business_line_id, room)| {
            if room.by_country.is_empty() {
                LineRead::Whole { business_line_id, limit: room.everywhere }
            } else {
                LineRead::ByCountry {
                    business_line_id,
                    every_country: room.everywhere,
                    countries: room
                        .by_country
                        .into_iter()
                        .map(|(country, limit)| (country, limit.saturating_add(room.everywhere)))
                        .collect(),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::{prop, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
    use proptest::strategy::Strategy as Gen;

    use super::*;
    use crate::assign::{plan, PendingLead, Strategy};
    use crate::eligibility::LocalClock;

    const NOW: i64 = 1_700_000_000_000_000;

    fn seller<'a>(doc: &'a str, line: i32, max: i64, countries: &'a [i32]) -> SellerState<'a> {
        SellerState {
            document_number: doc,
            business_line_id: line,
            is_active: true,
            max_leads: max,
            open_leads: 0,
            away_until: None,
            hours: &[],
            local_now: LocalClock { weekday: 1, seconds: 0 },
            daily_cap: None,
            assigned_last_day: 0,
            weight: 1,
            countries,
        }
    }

    #[test]
    fn bounds_without_territories_read_whole_lines() {
        let sellers = [seller("A", 1, 3, &[]), seller("B", 1, 2, &[]), seller("C", 2, 0, &[1]), seller("D", 3, 4, &[])];
        assert_eq!(
            read_bounds(&sellers, NOW),
            [LineRead::Whole { business_line_id: 1, limit: 5 }, LineRead::Whole { business_line_id: 3, limit: 4 }],
            "a full seller with a territory changes nothing"
        );
    }

    #[test]
    fn bounds_per_country() {
        let sellers =
            [seller("A", 1, 3, &[1, 2]), seller("B", 1, 2, &[2, 2]), seller("C", 2, 4, &[3]), seller("D", 2, 1, &[])];
        let bounds = read_bounds(&sellers, NOW);
        assert_eq!(
            bounds,
            [
                LineRead::ByCountry { business_line_id: 1, every_country: 0, countries: vec![(1, 3), (2, 5)] },
                LineRead::ByCountry { business_line_id: 2, every_country: 1, countries: vec![(3, 5)] },
            ]
        );
        assert_eq!((bounds[0].limit_for(1), bounds[0].limit_for(9)), (3, 0), "an uncovered country is not read");
        assert_eq!((bounds[1].limit_for(3), bounds[1].limit_for(9)), (5, 1));
        assert_eq!(
            bounds[0].clone().widened(2),
            LineRead::ByCountry { business_line_id: 1, every_country: 0, countries: vec![(1, 5), (2, 7)] },
            "an uncovered country stays unread"
        );
        assert_eq!(bounds[1].clone().widened(2).limit_for(9), 3);
    }

    /// (document, line, max, open, countries) per seller; (line, country, excluded sellers) per lead.
    type Instance = (Vec<(String, i32, i64, i64, Vec<i32>)>, Vec<(i32, i32, Vec<String>)>);

    fn instance() -> impl Gen<Value = Instance> {
        let countries = prop_oneof![2 => Just(Vec::new()), 3 => prop::collection::vec(1i32..=3, 1..3)];
        let seller = (0u8..10, 1i32..=2, 0i64..5, 0i64..3, countries)
            .prop_map(|(d, line, max, open, countries)| (format!("S{d:02}"), line, max, open, countries));
        let sellers = prop::collection::vec(seller, 0..8).prop_map(|mut v| {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        });
        let excluded = prop_oneof![4 => Just(Vec::new()), 1 => prop::collection::vec((0u8..10).prop_map(|d| format!("S{d:02}")), 1..3)];
        let leads = prop::collection::vec((1i32..=3, 1i32..=4, excluded), 0..40);
        (sellers, leads)
    }

    /// The leads a run reads under `reads` (indexes, in order): per line read whole its first
    /// `limit`, per line read by country each country's first `limit_for(country)`.
    fn within(reads: &[LineRead], leads: &[PendingLead]) -> Vec<usize> {
        let mut seen: HashMap<(i32, Option<i32>), i64> = HashMap::new();
        (0..leads.len())
            .filter(|&i| {
                let lead = &leads[i];
                let Some(read) = reads.iter().find(|r| r.business_line_id() == lead.business_line_id) else {
                    return false;
                };
                let key = match read {
                    LineRead::Whole { .. } => (lead.business_line_id, None),
                    LineRead::ByCountry { .. } => (lead.business_line_id, Some(lead.country_id)),
                };
                let n = seen.entry(key).or_default();
                *n += 1;
                *n <= read.limit_for(lead.country_id)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Reading only what `read_bounds` allows (widened by the leads with exclusions, as the
        /// engine does) gives every strategy the plan it makes with every lead, and no lead goes
        /// to a seller whose territory does not include its country.
        #[test]
        fn bounds_prop_reading_more_never_changes_the_plan((sv, lv) in instance()) {
            let sellers: Vec<SellerState> = sv.iter().map(|(doc, line, max, open, countries)| SellerState {
                open_leads: *open,
                ..seller(doc, *line, *max, countries)
            }).collect();
            let docs: Vec<String> = (0..lv.len()).map(|i| format!("L{i:03}")).collect();
            let excluded: Vec<Vec<&str>> = lv.iter().map(|(_, _, ex)| ex.iter().map(String::as_str).collect()).collect();
            let leads: Vec<PendingLead> = lv.iter().zip(&docs).zip(&excluded).map(|(((line, country, _), doc), ex)| PendingLead {
                document_number: doc,
                business_line_id: *line,
                country_id: *country,
                excluded_sellers: ex,
            }).collect();
            let reads: Vec<LineRead> = read_bounds(&sellers, NOW).into_iter().map(|read| {
                let line = read.business_line_id();
                let extra = leads.iter().filter(|l| l.business_line_id == line && !l.excluded_sellers.is_empty()).count();
                read.widened(extra as i64)
            }).collect();
            let kept = within(&reads, &leads);
            let read: Vec<PendingLead> = kept.iter().map(|&i| leads[i]).collect();
            for strategy in Strategy::ALL {
                let everything = plan(&leads, &sellers, NOW, strategy, &[]);
                let bounded = plan(&read, &sellers, NOW, strategy, &[]);
                let bounded_pairs: Vec<(usize, usize)> = bounded.pairs.iter().map(|&(l, s)| (kept[l], s)).collect();
                prop_assert_eq!(&bounded_pairs, &everything.pairs, "{}", strategy);
                prop_assert_eq!(&bounded.cursors, &everything.cursors, "{}", strategy);
                for &(l, s) in &everything.pairs {
                    prop_assert!(sellers[s].covers(leads[l].country_id), "{}: lead {} to {}", strategy, l, s);
                }
            }
        }
    }
}
