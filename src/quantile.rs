//! Order statistics shared by the descriptive figures ([`crate::stats`])
//! and the resampling methods ([`crate::trends`]): the percentile rule and
//! the interval they report.

use serde::{Deserialize, Serialize};

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Confidence level (0.95).
    pub level: f64,
}

/// Percentile of sorted values with linear interpolation between closest
/// ranks (numpy's default, Hyndman–Fan type 7). `None` for no values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // Same arithmetic as numpy's lerp, so results agree to the last bit.
    let d = b - a;
    Some(if t >= 0.5 { b - d * (1.0 - t) } else { a + d * t })
}
