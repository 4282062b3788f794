//! Buy-till-you-die models of repeat buying: the BG/NBD model of how often
//! a customer buys and whether they are still alive (Fader, Hardie and Lee
//! 2005) and the Gamma-Gamma model of how much they spend per purchase
//! (Fader and Hardie 2013), each fitted by maximum likelihood.
//!
//! Not yet part of the nightly run; the scoring stage does not call it.

use anyhow::{bail, Result};

/// One customer's purchase history: `x` repeat purchases, the last at
/// `t_x`, observed for `t_obs` time units since the first purchase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    pub x: f64,
    pub t_x: f64,
    pub t_obs: f64,
}

/// Fitted BG/NBD parameters: purchase rates are Gamma(r, alpha), dropout
/// probabilities after each purchase are Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Fitted Gamma-Gamma spend parameters (p, q, gamma).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// Natural log of the gamma function for x > 0, by the Lanczos
/// approximation with g = 7 and 9 coefficients; relative error about
/// 1e-15 over the positive reals, with reflection below 0.5.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];

    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin().abs()).ln() - ln_gamma(1.0 - x);
    }

    let z = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (z + 0.5) * t.ln() - t + sum.ln()
}

/// Natural log of the beta function B(a, b).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Gaussian hypergeometric function 2F1(a, b; c; z) by its power series.
/// The series converges for |z| < 1 (and c not a non-positive integer);
/// outside that it returns an error rather than a wrong number. Terms are
/// summed until they stop changing the sum at double precision.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if z.is_nan() || z.abs() >= 1.0 {
        bail!(
            "hypergeometric series diverges: |z| = {} is not below 1",
            z.abs()
        );
    }
    if c <= 0.0 && c.fract() == 0.0 {
        bail!("hypergeometric series undefined: c = {c} is a non-positive integer");
    }

    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..100_000 {
        let k = n as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= f64::EPSILON * sum.abs() {
            return Ok(sum);
        }
    }
    bail!("hypergeometric series did not converge for z = {z}")
}

/// ln(e^u + e^v) without overflow or underflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let m = u.max(v);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((u - m).exp() + (v - m).exp()).ln()
}

impl BgNbd {
    /// Log-likelihood of one customer's history (paper's equation 6).
    pub fn log_likelihood_one(&self, h: &History) -> f64 {
        let BgNbd { r, alpha, a, b } = *self;
        let x = h.x;

        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_beta(a, b + x) - ln_beta(a, b) - (r + x) * (alpha + h.t_obs).ln();
        if x <= 0.0 {
            return a1 + a2;
        }
        let a3 = ln_beta(a + 1.0, b + x - 1.0) - ln_beta(a, b) - (r + x) * (alpha + h.t_x).ln();
        a1 + log_add_exp(a2, a3)
    }

    /// Total log-likelihood of a sample of customers.
    pub fn log_likelihood(&self, histories: &[History]) -> f64 {
        histories.iter().map(|h| self.log_likelihood_one(h)).sum()
    }

    /// Fits r, alpha, a, b by maximum likelihood (Nelder-Mead on the logs
    /// of the parameters, started at all ones).
    pub fn fit(histories: &[History]) -> Result<BgNbd> {
        check_histories(histories)?;

        let objective = |v: &[f64]| {
            let m = BgNbd {
                r: v[0].exp(),
                alpha: v[1].exp(),
                a: v[2].exp(),
                b: v[3].exp(),
            };
            let ll = m.log_likelihood(histories);
            if ll.is_finite() {
                -ll
            } else {
                f64::INFINITY
            }
        };
        let best = minimise(objective, &[0.0; 4])?;

        Ok(BgNbd {
            r: best[0].exp(),
            alpha: best[1].exp(),
            a: best[2].exp(),
            b: best[3].exp(),
        })
    }

    /// Odds weight a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) of having died
    /// after the last purchase; zero for a customer with no repeat purchase.
    fn death_odds(&self, h: &History) -> f64 {
        if h.x <= 0.0 {
            return 0.0;
        }
        let ratio = (self.alpha + h.t_obs) / (self.alpha + h.t_x);
        self.a / (self.b + h.x - 1.0) * ratio.powf(self.r + h.x)
    }

    /// P(alive | x, t_x, T). A customer with no repeat purchase cannot
    /// have dropped out under the model (dropout follows a purchase), so
    /// that probability is exactly 1.
    pub fn p_alive(&self, h: &History) -> f64 {
        1.0 / (1.0 + self.death_odds(h))
    }

