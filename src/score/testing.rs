//! Test data for the score modules: a small deterministic generator, so
//! unit tests draw the same rows on every machine without an extra crate.

/// A 64-bit linear congruential generator, good enough for test data.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    /// Uniform on [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}
