//! How many leads one simulation cycle inserts.
//!
//! The original Python simulator weighted counts 1..=5 as 25/20/10/20/25 %
//! and gave every other count in `[min, max]` a weight of 0.01. Weights are
//! kept here as integer hundredths, so normalisation and sampling are exact
//! and never touch a per-count table: the range may be huge, but at most
//! five counts are "special" and all the others weigh the same.

use std::fmt;

use rand::Rng;

/// Weights of counts 1..=5 in hundredths; every other count weighs 1.
const SEED_UNITS: [u64; 5] = [25, 20, 10, 20, 25];
const SEED_FIRST: i64 = 1;
const SEED_LAST: i64 = SEED_FIRST + SEED_UNITS.len() as i64 - 1;
const OTHER_UNITS: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    Negative { min: i64, max: i64 },
    MinAboveMax { min: i64, max: i64 },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Negative { min, max } => {
                write!(f, "a count cannot be negative (the range is {min} to {max})")
            }
            Self::MinAboveMax { min, max } => {
                write!(f, "the minimum ({min}) is greater than the maximum ({max})")
            }
        }
    }
}

impl std::error::Error for WeightsError {}

/// Weighted distribution over the counts `min..=max`.
///
/// Within the range the seeded counts form one contiguous block
/// `special_first..special_first + special_len`; the remaining counts are the
/// range with that block cut out, each weighing `OTHER_UNITS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountDistribution {
    min: i64,
    max: i64,
    special_first: i64,
    special_len: usize,
    /// Running totals of the special counts' weights.
    special_cumulative: [u64; SEED_UNITS.len()],
    /// Sum of all weights; fits because the range holds at most 2^63 counts.
    total: u64,
}

impl CountDistribution {
    /// Distribution over `min..=max`; `min == max` always yields that count.
    ///
    /// # Errors
    /// [`WeightsError::Negative`] if `min < 0`, else
    /// [`WeightsError::MinAboveMax`] if `min > max`.
    pub fn new(min: i64, max: i64) -> Result<Self, WeightsError> {
        if min < 0 {
            return Err(WeightsError::Negative { min, max });
        }
        if min > max {
            return Err(WeightsError::MinAboveMax { min, max });
        }

        let special_first = min.max(SEED_FIRST);
        let special_last = max.min(SEED_LAST);
        let special_len = if special_first <= special_last { (special_last - special_first + 1) as usize } else { 0 };

        let mut special_cumulative = [0; SEED_UNITS.len()];
        let mut running = 0;
        for (i, slot) in special_cumulative.iter_mut().take(special_len).enumerate() {
            running += seed_units(special_first + i as i64);
            *slot = running;
        }

        // `max - min` cannot overflow since min >= 0.
        let range_len = (max - min) as u64 + 1;
        let others = range_len - special_len as u64;
        Ok(Self { min, max, special_first, special_len, special_cumulative, total: running + others * OTHER_UNITS })
    }

    /// Normalised probability of drawing `count`; 0 outside the range.
    #[must_use]
    pub fn probability(&self, count: i64) -> f64 {
        if count < self.min || count > self.max {
            return 0.0;
        }
        let units = if (SEED_FIRST..=SEED_LAST).contains(&count) { seed_units(count) } else { OTHER_UNITS };
        units as f64 / self.total as f64
    }

    /// Draws a count in `min..=max` with one random number, in O(5).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        let ticket = rng.gen_range(0..self.total);
        let specials = &self.special_cumulative[..self.special_len];
        if let Some(i) = specials.iter().position(|&cum| ticket < cum) {
            return self.special_first + i as i64;
        }

        // Uniform pick among the non-special counts: take the index-th one,
        // skipping over the special block if the index lands at or past it.
        let special_total = specials.last().copied().unwrap_or(0);
        let index = (ticket - special_total) / OTHER_UNITS;
        let gap_offset = (self.special_first - self.min) as u64;
        let mut offset = index;
        if self.special_len > 0 && offset >= gap_offset {
            offset += self.special_len as u64;
        }
        // offset <= max - min, so this stays within i64.
        self.min + offset as i64
    }
}