    /// Expected purchases in the next `t` time units given the history
    /// (paper's equation 10). The 2F1 argument t/(alpha+T+t) lies in
    /// [0, 1) for t >= 0, so its series converges; a = 1 makes the
    /// leading factor singular and is refused.
    pub fn expected_purchases(&self, h: &History, t: f64) -> Result<f64> {
        let BgNbd { r, alpha, a, b } = *self;
        if t < 0.0 {
            bail!("expected purchases: horizon {t} is negative");
        }
        if (a - 1.0).abs() < 1e-12 {
            bail!("expected purchases: a = 1 makes equation 10 singular");
        }

        let x = h.x;
        let z = t / (alpha + h.t_obs + t);
        let f = hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
        let shrink = ((alpha + h.t_obs) / (alpha + h.t_obs + t)).powf(r + x);
        let lead = (a + b + x - 1.0) / (a - 1.0);

        Ok(lead * (1.0 - shrink * f) / (1.0 + self.death_odds(h)))
    }
}

impl GammaGamma {
    /// Log-likelihood of one customer with x > 0 purchases of mean value
    /// zbar > 0.
    pub fn log_likelihood_one(&self, x: f64, zbar: f64) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        let px = p * x;
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * gamma.ln()
            + (px - 1.0) * zbar.ln()
            + px * x.ln()
            - (px + q) * (gamma + x * zbar).ln()
    }

    /// Total log-likelihood of (x, zbar) pairs.
    pub fn log_likelihood(&self, spends: &[(f64, f64)]) -> f64 {
        spends
            .iter()
            .map(|&(x, z)| self.log_likelihood_one(x, z))
            .sum()
    }

    /// Fits p, q, gamma by maximum likelihood on customers with x > 0 and
    /// zbar > 0 (Nelder-Mead on the logs, started at all ones).
    pub fn fit(spends: &[(f64, f64)]) -> Result<GammaGamma> {
        if spends.is_empty() {
            bail!("gamma-gamma fit: no customers with repeat purchases");
        }
        for (i, &(x, z)) in spends.iter().enumerate() {
            if !(x > 0.0 && z > 0.0 && x.is_finite() && z.is_finite()) {
                bail!("gamma-gamma fit: customer {i} has x = {x}, zbar = {z}; both must be > 0");
            }
        }

        let objective = |v: &[f64]| {
            let m = GammaGamma {
                p: v[0].exp(),
                q: v[1].exp(),
                gamma: v[2].exp(),
            };
            let ll = m.log_likelihood(spends);
            if ll.is_finite() {
                -ll
            } else {
                f64::INFINITY
            }
        };
        let best = minimise(objective, &[0.0; 3])?;

        Ok(GammaGamma {
            p: best[0].exp(),
            q: best[1].exp(),
            gamma: best[2].exp(),
        })
    }

    /// Expected mean spend per purchase given x purchases of mean zbar:
    /// p (gamma + x zbar) / (p x + q - 1). Needs p x + q > 1.
    pub fn expected_spend(&self, x: f64, zbar: f64) -> Result<f64> {
        let GammaGamma { p, q, gamma } = *self;
        let denominator = p * x + q - 1.0;
        if denominator <= 0.0 {
            bail!("expected spend: p x + q = {} is not above 1", p * x + q);
        }
        Ok(p * (gamma + x * zbar) / denominator)
    }
}

fn check_histories(histories: &[History]) -> Result<()> {
    if histories.is_empty() {
        bail!("bg/nbd fit: no customers");
    }
    for (i, h) in histories.iter().enumerate() {
        let ok = h.x >= 0.0 && h.t_x >= 0.0 && h.t_x <= h.t_obs && h.t_obs.is_finite();
        if !ok {
            bail!(
                "bg/nbd fit: customer {i} has x = {}, t_x = {}, T = {}; need x >= 0 and \
                 0 <= t_x <= T",
                h.x,
                h.t_x,
                h.t_obs
            );
        }
    }
    Ok(())
}

/// Iteration cap of one Nelder-Mead pass, and number of passes: each
/// restart rebuilds the simplex around the best point so far, which
/// guards against a simplex that collapsed before the true minimum.
const MAX_ITERATIONS: usize = 5_000;
const PASSES: usize = 4;
/// A pass ends when the simplex's function values differ by less than this
/// share of the best value (plus this much in absolute terms near zero).
/// A log-likelihood of thousands is then settled to about 1e-6, far below
/// what moves a fitted parameter in its fourth significant digit, and a
/// likelihood that only creeps up as a parameter runs off to infinity
/// stops in hundreds of steps instead of thousands.
const F_TOLERANCE: f64 = 1e-10;

