//! Barcodes: EAN-13, EAN-8 and UPC-A check digits, and in-store weight
//! barcodes (prefixes 20–29) whose layout comes from config.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::money::Quantity;

/// A retail barcode kind recognised by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    Ean13,
    Ean8,
    UpcA,
}

impl Symbology {
    pub fn of_length(len: usize) -> Option<Symbology> {
        match len {
            13 => Some(Symbology::Ean13),
            8 => Some(Symbology::Ean8),
            12 => Some(Symbology::UpcA),
            _ => None,
        }
    }
}

/// The GS1 mod-10 check digit for `digits` (without the check digit).
/// `None` when `digits` holds anything but ASCII digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    // Weights alternate 3,1,3,… starting from the rightmost data digit.
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when `code` is all digits, has a GS1 length (8, 12, 13) and a right check digit.
pub fn has_valid_check_digit(code: &str) -> bool {
    if Symbology::of_length(code.len()).is_none() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (data, check) = code.split_at(code.len() - 1);
    check_digit(data) == Some(check.as_bytes()[0] - b'0')
}

/// Appends the check digit to 12 (EAN-13), 7 (EAN-8) or 11 (UPC-A) data digits.
pub fn with_check_digit(data: &str) -> Option<String> {
    check_digit(data).map(|d| format!("{data}{d}"))
}

/// Where the item code and the weight sit in a weight barcode.
///
/// Written in config as a 13-letter pattern: `P` prefix, `C` item code,
/// `W` weight in grams, `K` check digit, e.g. `PPCCCCCWWWWWK`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightLayout {
    pub pattern: String,
    pub prefixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LayoutError {
    #[error("weight barcode pattern {0:?}: needs exactly 13 letters of P, C, W, K")]
    BadPattern(String),
    #[error("weight barcode pattern {0:?}: has no {1} field")]
    MissingField(String, char),
    #[error("weight barcode prefix {0:?}: must be two digits from 20 to 29")]
    BadPrefix(String),
}

/// A decoded weight barcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightCode {
    pub item_code: String,
    pub weight: Quantity,
}

impl Default for WeightLayout {
    fn default() -> Self {
        WeightLayout {
            pattern: "PPCCCCCWWWWWK".to_string(),
            prefixes: (20..=29).map(|p| p.to_string()).collect(),
        }
    }
}

impl WeightLayout {
    pub fn validate(&self) -> Result<(), LayoutError> {
        let p = &self.pattern;
        if p.chars().count() != 13 || !p.chars().all(|c| matches!(c, 'P' | 'C' | 'W' | 'K')) {
            return Err(LayoutError::BadPattern(p.clone()));
        }
        for field in ['P', 'C', 'W'] {
            if !p.contains(field) {
                return Err(LayoutError::MissingField(p.clone(), field));
            }
        }
        for prefix in &self.prefixes {
            let ok = prefix.len() == 2 && prefix.starts_with('2') && prefix.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(LayoutError::BadPrefix(prefix.clone()));
            }
        }
        Ok(())
    }

    /// Decodes `code` when it is a valid EAN-13 with one of the weight prefixes.
    pub fn decode(&self, code: &str) -> Option<WeightCode> {
        if code.len() != 13 || !has_valid_check_digit(code) {
            return None;
        }
        if !self.prefixes.iter().any(|p| code.starts_with(p.as_str())) {
            return None;
        }
        let field = |letter: char| -> String {
            self.pattern
                .chars()
                .zip(code.chars())
                .filter(|(p, _)| *p == letter)
                .map(|(_, c)| c)
                .collect()
        };
        let item_code = field('C').trim_start_matches('0').to_string();
        let grams: i64 = field('W').parse().ok()?;
        if grams == 0 || item_code.is_empty() {
            return None;
        }
        Some(WeightCode {
            item_code,
            weight: Quantity::grams(grams),
        })
    }

    /// Builds a weight barcode (used by the catalog generator and tests).
    pub fn encode(&self, prefix: &str, item_code: u64, grams: u64) -> Option<String> {
        let count = |letter: char| self.pattern.chars().filter(|c| *c == letter).count();
        let code = format!("{item_code:0width$}", width = count('C'));
        let weight = format!("{grams:0width$}", width = count('W'));
        if code.len() != count('C') || weight.len() != count('W') || prefix.len() != count('P') {
            return None;
        }
        let (mut code_digits, mut weight_digits, mut prefix_digits) = (code.chars(), weight.chars(), prefix.chars());
        let data: String = self
            .pattern
            .chars()
            .filter(|c| *c != 'K')
            .filter_map(|c| match c {
                'P' => prefix_digits.next(),
                'C' => code_digits.next(),
                _ => weight_digits.next(),
            })
            .collect();
        with_check_digit(&data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_known_codes() {
        assert!(has_valid_check_digit("4607001771562")); // EAN-13
        assert!(has_valid_check_digit("4600051000057"));
        assert!(!has_valid_check_digit("4607001771563"));
        assert!(has_valid_check_digit("96385074")); // EAN-8
        assert!(has_valid_check_digit("036000291452")); // UPC-A
        assert!(!has_valid_check_digit("03600029145"));
        assert!(!has_valid_check_digit("46070017715a2"));
    }

    #[test]
    fn weight_barcode_round_trip() {
        let layout = WeightLayout::default();
        assert_eq!(layout.validate(), Ok(()));
        let code = layout.encode("22", 1234, 455).expect("fits the layout");
        assert_eq!(code.len(), 13);
        assert_eq!(
            layout.decode(&code),
            Some(WeightCode {
                item_code: "1234".into(),
                weight: Quantity(455)
            })
        );
        // A non-weight prefix is not decoded.
        assert_eq!(layout.decode("4607001771562"), None);
    }

    #[test]
    fn custom_layout() {
        let layout = WeightLayout {
            pattern: "PPCCCCCCWWWWK".into(),
            prefixes: vec!["27".into()],
        };
        assert_eq!(layout.validate(), Ok(()));
        let code = layout.encode("27", 42, 1500).expect("fits");
        assert_eq!(layout.decode(&code).map(|w| w.weight), Some(Quantity(1500)));
        assert!(
            WeightLayout {
                pattern: "PPCCCCCK".into(),
                prefixes: vec![]
            }
            .validate()
            .is_err()
        );
        assert!(
            WeightLayout {
                pattern: "PPCCCCCWWWWWK".into(),
                prefixes: vec!["46".into()]
            }
            .validate()
            .is_err()
        );
    }
}
