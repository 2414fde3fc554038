//! Slips a loyalty server asks to print, element by element, and the
//! cashier's text blocks. The element set is Frontol's printingInformation
//! (the richest of the four); the others print plain text lines.

use serde::{Deserialize, Serialize};

use crate::core::barcode::{has_valid_check_digit, with_check_digit};
use crate::core::print::document::{self, CodeSize, Correction, DigitsAt, Document, Wrap};

/// Alignment is the print document's own.
pub use crate::core::print::document::Align;

/// Text size. A terminal has one font size, so on screen sizes above the
/// default show as emphasis; on paper `Large`/`ExtraLarge` print double.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    #[default]
    Default,
    Small,
    Medium,
    Large,
    ExtraLarge,
}

impl Size {
    pub fn is_large(self) -> bool {
        matches!(self, Size::Large | Size::ExtraLarge)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    Text {
        text: String,
        size: Size,
        align: Align,
        wrap: Wrap,
    },
    /// Left and right text at the paper's edges; `align` is where wrapped lines go.
    Pair {
        left: String,
        right: String,
        separator: char,
        size: Size,
        align: Align,
        wrap: Wrap,
    },
    /// A rule across the paper.
    Line { symbol: char, size: Size },
    /// An empty line.
    Br,
    /// EAN-13 data: 12 digits (the check digit is added) or 13 with a right one.
    Barcode { data: String, digits: DigitsAt, size: CodeSize },
    Qr {
        data: String,
        size: CodeSize,
        correction: Correction,
    },
}

pub type Slip = Vec<Element>;

/// A barcode element's 13 digits, or `None` when its data is not EAN-13.
pub fn ean13(data: &str) -> Option<String> {
    match data.len() {
        12 if data.bytes().all(|b| b.is_ascii_digit()) => with_check_digit(data),
        13 if has_valid_check_digit(data) => Some(data.to_string()),
        _ => None,
    }
}

/// One printed document per slip.
pub fn to_document(slip: &Slip) -> Document {
    let mut doc = Document::default();
    for element in slip {
        let line = match element {
            Element::Text { text, size, align, wrap } => document::Line::Text {
                text: text.clone(),
                align: *align,
                bold: size.is_large(),
                double: size.is_large(),
                wrap: *wrap,
            },
            Element::Pair {
                left,
                right,
                separator,
                size,
                ..
            } => document::Line::Pair {
                left: left.clone(),
                right: right.clone(),
                bold: size.is_large(),
                fill: *separator,
            },
            Element::Line { symbol, .. } => document::Line::Rule(*symbol),
            Element::Br => document::Line::Blank,
            // Data that is not an EAN-13 is printed as text, as the spec asks of devices that cannot.
            Element::Barcode { data, digits, size } => match ean13(data) {
                Some(code) => document::Line::Ean13 {
                    digits: code,
                    text: *digits,
                    size: *size,
                },
                None => document::Line::Text {
                    text: data.clone(),
                    align: document::Align::Center,
                    bold: false,
                    double: false,
                    wrap: Wrap::Anywhere,
                },
            },
            Element::Qr { data, size, correction } => document::Line::Qr {
                data: data.clone(),
                size: *size,
                correction: *correction,
            },
        };
        doc.lines.push(line);
    }
    doc
}

/// An emergency slip: plain lines the workstation writes itself when the
/// server could not be told (offline accrual, refused confirmation, a
/// distribution that broke the minimum prices).
pub fn emergency(lines: &[String]) -> Slip {
    let mut slip = vec![Element::Line {
        symbol: '*',
        size: Size::Default,
    }];
    for line in lines {
        slip.push(Element::Text {
            text: line.clone(),
            size: Size::Default,
            align: Align::Center,
            wrap: Wrap::Words,
        });
    }
    slip.push(Element::Line {
        symbol: '*',
        size: Size::Default,
    });
    slip
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::print::text::render;

    #[test]
    fn ean13_from_12_or_13_digits() {
        assert_eq!(ean13("123456789012").as_deref(), Some("1234567890128"));
        assert_eq!(ean13("1234567890128").as_deref(), Some("1234567890128"));
        assert_eq!(ean13("1234567890120"), None);
        assert_eq!(ean13("12345"), None);
    }

    #[test]
    fn every_element_prints() {
        let slip = vec![
            Element::Text {
                text: "Ранг 1".into(),
                size: Size::Default,
                align: Align::Left,
                wrap: Wrap::Words,
            },
            Element::Line {
                symbol: '*',
                size: Size::Default,
            },
            Element::Text {
                text: "Внимание! ПОДАРОК!".into(),
                size: Size::Large,
                align: Align::Center,
                wrap: Wrap::Words,
            },
            Element::Qr {
                data: "http://atol.ru/PromoCode/Activate/5012-5640".into(),
                size: CodeSize::Normal,
                correction: Correction::High,
            },
            Element::Pair {
                left: "27.01.2015".into(),
                right: "16:45".into(),
                separator: ' ',
                size: Size::Default,
                align: Align::Left,
                wrap: Wrap::Anywhere,
            },
            Element::Br,
            Element::Barcode {
                data: "123456789012".into(),
                digits: DigitsAt::Below,
                size: CodeSize::Large,
            },
            Element::Barcode {
                data: "ABC".into(),
                digits: DigitsAt::Below,
                size: CodeSize::Normal,
            },
        ];
        let lines = render(&to_document(&slip), 32);
        let text = lines.join("\n");
        assert!(text.contains("Ранг 1") && text.contains(&"*".repeat(32)));
        assert!(text.contains("В н и м а н и е !") || text.contains("Внимание! ПОДАРОК!"), "{text}");
        assert!(
            text.contains("1234567890128") && text.contains("ABC") && text.contains("16:45"),
            "{text}"
        );
    }
}
