//! Seeded random draws for the generator.
//!
//! Every account and every reference series draws from its own stream,
//! keyed by the seed, the file and the account number, so an account's
//! history is the same whichever other accounts are generated with it and
//! nothing has to be held in memory between files.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type Draws = ChaCha8Rng;

/// The stream of one file (`stream`) and one account or series (`key`).
pub fn keyed(seed: u64, stream: u64, key: u64) -> Draws {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ mix(key)));
    rng.set_stream(stream);
    rng
}

/// SplitMix64 finaliser: spreads nearby keys over the whole seed space.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A standard normal draw (Box-Muller).
pub fn normal(rng: &mut Draws) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A Poisson draw by counting uniform products; fine for small means.
pub fn poisson(rng: &mut Draws, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean.min(30.0)).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

pub fn log_uniform(rng: &mut Draws, low: f64, high: f64) -> f64 {
    rng.random_range(low.ln()..=high.ln()).exp()
}

pub fn pick<'a, T>(rng: &mut Draws, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

pub fn pick_weighted<'a, T>(rng: &mut Draws, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut roll = rng.random::<f64>() * total;
    for item in items {
        roll -= weight(item);
        if roll < 0.0 {
            return item;
        }
    }
    &items[items.len() - 1]
}
