//! Renders a document as plain text lines of a fixed width: the demo
//! printer's output and the on-screen preview.

use super::document::{Align, Document, Line};

/// Renders `document` for a paper `width` in characters (at least 16).
pub fn render(document: &Document, width: usize) -> Vec<String> {
    let width = width.max(16);
    let mut out = Vec::with_capacity(document.lines.len());
    for line in &document.lines {
        match line {
            Line::Text { text, align, double, .. } => {
                // A double-size line takes twice the room: spread its letters.
                let shown = if *double && text.chars().count() * 2 <= width {
                    spread(text)
                } else {
                    text.clone()
                };
                for part in wrap(&shown, width) {
                    out.push(aligned(&part, *align, width));
                }
            }
            Line::Pair { left, right, .. } => out.extend(pair(left, right, width)),
            Line::Separator => out.push("-".repeat(width)),
            Line::Barcode(digits) => {
                out.push(aligned(&"║".repeat(digits.len().min(width)), Align::Center, width));
                out.push(aligned(digits, Align::Center, width));
            }
            Line::Blank => out.push(String::new()),
        }
    }
    out
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
fn pair(left: &str, right: &str, width: usize) -> Vec<String> {
    let right_len = right.chars().count();
    let mut lines = wrap(left, width);
    let last = lines.pop().unwrap_or_default();
    let last_len = last.chars().count();
    if last_len + 1 + right_len <= width {
        lines.push(format!("{last}{}{right}", " ".repeat(width - last_len - right_len)));
    } else {
        lines.push(last);
        lines.push(aligned(right, Align::Right, width));
    }
    lines
}

/// Wraps on spaces, keeping the first line's indent; words longer than the
/// width are cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
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
    fn centers_and_cuts_long_words() {
        let mut d = Document::default();
        d.centered("ИТОГ", true).text("абвгдеёжзийклмнопрстуф");
        let lines = render(&d, 16);
        assert_eq!(lines[0], "      ИТОГ");
        assert_eq!(lines[1].chars().count(), 16);
        assert_eq!(lines[2], "прстуф");
    }
}
