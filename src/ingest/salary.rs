//! Salary normalisation: number forms, periods, currencies (from `fx.toml`)
//! and the plausibility checks of spec section 2. A salary that fails a
//! check is excluded (treated as undisclosed) with a reason; nothing is ever
//! re-interpreted by guessing its period.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::model::Salary;

/// Lowest plausible annual salary in USD.
pub const MIN_ANNUAL_USD: f64 = 15_000.0;
/// Highest plausible annual salary in USD.
pub const MAX_ANNUAL_USD: f64 = 1_000_000.0;
/// Largest accepted max / min ratio.
pub const MAX_RATIO: f64 = 4.0;

/// Exchange rates: USD per one unit of each currency.
#[derive(Debug, Clone, PartialEq)]
pub struct FxRates {
    usd_per_unit: HashMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFx {
    usd_per_unit: HashMap<String, f64>,
}

impl FxRates {
    /// Reads `fx.toml`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read exchange rates '{}'", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid exchange rates '{}'", path.display()))
    }

    /// Parses the text of an `fx.toml`.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: RawFx = toml::from_str(text)?;
        let mut usd_per_unit = HashMap::new();
        for (code, rate) in raw.usd_per_unit {
            if !(rate.is_finite() && rate > 0.0) {
                bail!("rate for {code} must be a positive number");
            }
            usd_per_unit.insert(code.trim().to_uppercase(), rate);
        }
        usd_per_unit.entry("USD".to_string()).or_insert(1.0);
        Ok(FxRates { usd_per_unit })
    }

    /// Rates with only USD.
    pub fn usd_only() -> Self {
        FxRates { usd_per_unit: HashMap::from([("USD".to_string(), 1.0)]) }
    }

    fn rate(&self, code: &str) -> Option<f64> {
        self.usd_per_unit.get(code).copied()
    }
}

/// Why a salary was excluded. The `Display` text is the reason written to
/// `rejected.csv` and counted in the data-quality summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exclusion {
    /// A bound is not a number.
    NotANumber,
    /// A bound is negative.
    Negative,
    /// `salary_min` is above `salary_max`.
    MinAboveMax,
    /// The currency is not in `fx.toml`.
    UnknownCurrency,
    /// The period is not one of year, month, week, day, hour.
    UnknownPeriod,
    /// An annualised bound is outside [15,000, 1,000,000] USD.
    OutOfBounds,
    /// max / min is above 4.
    RatioTooWide,
}

impl Exclusion {
    /// Short name used in summaries.
    pub fn label(self) -> &'static str {
        match self {
            Exclusion::NotANumber => "not a number",
            Exclusion::Negative => "negative",
            Exclusion::MinAboveMax => "min above max",
            Exclusion::UnknownCurrency => "unknown currency",
            Exclusion::UnknownPeriod => "unknown period",
            Exclusion::OutOfBounds => "outside [15000, 1000000] USD a year",
            Exclusion::RatioTooWide => "max/min above 4",
        }
    }
}

/// An excluded salary: the reason, the field at fault and a human detail.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    /// The reason class.
    pub reason: Exclusion,
    /// The column at fault.
    pub field: &'static str,
    /// What was found.
    pub detail: String,
}

/// A salary bound that is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Parses one bound: `,`, `_`, `$` and spaces are dropped, a trailing `k`/`K`
/// multiplies by a thousand. `Ok(None)` for an empty value.
pub fn parse_amount(raw: &str) -> Result<Option<f64>, NotANumber> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    // The common case, plain digits, needs no clean-up.
    if t.len() < 16 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map(|v| Some(v as f64)).map_err(|_| NotANumber);
    }
    let mut s: String = t.chars().filter(|c| !matches!(c, ',' | '_' | '$' | ' ')).collect();
    let mut scale = 1.0;
    if s.ends_with(['k', 'K']) {
        s.pop();
        scale = 1000.0;
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+')) {
        return Err(NotANumber);
    }
    let v: f64 = s.parse().map_err(|_| NotANumber)?;
    if !v.is_finite() {
        return Err(NotANumber);
    }
    Ok(Some(v * scale))
}

/// Multiplier from a pay period to a year.
pub fn period_factor(raw: &str) -> Option<f64> {
    let p = raw.trim();
    if p.is_empty() {
        return Some(1.0);
    }
    [("year", 1.0), ("month", 12.0), ("week", 52.0), ("day", 260.0), ("hour", 2080.0)]
        .into_iter()
        .find(|(name, _)| p.eq_ignore_ascii_case(name))
        .map(|(_, f)| f)
}

