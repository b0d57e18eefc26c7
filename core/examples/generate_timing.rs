//! Times the lead generator on the seed reference rows, best of 5 runs:
//! `cargo run --release -p lead_assigner_core --example generate_timing`.
//! Shapes: 1,000,000 leads in one call, and the same in simulate_cycle(5)-sized calls.

use std::hint::black_box;
use std::time::{Duration, Instant};

use lead_assigner_core::generate::{generate_leads, Country, DocumentType, References};

const LEADS: usize = 1_000_000;

fn best_of_5(mut run: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .expect("five runs")
}

fn main() {
    let refs = References {
        business_lines: vec![1, 2, 3, 4],
        countries: ["US", "CA", "MX", "CO", "BR"]
            .iter()
            .zip(1..)
            .map(|(code, id)| Country { id, code: (*code).to_owned() })
            .collect(),
        document_types: ["National ID", "Passport", "Driver License", "Tax ID"]
            .iter()
            .zip(1..)
            .map(|(name, id)| DocumentType { id, name: (*name).to_owned() })
            .collect(),
    };
    // The simulator's generator.
    let mut rng = rand::thread_rng();
    let one_call = best_of_5(|| {
        black_box(generate_leads(&mut rng, LEADS, &refs).unwrap());
    });
    let cycles_of_5 = best_of_5(|| {
        for _ in 0..LEADS / 5 {
            black_box(generate_leads(&mut rng, 5, &refs).unwrap());
        }
    });
    for (shape, elapsed) in [("1 call of 1,000,000", one_call), ("200,000 calls of 5", cycles_of_5)] {
        println!("{shape}: {:.3} s, {:.0} ns/lead", elapsed.as_secs_f64(), elapsed.as_nanos() as f64 / LEADS as f64);
    }
}
