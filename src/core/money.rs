//! Exact money and quantities: integer kopecks and integer thousandths.
//!
//! No floating point anywhere: a position's total is `price × quantity`
//! computed in `i128` and rounded half-up to whole kopecks.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// An amount of money in kopecks (1/100 rouble). May be negative in arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

/// A quantity in thousandths (grams for weighed goods, 1000 = one piece).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("not a number: {0:?}")]
    NotANumber(String),
    #[error("{0:?}: more than {1} decimals")]
    TooPrecise(String, u32),
    #[error("{0:?}: too large")]
    TooLarge(String),
    #[error("{0:?}: must be above zero")]
    NotPositive(String),
}

/// Largest magnitude accepted anywhere: 10 billion roubles keeps every sum of
/// thousands of positions far from `i64` overflow while still being checked.
pub const MONEY_CEILING: Money = Money(1_000_000_000_000);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn kopecks(self) -> i64 {
        self.0
    }

    pub fn from_rubles(rubles: i64) -> Money {
        Money(rubles * 100)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    /// `self × quantity`, rounded half-up (away from zero) to kopecks.
    /// `None` on overflow.
    pub fn times(self, quantity: Quantity) -> Option<Money> {
        let product = i128::from(self.0) * i128::from(quantity.0);
        let rounded = div_round_half_up(product, 1000);
        i64::try_from(rounded).ok().map(Money)
    }

    /// `self × numerator / denominator`, rounded half-up. Used to share an
    /// amount in proportion (discounts, partial returns).
    pub fn share(self, numerator: i64, denominator: i64) -> Option<Money> {
        if denominator == 0 {
            return None;
        }
        let product = i128::from(self.0) * i128::from(numerator);
        i64::try_from(div_round_half_up(product, i128::from(denominator))).ok().map(Money)
    }

    /// `percent` is in hundredths of a percent (1250 = 12.50 %).
    pub fn percent(self, basis_points: i64) -> Option<Money> {
        self.share(basis_points, 10_000)
    }

    /// Parses "123", "123.4", "123,45" (roubles). Rejects more than two
    /// decimals, signs and anything above [`MONEY_CEILING`].
    pub fn parse(text: &str) -> Result<Money, AmountError> {
        let value = parse_fixed(text, 2)?;
        if value > MONEY_CEILING.0 {
            return Err(AmountError::TooLarge(text.trim().to_string()));
        }
        Ok(Money(value))
    }

    /// Like [`Money::parse`] but zero is refused.
    pub fn parse_positive(text: &str) -> Result<Money, AmountError> {
        let money = Money::parse(text)?;
        if money.is_zero() {
            return Err(AmountError::NotPositive(text.trim().to_string()));
        }
        Ok(money)
    }
}

impl fmt::Display for Money {
    /// "1234.50", "-0.05": roubles with two decimals and a dot, as receipts print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
        f.pad(&text)
    }
}

/// Money as a Russian reads it on screen: "4 990 000,00" — thousands
/// apart, a comma before the kopecks. The gaps are no-break spaces (U+00A0)
/// so a wrapped notice never splits a sum. Printed receipts keep
/// [`Money`]'s own "4990000.00".
#[derive(Debug, Clone, Copy)]
pub struct OnScreen(pub Money);

impl Money {
    pub fn on_screen(self) -> OnScreen {
        OnScreen(self)
    }
}

/// The gap between groups of thousands on screen.
pub const THOUSANDS_GAP: char = '\u{a0}';

impl fmt::Display for OnScreen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.0.unsigned_abs();
        let mut text = String::with_capacity(24);
        if self.0.0 < 0 {
            text.push('-');
        }
        push_grouped(&mut text, abs / 100);
        text.push_str(&format!(",{:02}", abs % 100));
        f.pad(&text)
    }
}

/// Quantity as read on screen: "3", "1,255".
#[derive(Debug, Clone, Copy)]
pub struct QuantityOnScreen(pub Quantity);

impl Quantity {
    pub fn on_screen(self) -> QuantityOnScreen {
        QuantityOnScreen(self)
    }
}

impl fmt::Display for QuantityOnScreen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_string().replace('.', ","))
    }
}

fn push_grouped(text: &mut String, whole: u64) {
    let digits = whole.to_string();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            text.push(THOUSANDS_GAP);
        }
        text.push(digit);
    }
}

impl Quantity {
    pub const ONE: Quantity = Quantity(1000);
    pub const ZERO: Quantity = Quantity(0);

    pub fn pieces(count: i64) -> Quantity {
        Quantity(count * 1000)
    }

    pub fn grams(grams: i64) -> Quantity {
        Quantity(grams)
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0 % 1000 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).map(Quantity)
    }

    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_sub(other.0).map(Quantity)
    }

    pub fn min(self, other: Quantity) -> Quantity {
        Quantity(self.0.min(other.0))
    }

    /// Parses "3", "0.5", "1,250" (up to three decimals). Zero is refused.
    pub fn parse(text: &str) -> Result<Quantity, AmountError> {
        let value = parse_fixed(text, 3)?;
        if value == 0 {
            return Err(AmountError::NotPositive(text.trim().to_string()));
        }
        Ok(Quantity(value))
    }
}