fn seed_units(count: i64) -> u64 {
    SEED_UNITS[(count - SEED_FIRST) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn total_probability(d: &CountDistribution, min: i64, max: i64) -> f64 {
        (min..=max).map(|c| d.probability(c)).sum()
    }

    #[test]
    fn seed_range_has_original_weights() {
        let d = CountDistribution::new(1, 5).unwrap();
        let expected = [0.25, 0.20, 0.10, 0.20, 0.25];
        for (count, p) in (1..=5).zip(expected) {
            assert_eq!(d.probability(count), p, "count {count}");
        }
        assert!((total_probability(&d, 1, 5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn zero_weighs_one_hundredth() {
        let d = CountDistribution::new(0, 5).unwrap();
        let total = 1.01;
        assert!((d.probability(0) - 0.01 / total).abs() < 1e-12);
        assert!((d.probability(1) - 0.25 / total).abs() < 1e-12);
        assert!((d.probability(3) - 0.10 / total).abs() < 1e-12);
        assert!((total_probability(&d, 0, 5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn range_without_seed_counts_is_uniform() {
        let d = CountDistribution::new(10, 20).unwrap();
        for count in 10..=20 {
            assert!((d.probability(count) - 1.0 / 11.0).abs() < 1e-12);
        }
        assert!((total_probability(&d, 10, 20) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn outside_range_has_zero_probability() {
        let d = CountDistribution::new(2, 4).unwrap();
        for count in [-1, 0, 1, 5, 6, i64::MAX, i64::MIN] {
            assert_eq!(d.probability(count), 0.0, "count {count}");
        }
    }

    #[test]
    fn rejects_invalid_ranges() {
        assert_eq!(CountDistribution::new(-1, 5), Err(WeightsError::Negative { min: -1, max: 5 }));
        assert_eq!(CountDistribution::new(-3, -5), Err(WeightsError::Negative { min: -3, max: -5 }));
        assert_eq!(CountDistribution::new(6, 5), Err(WeightsError::MinAboveMax { min: 6, max: 5 }));
    }

    #[test]
    fn error_messages_name_the_problem() {
        let negative = WeightsError::Negative { min: -1, max: 5 }.to_string();
        assert_eq!(negative, "a count cannot be negative (the range is -1 to 5)");
        let inverted = WeightsError::MinAboveMax { min: 6, max: 5 }.to_string();
        assert_eq!(inverted, "the minimum (6) is greater than the maximum (5)");
    }

    #[test]
    fn single_count_range_always_returns_it() {
        let mut rng = SmallRng::seed_from_u64(7);
        for count in [0, 3, 42] {
            let d = CountDistribution::new(count, count).unwrap();
            assert_eq!(d.probability(count), 1.0);
            assert!((0..100).all(|_| d.sample(&mut rng) == count));
        }
    }

    /// Checks observed frequencies against `probability` within 5 standard
    /// deviations; the fixed seed makes it deterministic on top of that.
    fn assert_frequencies(min: i64, max: i64, draws: u32, seed: u64) {
        let d = CountDistribution::new(min, max).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut hits = vec![0u32; (max - min + 1) as usize];
        for _ in 0..draws {
            hits[(d.sample(&mut rng) - min) as usize] += 1;
        }
        let n = f64::from(draws);
        for (count, &observed) in (min..=max).zip(&hits) {
            let p = d.probability(count);
            let expected = n * p;
            let tolerance = 5.0 * (n * p * (1.0 - p)).sqrt() + 1.0;
            assert!(
                (f64::from(observed) - expected).abs() <= tolerance,
                "count {count}: observed {observed}, expected {expected:.0} ± {tolerance:.0}"
            );
        }
    }

    #[test]
    fn sampling_matches_seed_weights() {
        assert_frequencies(1, 5, 200_000, 0x5eed);
    }

    #[test]
    fn sampling_matches_weights_around_special_block() {
        // Non-special counts on both sides of the 1..=5 block.
        assert_frequencies(0, 30, 200_000, 0xbeef);
    }

    #[test]
    fn large_range_is_cheap_and_mostly_uniform() {
        let d = CountDistribution::new(1, 100_000).unwrap();
        let total = 1.0 + 99_995.0 * 0.01;
        assert!((d.probability(1) - 0.25 / total).abs() < 1e-15);
        assert!((d.probability(100_000) - 0.01 / total).abs() < 1e-15);

        let mut rng = SmallRng::seed_from_u64(1);
        let draws = 200_000;
        let mut in_seed_block = 0u32;
        for _ in 0..draws {
            let c = d.sample(&mut rng);
            assert!((1..=100_000).contains(&c));
            if c <= 5 {
                in_seed_block += 1;
            }
        }
        let p = 1.0 / total;
        let n = f64::from(draws);
        let tolerance = 5.0 * (n * p * (1.0 - p)).sqrt() + 1.0;
        assert!((f64::from(in_seed_block) - n * p).abs() <= tolerance);
    }

    #[test]
    fn widest_range_does_not_overflow() {
        let d = CountDistribution::new(0, i64::MAX).unwrap();
        let mut rng = SmallRng::seed_from_u64(3);
        for _ in 0..1000 {
            assert!(d.sample(&mut rng) >= 0);
        }
        assert!(d.probability(i64::MAX) > 0.0);
    }

    proptest! {
        #[test]
        fn samples_stay_in_range(
            min in 0i64..1_000_000,
            span in prop_oneof![0i64..10, 0i64..1_000_000],
            seed: u64,
        ) {
            let max = min + span;
            let d = CountDistribution::new(min, max).unwrap();
            let mut rng = SmallRng::seed_from_u64(seed);
            for _ in 0..100 {
                let c = d.sample(&mut rng);
                prop_assert!((min..=max).contains(&c), "{c} outside {min}..={max}");
            }
        }

        #[test]
        fn probabilities_sum_to_one(min in 0i64..20, span in 0i64..50) {
            let max = min + span;
            let d = CountDistribution::new(min, max).unwrap();
            prop_assert!((total_probability(&d, min, max) - 1.0).abs() < 1e-9);
        }
    }
}
