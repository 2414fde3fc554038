//! A printer-independent document: what to print, not how. Drivers (the
//! text printer now, ESC/POS and fiscal registrars later) turn it into bytes.

use serde::{Deserialize, Serialize};

use crate::core::catalog::Vat;
use crate::core::money::{Money, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// How a text too long for the paper is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Wrap {
    /// At spaces, cutting only words longer than a line.
    #[default]
    Words,
    /// At any character.
    Anywhere,
}

/// Where an EAN-13's digits are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DigitsAt {
    None,
    #[default]
    Below,
    Above,
    Both,
}

/// How large a barcode or QR code prints (the printer's nearest module size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CodeSize {
    Tiny,
    Small,
    #[default]
    Normal,
    Large,
    ExtraLarge,
}

/// A QR code's error correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    Low,
    #[default]
    Medium,
    High,
    Ultra,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    Text {
        text: String,
        align: Align,
        bold: bool,
        double: bool,
        #[serde(default)]
        wrap: Wrap,
    },
    /// Left text and right text on one line (name … sum), `fill` between.
    Pair {
        left: String,
        right: String,
        bold: bool,
        #[serde(default = "space")]
        fill: char,
    },
    /// A rule across the paper made of `symbol`.
    Rule(char),
    /// An EAN-13 barcode (13 digits with the check digit).
    Ean13 {
        digits: String,
        text: DigitsAt,
        #[serde(default)]
        size: CodeSize,
    },
    /// A QR code of `data`.
    Qr {
        data: String,
        #[serde(default)]
        size: CodeSize,
        #[serde(default)]
        correction: Correction,
    },
    Blank,
}

fn space() -> char {
    ' '
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Document {
    pub lines: Vec<Line>,
    /// The customer's phone or e-mail for the electronic receipt: a fiscal
    /// registrar sends it as tag 1008; a plain printer only prints it.
    #[serde(default)]
    pub customer_contact: Option<String>,
    /// What a fiscal registrar registers for this document; plain printers
    /// print `lines` and ignore it.
    #[serde(default)]
    pub fiscal: Option<Fiscal>,
    /// Open the cash drawer after printing (cash taken or given). Left out
    /// of the JSON when false, so jobs saved before keep their digest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_drawer: bool,
}

/// The fiscal meaning of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fiscal {
    /// A receipt: the registrar prints it itself (its header, positions,
    /// totals, payments, fiscal sign), then `notes`.
    Receipt(FiscalReceipt),
    /// The shift opens (the registrar's too) with the cash put in the drawer, then `lines` print.
    OpenShift {
        opening_cash: Money,
    },
    /// `lines` print, then the registrar's X-report.
    XReport,
    /// `lines` print, then the registrar's Z-report closes its shift.
    ZReport,
    /// Cash put into or taken from the drawer, then `lines` print.
    CashIn(Money),
    CashOut(Money),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiscalKind {
    Sale,
    Return,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiscalPosition {
    pub name: String,
    pub quantity: Quantity,
    pub price: Money,
    /// Every discount of the position together (bonuses spent included).
    pub discount: Money,
    /// The position's VAT rate; the registrar's tax group follows from it.
    /// `None` only in a job saved before rates reached the registrar: it is
    /// registered as then, with no tax group bits (the registrar's own
    /// tables decide). Left out of the JSON when `None`, so such a job
    /// keeps the digest its fiscal marks were written under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<Vat>,
    /// A marked good's group and its units' codes (as scanned, GS as 0x1D):
    /// the registrar registers each unit apart and binds its code to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<crate::core::catalog::MarkGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<String>,
}

impl FiscalPosition {
    /// The position's total after discounts, shared over its marked units:
    /// the kopecks that do not divide go to the first units.
    pub fn unit_totals(&self) -> Vec<Money> {
        let total = self.price.times(self.quantity).unwrap_or(Money::ZERO).0 - self.discount.0;
        crate::core::receipt::split(Money(total), self.marks.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiscalReceipt {
    pub kind: FiscalKind,
    pub positions: Vec<FiscalPosition>,
    /// Cash handed over (the registrar computes the change), card, gift certificate.
    pub cash: Money,
    pub card: Money,
    pub certificate: Money,
    /// What follows the fiscal part: the client, the loyalty server's text, the receipt's barcode.
    pub notes: Vec<Line>,
}

impl Document {
    fn push_text(&mut self, text: impl Into<String>, align: Align, bold: bool, double: bool) -> &mut Self {
        self.lines.push(Line::Text {
            text: text.into(),
            align,
            bold,
            double,
            wrap: Wrap::Words,
        });
        self
    }

    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.push_text(text, Align::Left, false, false)
    }

    pub fn centered(&mut self, text: impl Into<String>, bold: bool) -> &mut Self {
        self.push_text(text, Align::Center, bold, false)
    }

    pub fn title(&mut self, text: impl Into<String>) -> &mut Self {
        self.push_text(text, Align::Center, true, true)
    }

    pub fn pair(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Pair {
            left: left.into(),
            right: right.into(),
            bold: false,
            fill: ' ',
        });
        self
    }

    pub fn bold_pair(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Pair {
            left: left.into(),
            right: right.into(),
            bold: true,
            fill: ' ',
        });
        self
    }

    pub fn separator(&mut self) -> &mut Self {
        self.lines.push(Line::Rule('-'));
        self
    }

    pub fn barcode(&mut self, digits: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Ean13 {
            digits: digits.into(),
            text: DigitsAt::Below,
            size: CodeSize::Normal,
        });
        self
    }

    pub fn blank(&mut self) -> &mut Self {
        self.lines.push(Line::Blank);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_saved_before_rates_keeps_its_json_and_so_its_jobs_digest() {
        let old = r#"{"name":"Хлеб","quantity":1000,"price":4500,"discount":0}"#;
        let position: FiscalPosition = serde_json::from_str(old).expect("an old position");
        assert_eq!(position.vat, None);
        assert_eq!(serde_json::to_string(&position).expect("json"), old);
        let rated = FiscalPosition {
            vat: Some(Vat::Vat10),
            ..position
        };
        let json = serde_json::to_string(&rated).expect("json");
        assert_eq!(serde_json::from_str::<FiscalPosition>(&json).expect("back"), rated);
    }
}