/// Normalises the salary columns of one posting into annual USD.
/// `Ok(None)`: no salary given. `Err`: given but excluded.
pub fn normalise(
    fx: &FxRates,
    min: &str,
    max: &str,
    currency: &str,
    period: &str,
) -> Result<Option<Salary>, Excluded> {
    let nan = |field: &'static str, v: &str| Excluded {
        reason: Exclusion::NotANumber,
        field,
        detail: format!("'{v}' is not a number"),
    };
    let lo = parse_amount(min).map_err(|_| nan("salary_min", min))?;
    let hi = parse_amount(max).map_err(|_| nan("salary_max", max))?;
    let (lo, hi) = match (lo, hi) {
        (None, None) => return Ok(None),
        (Some(a), None) | (None, Some(a)) => (a, a),
        (Some(a), Some(b)) => (a, b),
    };
    for (field, v) in [("salary_min", lo), ("salary_max", hi)] {
        if v < 0.0 {
            return Err(Excluded {
                reason: Exclusion::Negative,
                field,
                detail: format!("{v} is negative"),
            });
        }
    }
    let code = currency.trim();
    let rate = if code.is_empty() || code == "USD" {
        Some(1.0)
    } else {
        fx.rate(code).or_else(|| fx.rate(&code.to_ascii_uppercase()))
    };
    let rate = rate.ok_or_else(|| Excluded {
        reason: Exclusion::UnknownCurrency,
        field: "salary_currency",
        detail: format!("'{code}' has no rate in fx.toml"),
    })?;
    let factor = period_factor(period).ok_or_else(|| Excluded {
        reason: Exclusion::UnknownPeriod,
        field: "salary_period",
        detail: format!("'{}' is not year, month, week, day or hour", period.trim()),
    })?;
    if lo > hi {
        return Err(Excluded {
            reason: Exclusion::MinAboveMax,
            field: "salary_min",
            detail: format!("min {lo} is above max {hi}"),
        });
    }
    let (lo_usd, hi_usd) = (lo * factor * rate, hi * factor * rate);
    for (field, v) in [("salary_min", lo_usd), ("salary_max", hi_usd)] {
        if !(MIN_ANNUAL_USD..=MAX_ANNUAL_USD).contains(&v) {
            return Err(Excluded {
                reason: Exclusion::OutOfBounds,
                field,
                detail: format!("{v:.0} USD a year is outside [15000, 1000000]"),
            });
        }
    }
    if hi_usd > lo_usd * MAX_RATIO {
        return Err(Excluded {
            reason: Exclusion::RatioTooWide,
            field: "salary_max",
            detail: format!("max/min is {:.2}, above 4", hi_usd / lo_usd),
        });
    }
    Ok(Some(Salary { low: lo_usd, high: hi_usd }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx() -> FxRates {
        FxRates::parse("[usd_per_unit]\nEUR = 1.1\nGBP = 1.25\n").unwrap()
    }

    #[test]
    fn amounts_accept_the_documented_forms() {
        assert_eq!(parse_amount("120,000"), Ok(Some(120_000.0)));
        assert_eq!(parse_amount("$120k"), Ok(Some(120_000.0)));
        assert_eq!(parse_amount("120_000"), Ok(Some(120_000.0)));
        assert_eq!(parse_amount("1.5K"), Ok(Some(1500.0)));
        assert_eq!(parse_amount(""), Ok(None));
        assert_eq!(parse_amount("lots"), Err(NotANumber));
        assert_eq!(parse_amount("NaN"), Err(NotANumber));
        assert_eq!(parse_amount("inf"), Err(NotANumber));
    }

    #[test]
    fn periods_and_currencies_annualise() {
        let s = normalise(&fx(), "50", "100", "usd", "hour").unwrap().unwrap();
        assert_eq!((s.low, s.high), (104_000.0, 208_000.0));
        let s = normalise(&fx(), "10k", "", "EUR", "month").unwrap().unwrap();
        assert!((s.low - 132_000.0).abs() < 1e-6 && s.low == s.high);
        assert_eq!(normalise(&fx(), "", "", "", ""), Ok(None));
    }

    #[test]
    fn exclusions_have_reasons() {
        let r = |a, b, c, d| normalise(&fx(), a, b, c, d).unwrap_err().reason;
        assert_eq!(r("abc", "", "", ""), Exclusion::NotANumber);
        assert_eq!(r("-5", "", "", ""), Exclusion::Negative);
        assert_eq!(r("200k", "100k", "", ""), Exclusion::MinAboveMax);
        assert_eq!(r("100k", "", "XYZ", ""), Exclusion::UnknownCurrency);
        assert_eq!(r("100k", "", "", "fortnight"), Exclusion::UnknownPeriod);
        assert_eq!(r("10k", "", "", ""), Exclusion::OutOfBounds);
        assert_eq!(r("2000000", "", "", ""), Exclusion::OutOfBounds);
        assert_eq!(r("50k", "250k", "", ""), Exclusion::RatioTooWide);
        // A monthly figure is never guessed to be annual.
        assert_eq!(r("120000", "", "", "month"), Exclusion::OutOfBounds);
        assert!(normalise(&fx(), "15000", "1000000", "", "").is_err());
        assert!(normalise(&fx(), "50000", "200000", "", "").unwrap().is_some());
    }
}