/// The fits search log-parameters; a best point beyond e^14 (about 1.2e6)
/// in either direction is a likelihood that keeps creeping up as a
/// parameter runs off to infinity. The search stops there and the caller
/// sees the runaway parameter, instead of crawling after it for thousands
/// of steps.
const RUNAWAY_LOG: f64 = 14.0;

fn settled(spread: f64, best: f64) -> bool {
    spread.abs() < F_TOLERANCE * (1.0 + best.abs())
}

/// Minimises `f` from `start` by repeated Nelder-Mead passes.
fn minimise<F: Fn(&[f64]) -> f64>(f: F, start: &[f64]) -> Result<Vec<f64>> {
    let mut best = start.to_vec();
    let mut best_value = f(&best);
    for _ in 0..PASSES {
        let (point, value) = nelder_mead(&f, &best, 0.5);
        let improvement = best_value - value;
        best = point;
        best_value = value;
        if best.iter().any(|v| v.abs() > RUNAWAY_LOG) {
            break;
        }
        if settled(improvement, best_value) {
            break;
        }
    }
    if !best_value.is_finite() {
        bail!("maximum likelihood fit found no finite likelihood");
    }
    Ok(best)
}

/// One Nelder-Mead pass with the standard coefficients (reflection 1,
/// expansion 2, contraction 0.5, shrink 0.5) from a simplex of `step`
/// around `start`. Deterministic: ties keep their earlier order.
fn nelder_mead<F: Fn(&[f64]) -> f64>(f: &F, start: &[f64], step: f64) -> (Vec<f64>, f64) {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), f(start)));
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step;
        let v = f(&p);
        simplex.push((p, v));
    }

    for _ in 0..MAX_ITERATIONS {
        simplex.sort_by(|l, r| l.1.total_cmp(&r.1));
        if settled(simplex[n].1 - simplex[0].1, simplex[0].1) {
            break;
        }
        if simplex[0].0.iter().any(|v| v.abs() > RUNAWAY_LOG) {
            break;
        }

        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let toward = |coef: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + coef * (simplex[n].0[j] - centroid[j]))
                .collect()
        };

        let reflected = toward(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = toward(-2.0);
            let fe = f(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
            continue;
        }
        if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
            continue;
        }

        let contracted = if fr < simplex[n].1 {
            toward(-0.5)
        } else {
            toward(0.5)
        };
        let fc = f(&contracted);
        if fc < fr.min(simplex[n].1) {
            simplex[n] = (contracted, fc);
            continue;
        }

        let best = simplex[0].0.clone();
        for (p, v) in simplex.iter_mut().skip(1) {
            for j in 0..n {
                p[j] = best[j] + 0.5 * (p[j] - best[j]);
            }
            *v = f(p);
        }
    }

    simplex.sort_by(|l, r| l.1.total_cmp(&r.1));
    simplex.swap_remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        let half = std::f64::consts::PI.sqrt().ln();
        assert!((ln_gamma(0.5) - half).abs() < 1e-13);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
        assert!(ln_gamma(1.0).abs() < 1e-14);
        assert!(ln_gamma(2.0).abs() < 1e-14);
        // Gamma(0.1) = 9.513507698668732.
        assert!((ln_gamma(0.1) - 9.513_507_698_668_732f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z.
        let z = 0.7;
        let got = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
        assert!((got - (-(1.0f64 - z).ln() / z)).abs() < 1e-12);
        // 2F1(a, b; b; z) = (1 - z)^-a.
        let got = hyp2f1(2.5, 3.0, 3.0, 0.4).unwrap();
        assert!((got - 0.6f64.powf(-2.5)).abs() < 1e-12);
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
    }

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let f = |v: &[f64]| (v[0] - 1.5).powi(2) + 3.0 * (v[1] + 0.25).powi(2);
        let best = minimise(f, &[0.0, 0.0]).unwrap();
        assert!((best[0] - 1.5).abs() < 1e-4);
        assert!((best[1] + 0.25).abs() < 1e-4);
    }

    #[test]
    fn no_repeat_purchase_means_alive_and_log_add_exp_is_stable() {
        let m = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let h = History {
            x: 0.0,
            t_x: 0.0,
            t_obs: 38.86,
        };
        assert_eq!(m.p_alive(&h), 1.0);
        assert!((log_add_exp(-1000.0, -1000.0) - (-1000.0 + 2f64.ln())).abs() < 1e-12);
    }
}
