//! A printer-independent document: what to print, not how. Drivers (the
//! text printer now, ESC/POS and fiscal registrars later) turn it into bytes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    Text {
        text: String,
        align: Align,
        bold: bool,
        double: bool,
    },
    /// Left text and right text on one line (name … sum).
    Pair {
        left: String,
        right: String,
        bold: bool,
    },
    Separator,
    /// An EAN-13 barcode with its digits under it.
    Barcode(String),
    Blank,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Document {
    pub lines: Vec<Line>,
}

impl Document {
    pub fn text(&mut self, text: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Text {
            text: text.into(),
            align: Align::Left,
            bold: false,
            double: false,
        });
        self
    }

    pub fn centered(&mut self, text: impl Into<String>, bold: bool) -> &mut Self {
        self.lines.push(Line::Text {
            text: text.into(),
            align: Align::Center,
            bold,
            double: false,
        });
        self
    }

    pub fn title(&mut self, text: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Text {
            text: text.into(),
            align: Align::Center,
            bold: true,
            double: true,
        });
        self
    }

    pub fn pair(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Pair {
            left: left.into(),
            right: right.into(),
            bold: false,
        });
        self
    }

    pub fn bold_pair(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Pair {
            left: left.into(),
            right: right.into(),
            bold: true,
        });
        self
    }

    pub fn separator(&mut self) -> &mut Self {
        self.lines.push(Line::Separator);
        self
    }

    pub fn barcode(&mut self, digits: impl Into<String>) -> &mut Self {
        self.lines.push(Line::Barcode(digits.into()));
        self
    }

    pub fn blank(&mut self) -> &mut Self {
        self.lines.push(Line::Blank);
        self
    }
}
