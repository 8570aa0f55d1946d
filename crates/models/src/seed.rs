//! Deriving independent, reproducible random streams from the one user seed.
//!
//! Every random draw of a run comes from a stream named by a purpose and an
//! index (head j's initial values, the shuffle of epoch e, ...), so a stream
//! does not depend on how many other draws happened before it: STL_j and
//! Q-MTL(k) share the shared network's and head j's initial values, and runs
//! on different thread counts draw the same numbers.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The random generator used everywhere (fast, and reproducible across versions).
pub type Rng = Xoshiro256PlusPlus;

/// SplitMix64 finaliser: a bijective mix of 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Purposes of the random streams of a run.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// Initial values of the shared network.
    Shared,
    /// Initial values of head j.
    Head(usize),
    /// Order of the training sentences in epoch e.
    Shuffle(usize),
    /// Gaussian noise and dropout during epoch e.
    Noise(usize),
    /// PTA's decoder perturbations during epoch e.
    Pta(usize),
}

/// The generator for `stream` of a run seeded with `seed`.
pub fn rng(seed: u64, stream: Stream) -> Rng {
    let (tag, i) = match stream {
        Stream::Shared => (1, 0),
        Stream::Head(j) => (2, j),
        Stream::Shuffle(e) => (3, e),
        Stream::Noise(e) => (4, e),
        Stream::Pta(e) => (5, e),
    };
    Rng::seed_from_u64(mix(mix(mix(seed) ^ tag) ^ i as u64))
}
