//! Renders a document as plain text lines of a fixed width: the demo
//! printer's output and the on-screen preview.

use super::document::{Align, DigitsAt, Document, Line, Wrap};

/// Renders `document` for a paper `width` in characters (at least 16).
pub fn render(document: &Document, width: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(document.lines.len());
    for line in &document.lines {
        out.extend(render_line(line, width));
    }
    out
}

/// One document line as the text lines it takes at `width` (at least 16).
pub fn render_line(line: &Line, width: usize) -> Vec<String> {
    let width = width.max(16);
    let mut out = Vec::new();
    match line {
        Line::Text {
            text, align, double, wrap, ..
        } => {
            // A double-size line takes twice the room: spread its letters.
            let shown = if *double && text.chars().count() * 2 <= width {
                spread(text)
            } else {
                text.clone()
            };
            for paragraph in shown.split('\n') {
                let parts = match wrap {
                    Wrap::Words => wrap_words(paragraph, width),
                    Wrap::Anywhere => wrap_anywhere(paragraph, width),
                };
                out.extend(parts.iter().map(|part| aligned(part, *align, width)));
            }
        }
        Line::Pair { left, right, fill, .. } => out.extend(pair(left, right, *fill, width)),
        Line::Rule(symbol) => out.push(symbol.to_string().repeat(width)),
        Line::Ean13 { digits, text, .. } => {
            let digits_line = aligned(digits, Align::Center, width);
            if matches!(text, DigitsAt::Above | DigitsAt::Both) {
                out.push(digits_line.clone());
            }
            out.push(aligned(&ean13_bars(digits), Align::Center, width));
            if matches!(text, DigitsAt::Below | DigitsAt::Both) {
                out.push(digits_line);
            }
        }
        Line::Qr { data, .. } => {
            // The text printer cannot draw a QR code: it frames its content legibly.
            let inner = width.saturating_sub(4).max(1);
            out.push(format!("┌{}┐", "─".repeat(width.saturating_sub(2))));
            out.push(format!("│ {:<inner$} │", "QR"));
            for part in wrap_anywhere(data, inner) {
                out.push(format!("│ {part:<inner$} │"));
            }
            out.push(format!("└{}┘", "─".repeat(width.saturating_sub(2))));
        }
        Line::Blank => out.push(String::new()),
    }
    out
}

/// A legible stand-in for an EAN-13's bars: one bar per digit.
fn ean13_bars(digits: &str) -> String {
    digits
        .chars()
        .map(|c| if c.to_digit(10).is_some_and(|d| d % 2 == 0) { '▌' } else { '▐' })
        .collect()
}

fn wrap_anywhere(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width.max(1)).map(|c| c.iter().collect()).collect()
}

fn spread(text: &str) -> String {
    let mut s = String::with_capacity(text.len() * 2);
    for (i, c) in text.chars().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push(c);
    }
    s
}

fn aligned(text: &str, align: Align, width: usize) -> String {
    let len = text.chars().count();
    let pad = width.saturating_sub(len);
    match align {
        Align::Left => text.to_string(),
        Align::Right => format!("{}{text}", " ".repeat(pad)),
        Align::Center => format!("{}{text}", " ".repeat(pad / 2)),
    }
}

/// Left text and right text on one line; when they do not fit, the left text
/// wraps and the right text ends the last line.
fn pair(left: &str, right: &str, fill: char, width: usize) -> Vec<String> {
    let right_len = right.chars().count();
    let mut lines = wrap_words(left, width);
    let last = lines.pop().unwrap_or_default();
    let last_len = last.chars().count();
    if last_len + 1 + right_len <= width {
        lines.push(format!("{last}{}{right}", fill.to_string().repeat(width - last_len - right_len)));
    } else {
        lines.push(last);
        lines.push(aligned(right, Align::Right, width));
    }
    lines
}

/// Wraps on spaces, keeping the first line's indent; words longer than the
/// width are cut.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let indent = text.len() - text.trim_start_matches(' ').len();
    let mut current = " ".repeat(indent.min(width / 2));
    let text = &text[indent..];
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let current_len = current.chars().count();
            let fresh = current.trim().is_empty();
            let needed = if fresh {
                current_len + word.len()
            } else {
                current_len + 1 + word.len()
            };
            if needed <= width {
                if !fresh {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if !fresh {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            current.clear();
            let rest = word.split_off(width.min(word.len()));
            lines.push(word.into_iter().collect());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_fill_the_width() {
        let mut d = Document::default();
        d.pair("Молоко", "89.90");
        assert_eq!(render(&d, 20), vec!["Молоко         89.90"]);
    }

    #[test]
    fn long_names_wrap_and_keep_the_sum_right() {
        let mut d = Document::default();
        d.pair("Очень длинное название товара на две строки", "1234.50");
        let lines = render(&d, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert!(lines.last().is_some_and(|l| l.ends_with("1234.50")));
    }

    #[test]
    fn barcodes_and_qr_codes_are_legible() {
        let mut d = Document::default();
        d.lines.push(Line::Ean13 {
            digits: "4600972223306".into(),
            text: DigitsAt::Both,
            size: Default::default(),
        });
        d.lines.push(Line::Qr {
            data: "http://atol.ru/PromoCode/Activate/5012-5640".into(),
            size: Default::default(),
            correction: Default::default(),
        });
        d.lines.push(Line::Pair {
            left: "Итого".into(),
            right: "7.50".into(),
            bold: false,
            fill: '.',
        });
        let lines = render(&d, 24);
        assert_eq!(lines.iter().filter(|l| l.contains("4600972223306")).count(), 2);
        assert!(lines.iter().any(|l| l.contains("http://atol.ru/Promo")), "{lines:#?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 24), "{lines:#?}");
        assert_eq!(lines.last().map(String::as_str), Some("Итого...............7.50"));
    }

    #[test]
    fn centers_and_cuts_long_words() {
        let mut d = Document::default();
        d.centered("ИТОГ", true).text("абвгдеёжзийклмнопрстуф");
        let lines = render(&d, 16);
        assert_eq!(lines[0], "      ИТОГ");
        assert_eq!(lines[1].chars().count(), 16);
        assert_eq!(lines[2], "прстуф");
    }
}