impl fmt::Display for Quantity {
    /// "3" for whole pieces, "0.455" for weights.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = if abs.is_multiple_of(1000) {
            format!("{sign}{}", abs / 1000)
        } else {
            format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
        };
        f.pad(&text)
    }
}

fn div_round_half_up(value: i128, divisor: i128) -> i128 {
    let quotient = value / divisor;
    let remainder = value % divisor;
    if remainder.abs() * 2 >= divisor.abs() {
        quotient + value.signum() * divisor.signum()
    } else {
        quotient
    }
}

/// Parses a non-negative decimal with at most `scale` fraction digits into an
/// integer scaled by `10^scale`. Accepts both "." and "," as the separator.
fn parse_fixed(text: &str, scale: u32) -> Result<i64, AmountError> {
    let trimmed = text.trim();
    let not_a_number = || AmountError::NotANumber(trimmed.to_string());
    let (whole, fraction) = match trimmed.find(['.', ',']) {
        Some(at) => (&trimmed[..at], &trimmed[at + 1..]),
        None => (trimmed, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(not_a_number());
    }
    if fraction.len() > scale as usize {
        return Err(AmountError::TooPrecise(trimmed.to_string(), scale));
    }
    let too_large = || AmountError::TooLarge(trimmed.to_string());
    if whole.len() > 15 {
        return Err(too_large());
    }
    let whole_value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| not_a_number())?
    };
    let mut fraction_value: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| not_a_number())?
    };
    for _ in fraction.len()..scale as usize {
        fraction_value *= 10;
    }
    whole_value
        .checked_mul(10_i64.pow(scale))
        .and_then(|v| v.checked_add(fraction_value))
        .ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_on_screen_is_grouped_with_a_comma() {
        let shown = |k: i64| Money(k).on_screen().to_string().replace(THOUSANDS_GAP, " ");
        assert_eq!(shown(499_000_000), "4 990 000,00");
        assert_eq!(shown(100_000), "1 000,00");
        assert_eq!(shown(99_999), "999,99");
        assert_eq!(shown(5), "0,05");
        assert_eq!(shown(-123_456_789), "-1 234 567,89");
        assert_eq!(format!("{:>8}", Money(1250).on_screen()), "   12,50");
        assert_eq!(Quantity(1255).on_screen().to_string(), "1,255");
        assert_eq!(Quantity(3000).on_screen().to_string(), "3");
    }

    #[test]
    fn parses_money_with_dot_or_comma() {
        assert_eq!(Money::parse("12"), Ok(Money(1200)));
        assert_eq!(Money::parse("12.5"), Ok(Money(1250)));
        assert_eq!(Money::parse("12,05"), Ok(Money(1205)));
        assert_eq!(Money::parse(".5"), Ok(Money(50)));
        assert!(matches!(Money::parse("12.345"), Err(AmountError::TooPrecise(..))));
        assert!(matches!(Money::parse("-1"), Err(AmountError::NotANumber(_))));
        assert!(matches!(Money::parse("1e5"), Err(AmountError::NotANumber(_))));
        assert!(matches!(Money::parse(""), Err(AmountError::NotANumber(_))));
        assert!(matches!(Money::parse("99999999999999999999"), Err(AmountError::TooLarge(_))));
        assert!(matches!(Money::parse("10000000001"), Err(AmountError::TooLarge(_))));
    }

    #[test]
    fn formats_money() {
        assert_eq!(Money(123450).to_string(), "1234.50");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(format!("{:>8}", Money(100)), "    1.00");
    }

    #[test]
    fn quantity_parse_and_format() {
        assert_eq!(Quantity::parse("3"), Ok(Quantity(3000)));
        assert_eq!(Quantity::parse("0,455"), Ok(Quantity(455)));
        assert!(Quantity::parse("0").is_err());
        assert!(Quantity::parse("1.2345").is_err());
        assert_eq!(Quantity(455).to_string(), "0.455");
        assert_eq!(Quantity(2000).to_string(), "2");
    }

    #[test]
    fn times_rounds_half_up() {
        // 89.90 × 0.455 = 40.9045 → 40.90
        assert_eq!(Money(8990).times(Quantity(455)), Some(Money(4090)));
        // 0.05 × 0.1 = 0.005 → 0.01 (half goes up)
        assert_eq!(Money(5).times(Quantity(100)), Some(Money(1)));
        // 0.04 × 0.1 = 0.004 → 0.00
        assert_eq!(Money(4).times(Quantity(100)), Some(Money(0)));
        assert_eq!(Money(i64::MAX).times(Quantity(2000)), None);
    }

    #[test]
    fn share_and_percent() {
        assert_eq!(Money(1000).share(1, 3), Some(Money(333)));
        assert_eq!(Money(1000).share(2, 3), Some(Money(667)));
        assert_eq!(Money(1999).percent(1000), Some(Money(200)));
        assert_eq!(Money(1).share(1, 0), None);
    }
}
